"""The tool-socket worker's internal API against a real loopback WebSocket tool server: one socket per
session, ``initialize`` first, calls answered by callId on that socket, pushes relayed to the app."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from tests.fakes.session_tool_server import SessionToolServer
from tests.fakes.tool_sockets_worker import ToolSocketsWorker

T = 30


class FakeApp:
    """Where the worker posts pushes: records (path, headers, body)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], Any]] = []
        self.arrived = threading.Event()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                app.posts.append((self.path, dict(self.headers.items()), body))
                app.arrived.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def wait(self, count: int) -> None:
        deadline = time.monotonic() + 20
        while len(self.posts) < count and time.monotonic() < deadline:
            self.arrived.wait(0.1)
        assert len(self.posts) >= count, self.posts


@pytest.fixture
def app() -> Iterator[FakeApp]:
    fake = FakeApp()
    yield fake
    fake.http.shutdown()


@pytest.fixture
def worker(app: FakeApp, tmp_path) -> Iterator[ToolSocketsWorker]:
    running = ToolSocketsWorker(app.url, tmp_path / "logs").start()
    yield running
    running.stop()


def _post(worker: ToolSocketsWorker, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{worker.url}{path}", json=body, headers=worker.headers, timeout=T)


def _open(worker: ToolSocketsWorker, url: str, **fields: Any) -> requests.Response:
    body = {
        "url": url,
        "headers": {"X-Tool-Key": "k1"},
        "functions": [{"name": "lookup", "description": "Looks up.", "parameters": {"type": "object"}}],
        "metadata": {"external_client_id": "user_7", "tags": {"plan": "gold"}},
        "receiveMessages": True,
        "waitBeforeStart": True,
        **fields,
    }
    return _post(worker, "/sessions/sess_1/sockets", body)


def _refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"ws://127.0.0.1:{port}/gone"


def test_every_request_needs_the_bearer(worker: ToolSocketsWorker):
    assert requests.delete(f"{worker.url}/sessions/s", timeout=T).status_code == 401
    wrong = {"Authorization": "Bearer not-the-secret"}
    assert requests.delete(f"{worker.url}/sessions/s", headers=wrong, timeout=T).status_code == 401
    assert requests.delete(f"{worker.url}/sessions/s", headers=worker.headers, timeout=T).json() == {
        "closed": 0
    }


def test_one_socket_per_session_initialize_calls_pushes_conversation_and_close(
    worker: ToolSocketsWorker, app: FakeApp
):
    with SessionToolServer(lambda frame: {"found": frame["arguments"]["q"]}) as tool:
        opened = _open(worker, tool.url())
        assert (opened.status_code, opened.json()) == (200, {"connected": True})
        [initialize] = tool.wait_for(lambda t: t.frames_of("initialize"))
        assert initialize["data"] == {
            "session_id": "sess_1",
            "functions": [{"name": "lookup", "description": "Looks up.", "parameters": {"type": "object"}}],
            "metadata": {"external_client_id": "user_7", "tags": {"plan": "gold"}},
        }
        assert tool.handshakes[0]["x-tool-key"] == "k1"

        for call_id in ("call_1", "call_2"):
            frame = {"callId": call_id, "sessionId": "sess_1", "name": "lookup", "arguments": {"q": call_id}}
            called = _post(
                worker, "/sessions/sess_1/calls", {"url": tool.url(), "call": frame, "timeoutSeconds": 5}
            )
            assert called.status_code == 200
            assert called.json()["answer"] == {"callId": call_id, "result": {"found": call_id}}
        assert len(tool.handshakes) == 1  # both calls on the session's one socket
        assert [f["callId"] for f in tool.frames if "callId" in f] == ["call_1", "call_2"]

        tool.push("ui_update", {"card": "confirm", "items": [1, 2]})
        tool.push("context_update", {"content": "Order shipped.", "role": "system", "trigger_response": True})
        tool.push("not_a_push_type", {"ignored": True})
        app.wait(2)
        paths = [p for p, _, _ in app.posts]
        assert paths == ["/runtime/tool-sockets/sess_1/events"] * 2
        assert [b for _, _, b in app.posts] == [
            {"type": "ui_update", "data": {"card": "confirm", "items": [1, 2]}},
            {
                "type": "context_update",
                "data": {"content": "Order shipped.", "role": "system", "trigger_response": True},
            },
        ]
        assert all(h["Authorization"] == f"Bearer {worker.secret}" for _, h, _ in app.posts)

        item = {"type": "message", "role": "user", "action": "completed", "content": "hi"}
        sent = _post(worker, "/sessions/sess_1/conversation", {"item": item})
        assert sent.json() == {"sent": 1}
        [streamed] = tool.wait_for(lambda t: t.frames_of("message_received"))
        assert streamed == {"type": "message_received", "data": {"message": item}}

        closed = requests.delete(f"{worker.url}/sessions/sess_1", headers=worker.headers, timeout=T)
        assert closed.json() == {"closed": 1}
        tool.wait_for(lambda t: t.closed == 1)
        after = _post(worker, "/sessions/sess_1/calls", {"url": tool.url(), "call": {"callId": "c3"}})
        assert after.status_code == 502


def test_a_socket_that_cannot_connect_is_502_and_so_are_its_calls(worker: ToolSocketsWorker):
    url = _refused_url()
    for wait in (True, False):
        refused = _open(worker, url, waitBeforeStart=wait)
        assert refused.status_code == 502
        assert "could not reach the endpoint" in refused.json()["error"]
    called = _post(
        worker, "/sessions/sess_1/calls", {"url": url, "call": {"callId": "c1"}, "timeoutSeconds": 2}
    )
    assert called.status_code == 502
    nowhere = _post(worker, "/sessions/other/calls", {"url": url, "call": {"callId": "c1"}})
    assert nowhere.status_code == 502


def test_a_call_not_answered_in_time_is_504(worker: ToolSocketsWorker):
    release = threading.Event()

    def slow(frame: dict[str, Any]) -> Any:
        release.wait(10)
        return "late"

    with SessionToolServer(slow) as tool:
        assert _open(worker, tool.url()).status_code == 200
        frame = {"callId": "call_slow", "arguments": {}}
        called = _post(
            worker, "/sessions/sess_1/calls", {"url": tool.url(), "call": frame, "timeoutSeconds": 0.5}
        )
        release.set()
        assert called.status_code == 504


def test_bad_bodies_are_400(worker: ToolSocketsWorker):
    assert _post(worker, "/sessions/s/sockets", {"headers": {}}).status_code == 400
    assert _post(worker, "/sessions/s/calls", {"url": "ws://x", "call": {}}).status_code == 400
    assert _post(worker, "/sessions/s/conversation", {"item": "text"}).status_code == 400
    raw = requests.post(f"{worker.url}/sessions/s/calls", data=b"{", headers=worker.headers, timeout=T)
    assert raw.status_code == 400


def test_outside_local_mode_loopback_tool_servers_are_refused(app: FakeApp, tmp_path):
    worker = ToolSocketsWorker(app.url, tmp_path / "logs", environment="azure").start()
    try:
        with SessionToolServer() as tool:
            refused = _open(worker, tool.url())
            assert refused.status_code == 502
            assert "the endpoint URL is refused" in refused.json()["error"]
            assert tool.handshakes == []
    finally:
        worker.stop()
