"""Storage test fixtures: a fresh table or container per test, so tests never see each other's data."""

from __future__ import annotations

import uuid

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from shared.settings import StorageSettings
from shared.storage import BlobStore, TableRepository, blob_service, table_service
from tests.storage.models import Agent


@pytest.fixture
def tables(storage_settings: StorageSettings) -> TableServiceClient:
    return table_service(storage_settings)


@pytest.fixture
def blobs(storage_settings: StorageSettings) -> BlobServiceClient:
    return blob_service(storage_settings)


@pytest.fixture
def agents(tables: TableServiceClient) -> TableRepository[Agent]:
    return TableRepository(tables, f"agents{uuid.uuid4().hex}", Agent)


@pytest.fixture
def store(blobs: BlobServiceClient) -> BlobStore:
    return BlobStore(blobs, f"test-{uuid.uuid4().hex}")
