"""Storage connections of bindings, resolved as the host resolves them, and their SDK clients.

A binding's ``connection`` names an app setting (environment or ``local.settings.json`` Values);
empty means ``AzureWebJobsStorage``. The host tries the name, then ``AzureWebJobs<name>``. devhost
takes connection strings only (``UseDevelopmentStorage=true`` is Azurite); an identity-based
connection (``<name>__serviceUri`` ...) is refused at start, as there is no identity to use locally.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

DEFAULT_CONNECTION = "AzureWebJobsStorage"


@dataclass(frozen=True)
class StorageConnection:
    setting: str  # the app setting that held it
    connection_string: str

    def blobs(self) -> BlobServiceClient:
        return _blob_service(self.connection_string)

    def queues(self) -> QueueServiceClient:
        return _queue_service(self.connection_string)

    def tables(self) -> TableServiceClient:
        return _table_service(self.connection_string)


def resolve_connection(name: str, environ: Mapping[str, str] | None = None) -> StorageConnection:
    environ = os.environ if environ is None else environ
    name = name.strip() or DEFAULT_CONNECTION
    for candidate in (name, f"AzureWebJobs{name}"):
        value = environ.get(candidate, "").strip()
        if value:
            return StorageConnection(candidate, value)
    if any(key.lower().startswith(f"{name.lower()}__") for key in environ):
        raise ValueError(
            f"'{name}' is an identity-based connection ({name}__...); devhost needs a connection "
            f"string in the app setting '{name}' (Azurite: UseDevelopmentStorage=true)."
        )
    raise ValueError(
        f"Storage account connection string '{name}' does not exist. Make sure that it is a defined "
        "App Setting (the environment or local.settings.json Values)."
    )


# One client per connection string: the SDK clients are thread-safe and keep their connections.
@lru_cache(maxsize=16)
def _blob_service(connection_string: str) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(connection_string)


@lru_cache(maxsize=16)
def _queue_service(connection_string: str) -> QueueServiceClient:
    return QueueServiceClient.from_connection_string(connection_string)


@lru_cache(maxsize=16)
def _table_service(connection_string: str) -> TableServiceClient:
    return TableServiceClient.from_connection_string(connection_string)
