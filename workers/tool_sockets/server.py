"""The worker's internal HTTP API (every request: ``Authorization: Bearer <secret>``, else 401).

- ``POST /sessions/{sid}/sockets`` ``{url, headers, functions, metadata, receiveMessages,
  waitBeforeStart, timeoutSeconds?, signingSecret?}``: opens the socket and sends ``initialize``. With
  ``waitBeforeStart`` it answers once connected (200 ``{"connected": true}``) or failed (502
  ``{"error"}``); without, after a short wait: a quick failure is still 502, a socket still connecting
  is 200 ``{"connected": false}`` (it goes on in the background; if it fails later the app is told
  with a ``socket_failed`` push).
- ``POST /sessions/{sid}/calls`` ``{url, call, timeoutSeconds}``: the call frame (the HTTP tool's
  body) on that url's socket; 200 ``{"answer"}`` (the frame with the same ``callId``), 504 when no
  answer came in time, 502 when there is no open socket.
- ``POST /sessions/{sid}/conversation`` ``{item}``: ``{"type": "message_received", "data": {"message":
  item}}`` to the session's sockets that asked for the conversation (``receiveMessages``). This frame
  shape is ours: the published pages do not give one.
- ``DELETE /sessions/{sid}``: closes the session's sockets.

Pushes from a tool server go to the app: ``POST {app_url}/runtime/tool-sockets/{sid}/events`` with
the same bearer, body ``{type, data}``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from shared.functions.addresses import DEFAULT_PORTS, HostPort
from workers.tool_sockets.sockets import SocketUnavailable, ToolSocket

log = logging.getLogger("omniagent.tool_sockets")

MAX_BODY_BYTES = 1024 * 1024
SHORT_WAIT_SECONDS = 1.0  # waitBeforeStart false: the session starts after this at most
DEFAULT_CONNECT_SECONDS = 10.0
_PUSH_TIMEOUT = aiohttp.ClientTimeout(total=30)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class WorkerSettings:
    secret: str
    app_url: str
    allow_private: bool = False  # local mode: loopback and private tool servers allowed

    @classmethod
    def from_env(cls, env: dict[str, str]) -> WorkerSettings:
        secret = env.get("OMNI_TOOL_SOCKETS_SECRET") or ""
        app_url = env.get("OMNI_APP_URL") or ""
        if not secret or not app_url:
            raise SystemExit("OMNI_TOOL_SOCKETS_SECRET and OMNI_APP_URL are required")
        local = (env.get("OMNI_ENVIRONMENT") or "azure").strip().lower() == "local"
        return cls(secret, app_url.rstrip("/"), allow_private=local)

    @property
    def own_host(self) -> HostPort:
        """The app's host and port (from ``app_url``): never a tool server."""
        parts = urlsplit(self.app_url)
        return (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(parts.scheme, 443)


class Sessions:
    """The open sockets: session id -> url -> socket."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.sockets: dict[str, dict[str, ToolSocket]] = {}
        self._client: aiohttp.ClientSession | None = None
        self.background: set[asyncio.Task[None]] = set()

    async def push(self, session_id: str, kind: str, data: Any) -> None:
        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=_PUSH_TIMEOUT)
        url = f"{self.settings.app_url}/runtime/tool-sockets/{session_id}/events"
        headers = {"Authorization": f"Bearer {self.settings.secret}"}
        async with self._client.post(url, json={"type": kind, "data": data}, headers=headers) as answer:
            if answer.status >= 300:
                log.warning("session %s: the app answered %s to a %s push", session_id, answer.status, kind)

    async def close_session(self, session_id: str) -> int:
        sockets = self.sockets.pop(session_id, {})
        await asyncio.gather(*(s.close() for s in sockets.values()), return_exceptions=True)
        return len(sockets)

    async def shutdown(self) -> None:
        for session_id in list(self.sockets):
            await self.close_session(session_id)
        if self._client is not None:
            await self._client.close()


def make_app(settings: WorkerSettings) -> web.Application:
    sessions = Sessions(settings)
    app = web.Application(middlewares=[_bearer(settings.secret)], client_max_size=MAX_BODY_BYTES)
    app["sessions"] = sessions
    app.router.add_post("/sessions/{sid}/sockets", open_socket)
    app.router.add_post("/sessions/{sid}/calls", call)
    app.router.add_post("/sessions/{sid}/conversation", conversation)
    app.router.add_delete("/sessions/{sid}", close)

    async def on_cleanup(_: web.Application) -> None:
        await sessions.shutdown()

    app.on_cleanup.append(on_cleanup)
    return app


def _bearer(secret: str) -> Any:
    expected = f"Bearer {secret}".encode()

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return web.json_response({"error": "unauthorized"}, status=401)
        return await handler(request)

    return check


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _bad("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _bad("the body must be an object")
    return body


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def _url_of(body: dict[str, Any]) -> str:
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise _bad("url is required")
    return url


async def open_socket(request: web.Request) -> web.Response:
    sessions: Sessions = request.app["sessions"]
    session_id = request.match_info["sid"]
    body = await _body(request)
    url = _url_of(body)
    timeout = float(body.get("timeoutSeconds") or DEFAULT_CONNECT_SECONDS)
    previous = sessions.sockets.get(session_id, {}).pop(url, None)
    if previous is not None:
        await previous.close()
    socket = ToolSocket(
        session_id,
        url,
        headers=body.get("headers") or {},
        functions=list(body.get("functions") or []),
        metadata=body.get("metadata") or {},
        receive_messages=bool(body.get("receiveMessages")),
        allow_private=sessions.settings.allow_private,
        own_host=sessions.settings.own_host,
        push=sessions.push,
        connect_timeout=timeout,
        signing_secret=body.get("signingSecret") or None,
    )
    sessions.sockets.setdefault(session_id, {})[url] = socket
    socket.start()
    wait = timeout + 1.0 if body.get("waitBeforeStart") else SHORT_WAIT_SECONDS
    if not await socket.settled(wait):
        task = asyncio.create_task(_report_late_failure(sessions, socket))
        sessions.background.add(task)
        task.add_done_callback(sessions.background.discard)
        return web.json_response({"connected": False})
    if socket.failure is not None:
        return web.json_response({"error": socket.failure}, status=502)
    return web.json_response({"connected": True})


async def _report_late_failure(sessions: Sessions, socket: ToolSocket) -> None:
    """A socket that connected in the background and failed: the app tells the session's client."""
    await socket.settled(DEFAULT_CONNECT_SECONDS * 6)
    if socket.failure is not None:
        try:
            await sessions.push(
                socket.session_id, "socket_failed", {"url": socket.url, "error": socket.failure}
            )
        except Exception:
            log.exception("session %s: the socket failure was not reported", socket.session_id)


async def call(request: web.Request) -> web.Response:
    sessions: Sessions = request.app["sessions"]
    body = await _body(request)
    url = _url_of(body)
    frame = body.get("call")
    if not isinstance(frame, dict) or not frame.get("callId"):
        raise _bad("call.callId is required")
    timeout = float(body.get("timeoutSeconds") or DEFAULT_CONNECT_SECONDS)
    socket = sessions.sockets.get(request.match_info["sid"], {}).get(url)
    if socket is None:
        return web.json_response({"error": "no socket to this tool server in this session"}, status=502)
    try:
        answer = await socket.call(frame, timeout)
    except TimeoutError:
        return web.json_response({"error": f"timed out after {timeout:g} s"}, status=504)
    except SocketUnavailable as unavailable:
        return web.json_response({"error": str(unavailable)}, status=502)
    return web.json_response({"answer": answer})


async def conversation(request: web.Request) -> web.Response:
    sessions: Sessions = request.app["sessions"]
    body = await _body(request)
    item = body.get("item")
    if not isinstance(item, dict):
        raise _bad("item must be an object")
    sockets = list(sessions.sockets.get(request.match_info["sid"], {}).values())
    sent = await asyncio.gather(*(s.send_message(item) for s in sockets))
    return web.json_response({"sent": sum(1 for s in sent if s)})


async def close(request: web.Request) -> web.Response:
    sessions: Sessions = request.app["sessions"]
    closed = await sessions.close_session(request.match_info["sid"])
    return web.json_response({"closed": closed})
