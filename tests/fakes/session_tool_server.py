"""A WebSocket tool server on 127.0.0.1 that keeps its sockets: it records every frame and every
handshake, answers each call frame (``callId``) with ``answer(frame)``, and can push frames
(``ui_update``, ``context_update``) on the newest socket."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.sync.server import ServerConnection, serve


class SessionToolServer:
    def __init__(self, answer: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.answer = answer or (lambda frame: {"echo": frame.get("arguments")})
        self.frames: list[dict[str, Any]] = []
        self.handshakes: list[dict[str, str]] = []
        self.connections: list[ServerConnection] = []
        self.closed = 0
        self._changed = threading.Condition()

        def handler(connection: ServerConnection) -> None:
            assert connection.request is not None
            with self._changed:
                self.handshakes.append({k.lower(): v for k, v in connection.request.headers.raw_items()})
                self.connections.append(connection)
                self._changed.notify_all()
            try:
                for message in connection:
                    frame = json.loads(message)
                    with self._changed:
                        self.frames.append(frame)
                        self._changed.notify_all()
                    if "callId" in frame:
                        connection.send(json.dumps({"callId": frame["callId"], "result": self.answer(frame)}))
            except Exception:
                pass
            with self._changed:
                self.closed += 1
                self._changed.notify_all()

        self._server = serve(handler, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.socket.getsockname()[1])

    def url(self, path: str = "/tools") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def start(self) -> SessionToolServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def __enter__(self) -> SessionToolServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def push(self, kind: str, data: Any) -> None:
        self.connections[-1].send(json.dumps({"type": kind, "data": data}))

    def wait_for(self, predicate: Callable[[SessionToolServer], Any], timeout: float = 20.0) -> Any:
        """Wait until ``predicate(self)`` is truthy and answer it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (found := predicate(self)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the tool server did not see it; frames: {self.frames}")
                self._changed.wait(left)
        return found

    def frames_of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == kind]
