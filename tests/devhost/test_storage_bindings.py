"""Storage bindings under devhost, against Azurite (issue 17, defect 6).

``tests/devhost/apps/bindings_app`` runs in a devhost subprocess with ``AzureWebJobsStorage`` and
``BindingsStorage`` pointing at the session's Azurite; the tests call it over HTTP and look at what
landed in Azurite with the official SDK clients. Before this, each of these functions failed with a
``TypeError`` (the binding parameters were never passed) and the host started without a word.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import requests
from azure.data.tables import TableServiceClient

from tests.azurite import Azurite
from tests.devhost.helpers import DevHost, wait_for_terminal
from tests.devhost.storage_helpers import (
    BINDINGS_APP,
    blobs,
    collect,
    peek,
    queues,
    running_storage_host,
    send,
    wait_until,
)


@pytest.fixture(scope="module")
def bindings_host(azurite: Azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    root = tmp_path_factory.mktemp("bindings-app")
    with running_storage_host(BINDINGS_APP, azurite, root) as host:
        yield host


# ---------------------------------------------------------------------------
# HTTP functions
# ---------------------------------------------------------------------------


def test_queue_output_from_an_http_function_puts_one_base64_message(
    bindings_host: DevHost, azurite: Azurite
) -> None:
    response = requests.post(bindings_host.url("/api/orders/o-17"), data="two coffees", timeout=30)
    assert response.status_code == 202, bindings_host.output()
    # The queue name came from %ORDERS_QUEUE% (local.settings.json); the queue was made on first use.
    assert [json.loads(t) for t in collect(azurite, "orders", 1, bindings_host)] == [
        {"id": "o-17", "body": "two coffees"}
    ]


def test_a_list_output_puts_one_message_per_item(bindings_host: DevHost, azurite: Azurite) -> None:
    response = requests.post(bindings_host.url("/api/batch"), data="first\nsecond\nthird", timeout=30)
    assert response.status_code == 202, bindings_host.output()
    assert sorted(collect(azurite, "batch", 3, bindings_host)) == ["first", "second", "third"]


def test_blob_output_then_input_as_input_stream_and_as_str(bindings_host: DevHost, azurite: Azurite) -> None:
    content = "ünïcode and bytes".encode()
    put = requests.put(bindings_host.url("/api/files/note.txt"), data=content, timeout=30)
    assert put.status_code == 201, bindings_host.output()
    stored = blobs(azurite).get_blob_client("files", "note.txt").download_blob().readall()
    assert stored == content
    as_stream = requests.get(bindings_host.url("/api/files/note.txt"), timeout=30)
    assert (as_stream.status_code, as_stream.content) == (200, content)
    as_text = requests.get(bindings_host.url("/api/texts/note.txt"), timeout=30)
    assert as_text.json() == {"type": "str", "text": "ünïcode and bytes"}


def test_a_missing_blob_binds_none(bindings_host: DevHost) -> None:
    response = requests.get(bindings_host.url("/api/files/never-written.bin"), timeout=30)
    assert (response.status_code, response.text) == (404, "no such file")


def test_table_output_inserts_and_table_input_reads_one_and_a_partition(
    bindings_host: DevHost, azurite: Azurite
) -> None:
    for member, name in (("ada", "Ada Lovelace"), ("alan", "Alan Turing")):
        body = json.dumps({"RowKey": member, "name": name, "year": 1815 if member == "ada" else 1912})
        response = requests.post(bindings_host.url("/api/people/pioneers"), data=body, timeout=30)
        assert response.status_code == 201, bindings_host.output()
    table = TableServiceClient.from_connection_string(azurite.connection_string).get_table_client("people")
    stored = table.get_entity("pioneers", "ada")  # PartitionKey came from the route ({team})
    assert (stored["name"], stored["year"]) == ("Ada Lovelace", 1815)

    one = requests.get(bindings_host.url("/api/people/pioneers/ada"), timeout=30).json()
    assert {k: one[k] for k in ("PartitionKey", "RowKey", "name", "year")} == {
        "PartitionKey": "pioneers",
        "RowKey": "ada",
        "name": "Ada Lovelace",
        "year": 1815,
    }
    assert "Timestamp" in one
    team = requests.get(bindings_host.url("/api/people/pioneers"), timeout=30).json()
    assert sorted(p["RowKey"] for p in team) == ["ada", "alan"]
    missing = requests.get(bindings_host.url("/api/people/pioneers/grace"), timeout=30)
    assert missing.status_code == 404


def test_table_output_only_inserts_an_existing_entity_fails_the_call(bindings_host: DevHost) -> None:
    body = json.dumps({"RowKey": "linus", "name": "first"})
    assert requests.post(bindings_host.url("/api/people/kernel"), data=body, timeout=30).status_code == 201
    again = requests.post(bindings_host.url("/api/people/kernel"), data=body, timeout=30)
    assert again.status_code == 500  # as the host: the binding's failure fails the invocation
    assert "already exists" in bindings_host.output()


def test_an_activity_writes_a_blob_named_from_its_input(bindings_host: DevHost, azurite: Azurite) -> None:
    started = requests.post(
        bindings_host.url("/api/archive"), json={"noteId": "n-42", "text": "kept for later"}, timeout=30
    )
    assert started.status_code == 202, bindings_host.output()
    status = wait_for_terminal(started.json()["statusQueryGetUri"], host=bindings_host)
    assert (status["runtimeStatus"], status["output"]) == ("Completed", "archived n-42")
    archived = blobs(azurite).get_blob_client("archive", "n-42.txt").download_blob().readall()
    assert archived == b"kept for later"


# ---------------------------------------------------------------------------
# Queue triggers
# ---------------------------------------------------------------------------


def seen(host: DevHost, kind: str) -> list[dict]:
    return requests.get(host.url(f"/api/seen/{kind}"), timeout=30).json()


def test_queue_trigger_gets_the_decoded_message_with_its_metadata(
    bindings_host: DevHost, azurite: Azurite
) -> None:
    send(azurite, "work", "do the dishes")
    [entry] = wait_until(lambda: seen(bindings_host, "work"), "the work message", bindings_host)
    assert entry["body"] == "do the dishes"
    assert entry["dequeueCount"] == 1
    assert entry["id"] and entry["hasInsertionTime"] and entry["hasPopReceipt"]
    # Success deleted it.
    assert wait_until(
        lambda: not queues(azurite).get_queue_client("work").peek_messages(),
        "the queue to empty",
        bindings_host,
    )


def test_a_json_message_names_blobs_through_its_properties(bindings_host: DevHost, azurite: Azurite) -> None:
    blobs(azurite).get_blob_client("files", "photo.bin").upload_blob(b"\x00\x01raw", overwrite=True)
    send(azurite, "copy", json.dumps({"name": "photo.bin"}))
    copy = blobs(azurite).get_blob_client("copies", "photo.bin")
    wait_until(copy.exists, "copies/photo.bin", bindings_host)
    assert copy.download_blob().readall() == b"\x00\x01raw"


def test_queue_trigger_text_in_a_blob_path_and_a_return_output(
    bindings_host: DevHost, azurite: Azurite
) -> None:
    blobs(azurite).get_blob_client("files", "hello.txt").upload_blob(b"hello world", overwrite=True)
    send(azurite, "lookups", "hello.txt")
    assert [json.loads(t) for t in collect(azurite, "lookups-done", 1, bindings_host)] == [
        {"name": "hello.txt", "length": 11}
    ]


def test_a_failing_message_is_tried_five_times_then_moved_to_the_poison_queue(
    bindings_host: DevHost, azurite: Azurite
) -> None:
    send(azurite, "fragile", "breaks every time")
    [poisoned] = wait_until(lambda: peek(azurite, "fragile-poison"), "the poison message", bindings_host)
    assert base64.b64decode(poisoned.content).decode() == "breaks every time"  # unchanged, still base64
    tries = [e["dequeueCount"] for e in seen(bindings_host, "fragile") if e["body"] == "breaks every time"]
    assert tries == [1, 2, 3, 4, 5]  # maxDequeueCount
    assert not queues(azurite).get_queue_client("fragile").peek_messages()


def test_a_message_that_is_not_base64_goes_to_the_poison_queue_unrun(
    bindings_host: DevHost, azurite: Azurite
) -> None:
    send(azurite, "work", "not base64 at all!", encode=False)
    poisoned = wait_until(lambda: peek(azurite, "work-poison"), "the poison message", bindings_host)
    assert [m.content for m in poisoned] == ["not base64 at all!"]
    assert all(e["body"] != "not base64 at all!" for e in seen(bindings_host, "work"))
