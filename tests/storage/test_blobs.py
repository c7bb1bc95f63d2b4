"""BlobStore against a real Azurite, including SAS read links fetched over plain HTTP."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from azure.storage.blob import BlobServiceClient

from shared.storage import BlobStore, NotFound, project_blob_name


def test_put_then_get_returns_the_bytes_and_content_type(store: BlobStore) -> None:
    name = project_blob_name("proj-a", "avatars", "face.png")
    store.put(name, b"\x89PNG\r\n\x1a\nbytes", "image/png")

    blob = store.get(name)

    assert blob.data == b"\x89PNG\r\n\x1a\nbytes"
    assert blob.content_type == "image/png"
    assert store.exists(name)


def test_put_replaces_previous_content(store: BlobStore) -> None:
    store.put("proj-a/doc.txt", b"first", "text/plain")
    store.put("proj-a/doc.txt", b"second", "text/markdown")

    blob = store.get("proj-a/doc.txt")
    assert (blob.data, blob.content_type) == (b"second", "text/markdown")


def test_delete_removes_the_blob_and_is_idempotent(store: BlobStore) -> None:
    store.put("proj-a/doc.txt", b"text", "text/plain")

    store.delete("proj-a/doc.txt")
    store.delete("proj-a/doc.txt")

    assert not store.exists("proj-a/doc.txt")
    with pytest.raises(NotFound):
        store.get("proj-a/doc.txt")


def test_get_of_missing_blob_raises_not_found(store: BlobStore) -> None:
    with pytest.raises(NotFound):
        store.get("proj-a/missing.bin")


def test_read_url_downloads_the_bytes_over_http(store: BlobStore) -> None:
    name = project_blob_name("proj-a", "documents", "price list 2025 (ü).pdf")
    store.put(name, b"%PDF-1.7 content", "application/pdf")

    url = store.read_url(name, timedelta(minutes=5))
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"%PDF-1.7 content"
        assert response.headers["Content-Type"] == "application/pdf"


def test_read_url_cannot_write(store: BlobStore) -> None:
    store.put("proj-a/doc.txt", b"original", "text/plain")
    url = store.read_url("proj-a/doc.txt", timedelta(minutes=5))

    request = urllib.request.Request(
        url, data=b"overwritten", method="PUT", headers={"x-ms-blob-type": "BlockBlob"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)

    assert refused.value.code == 403
    assert store.get("proj-a/doc.txt").data == b"original"


def test_read_url_stops_working_after_it_expires(store: BlobStore) -> None:
    store.put("proj-a/doc.txt", b"text", "text/plain")
    url = store.read_url("proj-a/doc.txt", timedelta(seconds=1))

    time.sleep(2.1)  # SAS expiry has one-second resolution
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 403


@pytest.mark.parametrize("expires_in", [timedelta(0), timedelta(seconds=-1), timedelta(days=8)])
def test_read_url_lifetime_must_be_positive_and_short(store: BlobStore, expires_in: timedelta) -> None:
    with pytest.raises(ValueError, match="expires_in"):
        store.read_url("proj-a/doc.txt", expires_in)


@pytest.mark.parametrize(
    "bad", ["proj-a/a\\b.txt", "proj-a/a#b", "proj-a/a?b", "proj-a/a\nb", "proj-a//b", "proj-a/../b", ""]
)
def test_blob_names_with_bad_characters_are_rejected_before_any_request(store: BlobStore, bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid blob name"):
        store.put(bad, b"x", "text/plain")
    with pytest.raises(ValueError, match="Invalid blob name"):
        store.get(bad)
    with pytest.raises(ValueError, match="Invalid blob name"):
        store.read_url(bad, timedelta(minutes=1))

    assert store._container is None  # nothing was sent: not even the container was created


def test_project_blob_name_joins_segments_under_the_project() -> None:
    assert project_blob_name("proj-a", "documents", "doc-1", "text.txt") == "proj-a/documents/doc-1/text.txt"


@pytest.mark.parametrize(
    ("project_id", "parts"),
    [
        ("proj/a", ("x",)),
        ("", ("x",)),
        ("proj-a", ()),
        ("proj-a", ("a/b",)),
        ("proj-a", ("",)),
        ("p", ("a#",)),
    ],
)
def test_project_blob_name_refuses_parts_that_would_escape_or_break_the_name(
    project_id: str, parts: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        project_blob_name(project_id, *parts)


@pytest.mark.parametrize("bad", ["ab", "Upper", "under_score", "double--hyphen", "-leading"])
def test_bad_container_names_are_rejected(blobs: BlobServiceClient, bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid container name"):
        BlobStore(blobs, bad)
