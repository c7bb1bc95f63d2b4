"""The SDK service clients, built on first use and shared per storage settings.

A connection string (Azurite's ``UseDevelopmentStorage=true`` or a full one with a key) wins; otherwise the
account's endpoints are reached with ``DefaultAzureCredential`` (managed identity in Azure). Nothing is
built at import time: import-time clients slow cold starts and make tests order-dependent.
"""

from __future__ import annotations

from functools import lru_cache

from azure.core.credentials import TokenCredential
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from shared.http_transport import sdk_transport_options
from shared.settings import StorageSettings


@lru_cache(maxsize=8)
def credential_for(settings: StorageSettings) -> TokenCredential:
    """One credential per settings, so its token cache is shared by the table and blob clients."""
    # Imported here: azure.identity is only needed (and only slow to import) on the credential path.
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


@lru_cache(maxsize=8)
def table_service(settings: StorageSettings) -> TableServiceClient:
    if settings.connection_string:
        return TableServiceClient.from_connection_string(
            settings.connection_string, **sdk_transport_options()
        )
    return TableServiceClient(
        endpoint=settings.table_endpoint, credential=credential_for(settings), **sdk_transport_options()
    )


@lru_cache(maxsize=8)
def blob_service(settings: StorageSettings) -> BlobServiceClient:
    if settings.connection_string:
        return BlobServiceClient.from_connection_string(settings.connection_string, **sdk_transport_options())
    return BlobServiceClient(
        account_url=settings.blob_endpoint, credential=credential_for(settings), **sdk_transport_options()
    )
