"""Knowledge files end to end on devhost and Azurite: uploads in every form, the durable ingestion
(status, progress, counts), dedup, limits, deletion, and the search extension."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.knowledge.local_index import LocalIndex, local_index_path
from tests.e2e.conftest import error_of
from tests.fakes.scripted_openai import embedding_vector
from tests.knowledge.documents import HANDBOOK, Part, make_docx, make_html, make_markdown, make_pdf

T = 30
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def new_collection(platform: Any, key: Any) -> str:
    answer = requests.post(
        platform.url("/public/knowledge-bases"), json={"name": "Handbook"}, headers=key.headers, timeout=T
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def files_url(platform: Any, kb: str, suffix: str = "") -> str:
    return platform.url(f"/public/knowledge-bases/{kb}/files{suffix}")


def upload_file(
    platform: Any, key: Any, kb: str, name: str, data: bytes, content_type: str = "application/octet-stream"
) -> requests.Response:
    return requests.post(
        files_url(platform, kb), files={"file": (name, data, content_type)}, headers=key.headers, timeout=T
    )


def wait_until_done(
    platform: Any, key: Any, kb: str, file_id: str, timeout: float = 90
) -> tuple[dict, list[int]]:
    """The file once ready or failed, and every progress value seen while polling."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = requests.get(files_url(platform, kb, f"/{file_id}"), headers=key.headers, timeout=T)
        assert answer.status_code == 200, answer.text
        file = answer.json()
        seen.append(file["progress"])
        if file["status"] in ("ready", "failed"):
            return file, seen
        time.sleep(0.05)
    raise AssertionError(f"file {file_id} still {file['status']} after {timeout} s")


def search(platform: Any, key: Any, kb: str, query: str, top: int = 5) -> list[dict]:
    answer = requests.post(
        platform.url(f"/public/knowledge-bases/{kb}/search"),
        json={"query": query, "top": top},
        headers=key.headers,
        timeout=T,
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("handbook.pdf", make_pdf(HANDBOOK), "application/pdf"),
        (
            "handbook.docx",
            make_docx(HANDBOOK),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("handbook.html", make_html(HANDBOOK), "text/html"),
        ("handbook.md", make_markdown(HANDBOOK), "text/markdown"),
    ],
)
def test_an_uploaded_file_is_ingested_and_searchable(platform, project_key, name, data, content_type):
    kb = new_collection(platform, project_key)
    answer = upload_file(platform, project_key, kb, name, data)
    assert answer.status_code == 201, answer.text
    queued = answer.json()
    assert queued["id"].startswith("file_") and queued["originalName"] == name
    assert queued["contentType"] == content_type  # judged from the bytes, not the part's type
    assert queued["status"] == "queued" and queued["progress"] == 0
    assert queued["createdAt"].endswith("Z") and queued["sizeBytes"] == len(data)

    ready, _ = wait_until_done(platform, project_key, kb, queued["id"])
    assert ready["status"] == "ready", ready
    assert ready["progress"] == 100 and ready["chunkCount"] >= 1 and ready["characterCount"] > 100
    assert ready["error"] is None and ready["summary"]
    if name.endswith(".pdf"):
        assert ready["pageCount"] == 2

    results = search(platform, project_key, kb, "how long does delivery to Canada take")
    assert results and results[0]["fileId"] == queued["id"]
    assert "seven to ten business days" in results[0]["text"]
    assert results[0]["headings"][0] == "Shipping"


def test_json_text_upload_and_the_same_content_again_answers_the_existing_file(platform, project_key):
    kb = new_collection(platform, project_key)
    body = {"text": "# Opening hours\n\nThe shop opens at nine and closes at six.", "name": "hours.md"}
    first = requests.post(files_url(platform, kb), json=body, headers=project_key.headers, timeout=T)
    assert first.status_code == 201, first.text
    assert first.json()["contentType"] == "text/markdown"
    again = requests.post(
        files_url(platform, kb), json={**body, "name": "copy.md"}, headers=project_key.headers, timeout=T
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    listing = requests.get(files_url(platform, kb), headers=project_key.headers, timeout=T).json()
    assert listing["totalCount"] == 1
    ready, _ = wait_until_done(platform, project_key, kb, first.json()["id"])
    assert ready["title"] == "Opening hours"


class _Documents(http.server.BaseHTTPRequestHandler):
    files: dict[str, tuple[int, bytes, str]] = {}

    def do_GET(self) -> None:
        status, body, content_type = self.files.get(self.path, (404, b"not here", "text/plain"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def document_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_url_upload_is_downloaded_then_ingested(platform, project_key, document_server):
    _Documents.files["/docs/returns-policy.md"] = (200, make_markdown(HANDBOOK), "text/markdown")
    kb = new_collection(platform, project_key)
    url = f"{document_server}/docs/returns-policy.md"
    answer = requests.post(files_url(platform, kb), json={"url": url}, headers=project_key.headers, timeout=T)
    assert answer.status_code == 201, answer.text
    assert answer.json()["originalName"] == "returns-policy.md" and answer.json()["sourceUrl"] == url
    assert answer.json()["contentType"] == "text/markdown"  # from the name until the content is judged
    ready, _ = wait_until_done(platform, project_key, kb, answer.json()["id"])
    assert ready["status"] == "ready" and ready["contentType"] == "text/markdown", ready
    assert ready["sha256"] and ready["sizeBytes"] == len(make_markdown(HANDBOOK))
    assert search(platform, project_key, kb, "refund for an unused item")[0]["fileId"] == ready["id"]

    # The same content from another address is a duplicate: it fails, naming the file it repeats.
    _Documents.files["/mirror.md"] = (200, make_markdown(HANDBOOK), "text/markdown")
    copy = requests.post(
        files_url(platform, kb),
        json={"url": f"{document_server}/mirror.md"},
        headers=project_key.headers,
        timeout=T,
    )
    duplicate, _ = wait_until_done(platform, project_key, kb, copy.json()["id"])
    assert duplicate["status"] == "failed" and duplicate["error"]["code"] == "DuplicateContent"
    assert ready["id"] in duplicate["error"]["message"]


def test_a_url_that_cannot_give_the_document_fails_with_a_reason(platform, project_key, document_server):
    kb = new_collection(platform, project_key)
    missing = requests.post(
        files_url(platform, kb),
        json={"url": f"{document_server}/gone.pdf"},
        headers=project_key.headers,
        timeout=T,
    )
    assert missing.status_code == 201
    failed, _ = wait_until_done(platform, project_key, kb, missing.json()["id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "DownloadFailed"
    assert "HTTP 404" in failed["error"]["message"]

    _Documents.files["/photo.md"] = (200, PNG, "text/markdown")
    image = requests.post(
        files_url(platform, kb),
        json={"url": f"{document_server}/photo.md"},
        headers=project_key.headers,
        timeout=T,
    )
    refused, _ = wait_until_done(platform, project_key, kb, image.json()["id"])
    assert refused["error"]["code"] == "UnsupportedMediaType" and "PNG" in refused["error"]["message"]


def test_limits_and_bad_uploads_answer_4xx_and_store_nothing(platform, project_key):
    kb = new_collection(platform, project_key)
    too_big = upload_file(
        platform, project_key, kb, "big.md", b"# Big\n\n" + b"word " * (2 * 1024 * 1024 + 1)
    )
    assert too_big.status_code == 413, too_big.text
    assert "10485760" in error_of(too_big)["description"]
    image = upload_file(platform, project_key, kb, "notes.txt", PNG, "text/plain")
    assert image.status_code == 415 and "PNG" in error_of(image)["description"]
    no_part = requests.post(
        files_url(platform, kb), files={"other": ("a.txt", b"hello")}, headers=project_key.headers, timeout=T
    )
    assert no_part.status_code == 400 and "file" in no_part.text
    both = requests.post(
        files_url(platform, kb),
        json={"url": "https://example.com/a.pdf", "text": "x"},
        headers=project_key.headers,
        timeout=T,
    )
    assert both.status_code == 400
    ftp = requests.post(
        files_url(platform, kb),
        json={"url": "ftp://example.com/a.pdf"},
        headers=project_key.headers,
        timeout=T,
    )
    assert ftp.status_code == 400 and "url" in ftp.text
    xml = requests.post(
        files_url(platform, kb),
        data=b"<a/>",
        headers={**project_key.headers, "Content-Type": "application/xml"},
        timeout=T,
    )
    assert xml.status_code == 415
    unknown = requests.post(
        files_url(platform, "kb_doesnotexist000000"),
        json={"text": "hello"},
        headers=project_key.headers,
        timeout=T,
    )
    assert unknown.status_code == 404
    listing = requests.get(files_url(platform, kb), headers=project_key.headers, timeout=T).json()
    assert listing["totalCount"] == 0


def test_a_collection_holds_at_most_30_files(platform, project_key):
    kb = new_collection(platform, project_key)
    for number in range(30):
        answer = requests.post(
            files_url(platform, kb),
            json={"text": f"Note number {number}."},
            headers=project_key.headers,
            timeout=T,
        )
        assert answer.status_code == 201, answer.text
    refused = requests.post(
        files_url(platform, kb), json={"text": "One too many."}, headers=project_key.headers, timeout=T
    )
    assert refused.status_code == 409 and error_of(refused)["code"] == "TooManyFiles"


def test_summary_can_be_replaced(platform, project_key):
    kb = new_collection(platform, project_key)
    created = upload_file(platform, project_key, kb, "handbook.md", make_markdown(HANDBOOK)).json()
    wait_until_done(platform, project_key, kb, created["id"])
    patched = requests.patch(
        files_url(platform, kb, f"/{created['id']}/summary"),
        json={"summary": "Return policy and refund procedures for all regions"},
        headers=project_key.headers,
        timeout=T,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["summary"] == "Return policy and refund procedures for all regions"
    empty = requests.patch(
        files_url(platform, kb, f"/{created['id']}/summary"),
        json={"summary": ""},
        headers=project_key.headers,
        timeout=T,
    )
    assert empty.status_code == 400


def _index(platform: Any) -> LocalIndex:
    return LocalIndex(local_index_path(Path(platform.settings.knowledge_dir)))


def test_deleting_a_file_or_the_collection_removes_its_passages(platform, project_key):
    kb = new_collection(platform, project_key)
    handbook = upload_file(platform, project_key, kb, "handbook.md", make_markdown(HANDBOOK)).json()
    kettles = upload_file(
        platform,
        project_key,
        kb,
        "kettles.md",
        make_markdown([Part("Kettles", 1, ["Our kettles boil water fast."])]),
    ).json()
    for file in (handbook, kettles):
        assert wait_until_done(platform, project_key, kb, file["id"])[0]["status"] == "ready"
    with _index(platform) as index:
        assert index.count(project_key.project_id, kb, handbook["id"]) >= 1

    gone = requests.delete(
        files_url(platform, kb, f"/{handbook['id']}"), headers=project_key.headers, timeout=T
    )
    assert gone.status_code == 204
    assert (
        requests.get(
            files_url(platform, kb, f"/{handbook['id']}"), headers=project_key.headers, timeout=T
        ).status_code
        == 404
    )
    assert all(r["fileId"] != handbook["id"] for r in search(platform, project_key, kb, "delivery to Canada"))
    with _index(platform) as index:
        assert index.count(project_key.project_id, kb, handbook["id"]) == 0
        assert index.count(project_key.project_id, kb, kettles["id"]) >= 1

    removed = requests.delete(
        platform.url(f"/public/knowledge-bases/{kb}"), headers=project_key.headers, timeout=T
    )
    assert removed.status_code == 204
    with _index(platform) as index:
        assert index.count(project_key.project_id, kb) == 0


def test_progress_moves_as_batches_are_embedded(platform, project_key_factory, model):
    key = project_key_factory(
        provider={
            "type": "openai-compatible",
            "baseUrl": model.base_url,
            "model": "gpt-scripted",
            "embeddingModel": "embed-1",
        }
    )
    model.embed_with(lambda text, dimensions: _slow_vector(text, dimensions))
    kb = new_collection(platform, key)
    long_text = "\n\n".join(
        f"## Topic {n}\n\n" + " ".join(f"Sentence {n}.{m} about item {n} and its care." for m in range(12))
        for n in range(150)
    )
    created = requests.post(
        files_url(platform, kb), json={"text": long_text, "name": "care.md"}, headers=key.headers, timeout=T
    )
    ready, seen = wait_until_done(platform, key, kb, created.json()["id"], timeout=180)
    assert ready["status"] == "ready" and ready["chunkCount"] > 128, ready
    assert any(5 < value < 100 for value in seen), seen  # the bar moved between the steps
    assert seen == sorted(seen)  # and never backwards
    inputs = sum(len(request.inputs) for request in model.embedding_requests)
    assert inputs >= ready["chunkCount"]
    results = search(platform, key, kb, "care of item 42")
    assert results and "item 42" in results[0]["text"]
    assert model.embedding_requests[-1].inputs == ["care of item 42"]  # the query was embedded too


def _slow_vector(text: str, dimensions: int) -> list[float]:
    time.sleep(0.005)  # a batch of 64 takes about a third of a second: the poller sees the steps
    return embedding_vector(text, dimensions)
