"""Typed storage over Azure Table and Blob Storage (Azurite locally).

Build the SDK clients with ``table_service``/``blob_service`` from ``StorageSettings`` and hand them to the
repositories; every failure a caller should handle is a ``StorageError``.
"""

from shared.storage.blobs import Blob, BlobStore, project_blob_name
from shared.storage.clients import blob_service, table_service
from shared.storage.errors import AlreadyExists, ConcurrencyConflict, InvalidCursor, NotFound, StorageError
from shared.storage.tables import Page, Stored, TableRepository

__all__ = [
    "AlreadyExists",
    "Blob",
    "BlobStore",
    "ConcurrencyConflict",
    "InvalidCursor",
    "NotFound",
    "Page",
    "StorageError",
    "Stored",
    "TableRepository",
    "blob_service",
    "project_blob_name",
    "table_service",
]
