"""Service clients built from settings: connection strings of both kinds, one client per settings."""

from __future__ import annotations

from azure.data.tables import TableServiceClient

from shared.settings import StorageSettings
from shared.storage import blob_service, table_service


def test_full_connection_string_reaches_azurite(storage_settings: StorageSettings) -> None:
    service = table_service(storage_settings)

    service.create_table_if_not_exists("clientsmoketest")
    assert "clientsmoketest" in [table.name for table in service.list_tables()]
    assert blob_service(storage_settings).get_account_information()["sku_name"]


def test_clients_are_built_once_per_settings(storage_settings: StorageSettings) -> None:
    assert table_service(storage_settings) is table_service(storage_settings)
    assert blob_service(storage_settings) is blob_service(storage_settings)


def test_development_storage_shorthand_points_at_azurite_default_ports() -> None:
    settings = StorageSettings(connection_string="UseDevelopmentStorage=true")

    assert table_service(settings).url.startswith("http://127.0.0.1:10002/devstoreaccount1")
    assert blob_service(settings).url.startswith("http://127.0.0.1:10000/devstoreaccount1")


def test_account_name_uses_the_public_endpoints_with_a_token_credential() -> None:
    settings = StorageSettings(account_name="omniagentstore")

    tables = table_service(settings)
    blobs = blob_service(settings)

    assert isinstance(tables, TableServiceClient)
    assert tables.url.startswith("https://omniagentstore.table.core.windows.net")
    assert blobs.url.startswith("https://omniagentstore.blob.core.windows.net")
    assert hasattr(blobs.credential, "get_token")
