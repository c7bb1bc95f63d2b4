"""The blob trigger under devhost: each new or changed blob runs the function once, across restarts.

A private Azurite and a private devhost of ``tests/devhost/apps/bindings_app`` (its ``on_upload``
function takes ``uploads/{name}.txt`` and reports each blob on the ``uploads-seen`` queue). The host is
killed and started again on the same storage: receipts in ``azure-webjobs-hosts`` keep a processed blob
from running again. Waits are bounded polls on what the function reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azure.storage.blob import BlobServiceClient

from tests.azurite import Azurite, running_azurite
from tests.devhost.helpers import DevHost
from tests.devhost.storage_helpers import BINDINGS_APP, collect, drain, running_storage_host


@pytest.fixture(scope="module")
def private_azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    with running_azurite(tmp_path_factory.mktemp("blob-trigger-azurite")) as ports:
        yield ports


@pytest.fixture
def blob_host(private_azurite: Azurite, tmp_path: Path) -> Iterator[DevHost]:
    with running_storage_host(BINDINGS_APP, private_azurite, tmp_path) as host:
        yield host


def upload(azurite: Azurite, name: str, content: bytes) -> None:
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.get_container_client("uploads")
    if not container.exists():
        container.create_container()
    container.upload_blob(name, content, overwrite=True)


def reports(azurite: Azurite, count: int, host: DevHost) -> list[dict]:
    return [json.loads(text) for text in collect(azurite, "uploads-seen", count, host)]


def test_each_blob_version_runs_once_and_a_restart_runs_none_again(
    blob_host: DevHost, private_azurite: Azurite
) -> None:
    upload(private_azurite, "a.txt", b"alpha")
    upload(private_azurite, "skip.bin", b"not a .txt: no match")
    [first] = reports(private_azurite, 1, blob_host)
    assert first["path"] == "uploads/a.txt"
    assert (first["length"], first["content"]) == (5, "alpha")
    assert first["uri"].endswith("/uploads/a.txt")

    blob_host.kill()  # as a crash: only the receipts in storage remember what ran
    blob_host.restart_on_new_port()
    upload(private_azurite, "b.txt", b"bravo")
    # The scan that finds b.txt also passes a.txt (listed before it): a.txt has a receipt.
    assert [r["path"] for r in reports(private_azurite, 1, blob_host)] == ["uploads/b.txt"]

    upload(private_azurite, "a.txt", b"alpha, changed")  # a new ETag: a new version runs once
    [changed] = reports(private_azurite, 1, blob_host)
    assert (changed["path"], changed["content"]) == ("uploads/a.txt", "alpha, changed")
    upload(private_azurite, "c.txt", b"charlie")
    assert [r["path"] for r in reports(private_azurite, 1, blob_host)] == ["uploads/c.txt"]
    assert drain(private_azurite, "uploads-seen") == []  # nothing twice, skip.bin never

    receipts = BlobServiceClient.from_connection_string(
        private_azurite.connection_string
    ).get_container_client("azure-webjobs-hosts")
    names = [b.name for b in receipts.list_blobs(name_starts_with="blobreceipts/")]
    assert len(names) == 4  # a (twice: two versions), b, c
    assert all("/Host.Functions.on_upload/" in name for name in names)


def test_a_failing_blob_is_tried_five_times_then_reported_on_the_poison_queue(
    blob_host: DevHost, private_azurite: Azurite
) -> None:
    service = BlobServiceClient.from_connection_string(private_azurite.connection_string)
    service.create_container("brittle")
    service.get_blob_client("brittle", "x.bin").upload_blob(b"12345")
    [poisoned] = [json.loads(t) for t in collect(private_azurite, "webjobs-blobtrigger-poison", 1, blob_host)]
    assert {k: poisoned[k] for k in ("Type", "FunctionId", "ContainerName", "BlobName")} == {
        "Type": "BlobTrigger",
        "FunctionId": "Host.Functions.on_brittle",
        "ContainerName": "brittle",
        "BlobName": "x.bin",
    }
    tries = requests.get(blob_host.url("/api/seen/brittle"), timeout=30).json()
    assert tries == [5, 5, 5, 5, 5]  # maxDequeueCount tries, each got the content
