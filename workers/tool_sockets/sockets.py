"""One socket to one WebSocket tool server, held for the life of one session.

Opened at the session's start: the address rule first (``shared.tools.connections.checked_target``:
loopback and private addresses are refused unless private targets are allowed, and the socket goes to
the addresses that check approved), then the handshake with the function's headers (and the
signature headers, computed over the ``initialize`` frame with the function's signing secret), then
the ``initialize`` frame. While it is open, frames from the tool server are read in one loop:

- a JSON object whose ``callId`` is a call waiting here answers that call;
- ``{"type": "ui_update" | "context_update", "data": ...}`` is a push, handed in order to ``push``;
- anything else is ignored.

A dropped socket is logged and not reopened: the calls waiting fail, later calls fail at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from shared.functions.addresses import HostPort, UnsafeEndpoint
from shared.tools.connections import checked_target, open_socket, request_headers
from shared.tools.signing import signature_headers

log = logging.getLogger("omniagent.tool_sockets")

Push = Callable[[str, str, Any], Awaitable[None]]  # (session id, type, data)

MAX_FRAME_BYTES = 1024 * 1024
USER_AGENT = "Omniagent-Tools/1"
PUSHED_TYPES = frozenset({"ui_update", "context_update"})
_RESERVED_HEADERS = frozenset(
    {"host", "connection", "upgrade", "content-length", "transfer-encoding", "user-agent"}
)


class SocketUnavailable(Exception):
    """The socket is not open (it failed, dropped or was closed); the message says why."""


class ToolSocket:
    """The socket of one session to one tool server URL."""

    def __init__(
        self,
        session_id: str,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        functions: list[Any],
        metadata: Mapping[str, Any],
        receive_messages: bool,
        allow_private: bool,
        push: Push,
        own_host: HostPort | None = None,
        connect_timeout: float = 10.0,
        signing_secret: str | None = None,
    ) -> None:
        self.session_id, self.url = session_id, url
        self.receive_messages = receive_messages
        initialize = {
            "type": "initialize",
            "data": {"session_id": session_id, "functions": functions, "metadata": dict(metadata)},
        }
        self._initialize = json.dumps(initialize, ensure_ascii=False, separators=(",", ":"))
        # The handshake is signed over the first frame, as the one-exchange path signs its call frame.
        signed = signature_headers(signing_secret, str(int(time.time())), self._initialize.encode())
        self._headers = request_headers(headers, signed, _RESERVED_HEADERS)
        self._allow_private = allow_private
        self._own_host = own_host  # the app: never a tool server, even with private targets allowed
        self._push = push
        self._connect_timeout = connect_timeout
        self._connection: ClientConnection | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._pushes: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()
        self._settled = asyncio.Event()  # connected, or failed
        self.failure: str | None = None
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._pusher: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and self.failure is None and not self._closed

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"tool-socket {self.session_id}")
        self._pusher = asyncio.create_task(self._forward_pushes(), name=f"tool-pushes {self.session_id}")

    async def settled(self, timeout: float) -> bool:
        """Wait until the socket is connected or failed (False: still connecting after ``timeout``)."""
        try:
            await asyncio.wait_for(self._settled.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def call(self, frame: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Send a call frame and answer the frame with its ``callId``. Raises ``TimeoutError`` and
        ``SocketUnavailable``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if not self._settled.is_set() and not await self.settled(timeout):
            raise TimeoutError("the tool server's socket did not connect in time")
        connection = self._open_connection()
        call_id = str(frame.get("callId", ""))
        waiter: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[call_id] = waiter
        try:
            await connection.send(json.dumps(frame, ensure_ascii=False, separators=(",", ":")))
            return await asyncio.wait_for(waiter, max(0.0, deadline - loop.time()))
        except ConnectionClosed as closed:
            raise SocketUnavailable("the tool server closed the socket before answering") from closed
        finally:
            self._pending.pop(call_id, None)

    async def send_message(self, item: Mapping[str, Any]) -> bool:
        """Stream one conversation item (our shape: ``message_received`` with ``data.message``)."""
        if not (self.receive_messages and self.connected):
            return False
        frame = {"type": "message_received", "data": {"message": dict(item)}}
        try:
            await self._open_connection().send(json.dumps(frame, ensure_ascii=False))
        except (ConnectionClosed, SocketUnavailable):
            return False
        return True

    async def close(self) -> None:
        self._closed = True
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        for task in (self._task, self._pusher):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._fail_pending("the session's tool sockets were closed")

    def _open_connection(self) -> ClientConnection:
        if self._closed:
            raise SocketUnavailable("the session's tool sockets were closed")
        if self.failure is not None or self._connection is None:
            raise SocketUnavailable(self.failure or "the tool server's socket is not open")
        return self._connection

    async def _run(self) -> None:
        try:
            self._connection = await self._connect()
            await self._connection.send(self._initialize)
        except Exception as error:  # every way of not connecting is a failure of this socket
            self.failure = _connect_failure(error)
            log.warning("session %s: tool socket %s failed: %s", self.session_id, self.url, self.failure)
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    await self._connection.close()
            self._settled.set()
            return
        self._settled.set()
        log.info("session %s: tool socket %s open", self.session_id, self.url)
        try:
            async for message in self._connection:
                self._read(message)
        except ConnectionClosed:
            pass
        if not self._closed:
            self.failure = "the tool server closed the socket"
            log.warning("session %s: tool socket %s dropped", self.session_id, self.url)
        self._fail_pending(self.failure or "the socket was closed")

    async def _connect(self) -> ClientConnection:
        target = await asyncio.to_thread(
            checked_target, self.url, allow_private=self._allow_private, own_host=self._own_host
        )
        if target.scheme not in ("ws", "wss"):
            raise UnsafeEndpoint("must be a ws:// or wss:// URL")
        sock = await asyncio.to_thread(open_socket, target, self._connect_timeout)
        try:
            return await connect(
                self.url.strip(),
                sock=sock,  # our socket: no second DNS lookup, no proxy
                ssl=_default_tls() if target.scheme == "wss" else None,
                additional_headers=self._headers,
                user_agent_header=USER_AGENT,
                open_timeout=self._connect_timeout,
                max_size=MAX_FRAME_BYTES,
                proxy=None,
            )
        except BaseException:
            sock.close()
            raise

    def _read(self, message: str | bytes) -> None:
        try:
            frame = json.loads(message)
        except ValueError:
            return
        if not isinstance(frame, dict):
            return
        waiter = self._pending.get(str(frame.get("callId", ""))) if "callId" in frame else None
        if waiter is not None:
            if not waiter.done():
                waiter.set_result(frame)
        elif frame.get("type") in PUSHED_TYPES:
            self._pushes.put_nowait((frame["type"], frame.get("data")))

    async def _forward_pushes(self) -> None:
        while (pushed := await self._pushes.get()) is not None:
            try:
                await self._push(self.session_id, *pushed)
            except Exception:
                log.exception("session %s: a %s push was not delivered", self.session_id, pushed[0])

    def _fail_pending(self, reason: str) -> None:
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.set_exception(SocketUnavailable(reason))


@functools.cache
def _default_tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def _connect_failure(error: Exception) -> str:
    """Why connecting failed, without the exception's text where it may quote a header value."""
    if isinstance(error, UnsafeEndpoint):
        return f"the endpoint URL is refused: it {error}"
    if isinstance(error, InvalidStatus):
        return f"the endpoint refused the WebSocket connection (HTTP {error.response.status_code})"
    if isinstance(error, TimeoutError):
        return "could not connect to the endpoint in time"
    if isinstance(error, ssl.SSLError):
        return "the TLS handshake with the endpoint failed"
    if isinstance(error, OSError):
        return f"could not reach the endpoint ({type(error).__name__})"
    return f"could not open the WebSocket ({type(error).__name__})"
