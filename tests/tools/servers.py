"""Real tool endpoints on 127.0.0.1 for the tests: a stdlib HTTP server and a `websockets` server, each
in a thread, recording what they received (with server-side times)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Response
from websockets.sync.server import ServerConnection, serve

from shared.tools.records import ToolCall
from shared.tools.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

SECRET = "whsec_test_secret"


@dataclass
class Received:
    """One request (HTTP) or request frame (WebSocket) as the endpoint saw it."""

    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        return verify(
            secret,
            self.headers.get(TIMESTAMP_HEADER, ""),
            self.body,
            self.headers.get(SIGNATURE_HEADER, ""),
            time.time(),
        )


# An HTTP behaviour: what to answer to a request (status, headers, body); called on the server's thread.
Answer = tuple[int, dict[str, str], bytes]
Behaviour = Callable[[Received], Answer]


def json_answer(status: int, document: Any, headers: dict[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(document).encode()


def echo_when_signed(received: Received) -> Answer:
    """A well-behaved tool: 401 unless the signature verifies, else the arguments back."""
    if not received.signed_by(SECRET):
        return json_answer(401, {"error": "bad signature"})
    return json_answer(200, {"echo": received.json["arguments"]})


class HttpToolServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.received: list[Received] = []
        self.release = threading.Event()  # slow behaviours wait on it; set when the server stops
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received = Received(
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length),
                )
                server.received.append(received)
                status, headers, body = server.behaviour(received)
                received.ended = time.monotonic()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the caller gave up (timeout): nobody to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._http.block_on_close = False
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    def url(self, path: str = "/tool") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> HttpToolServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._http.shutdown()
        self._http.server_close()


# A WebSocket behaviour: given the connection and the first frame, answer (or not).
WsBehaviour = Callable[[ServerConnection, Received], None]


class WebSocketToolServer:
    def __init__(
        self,
        behaviour: WsBehaviour,
        *,
        reject_unsigned: bool = False,
        handshake_answer: tuple[int, dict[str, str]] | None = None,
    ) -> None:
        """``handshake_answer``: refuse every handshake with this status and headers."""
        self.behaviour = behaviour
        self.received: list[Received] = []
        self.handshakes: list[dict[str, str]] = []
        self.release = threading.Event()

        def handler(connection: ServerConnection) -> None:
            assert connection.request is not None
            headers = {name.lower(): value for name, value in connection.request.headers.raw_items()}
            try:
                frame = connection.recv(timeout=5)
            except Exception:
                return
            received = Received(path=connection.request.path, headers=headers, body=_bytes(frame))
            self.received.append(received)
            if reject_unsigned and not received.signed_by(SECRET):
                connection.send(json.dumps({"callId": received.json["callId"], "error": "bad signature"}))
                return
            behaviour(connection, received)
            received.ended = time.monotonic()

        def process_request(connection: ServerConnection, request: Any) -> Any:
            self.handshakes.append({name.lower(): value for name, value in request.headers.raw_items()})
            if handshake_answer is None:
                return None
            status, headers = handshake_answer
            return Response(status, "refused", Headers(list(headers.items())), b"")

        self._server = serve(handler, "127.0.0.1", 0, process_request=process_request)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.socket.getsockname()[1])

    def url(self, path: str = "/tool") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def start(self) -> WebSocketToolServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()


def _bytes(frame: str | bytes) -> bytes:
    return frame.encode() if isinstance(frame, str) else frame


def a_call(call_id: str = "call_1", **arguments: object) -> ToolCall:
    return ToolCall(
        call_id=call_id,
        session_id="ses_1",
        agent_id="agt_1",
        name="get_weather",
        arguments=dict(arguments) or {"city": "Oslo"},
    )
