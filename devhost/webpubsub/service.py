"""The Web PubSub stand-in: client WebSocket endpoint, connections, groups and users, event delivery.

A plain WebSocket client connects to ``GET /client/hubs/{hub}`` with the access token the app's
negotiate route hands out (``?access_token=`` or ``Authorization: Bearer``). The flow is the service's
for raw WebSocket clients: token check (401, no upgrade), the blocking ``connect`` event (a non-2xx
answer is the client's answer; a 200 JSON answer may set ``userId``, ``groups``, ``roles``,
``subprotocol``), upgrade, ``connected``, one ``message`` user event per frame (the answer's body, if
any, goes back to that client; a failed answer drops the connection), ``disconnected`` when the socket
closes. Each connection's events are delivered one at a time, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from . import tokens
from .config import StandInConfig
from .events import JSON_CONTENT_TYPE, DeliveryError, EventHandlerClient

log = logging.getLogger("devhost.webpubsub")

CLIENT_PATH = "/client/hubs/{hub}"
REST_PREFIX = "/api/hubs/"
# Headers of the client's request that the connect event's body leaves out, as the service does.
_HIDDEN_CONNECT_HEADERS = frozenset({"authorization"})
_CLOSE_REASON_BYTES = 123  # the most a WebSocket close frame's reason may hold


@dataclass(eq=False)
class Connection:
    id: str
    hub: str
    user_id: str | None
    roles: list[str]
    subprotocol: str | None
    ws: web.WebSocketResponse | None = None
    state: str | None = None  # ce-connectionState
    groups: set[str] = field(default_factory=set)
    permissions: set[tuple[str, str]] = field(default_factory=set)  # (permission, targetName or "")
    close_reason: str | None = None
    _event_id: int = 0
    _send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _queue: asyncio.Queue[tuple[str, bytes, str] | None] = field(default_factory=asyncio.Queue)

    def next_event_id(self) -> int:
        current = self._event_id
        self._event_id += 1
        return current

    async def send(self, data: str | bytes) -> None:
        ws = self.ws
        if ws is None or ws.closed:
            return
        async with self._send_lock:
            try:
                if isinstance(data, bytes):
                    await ws.send_bytes(data)
                else:
                    await ws.send_str(data)
            except (ConnectionError, RuntimeError) as error:
                log.debug("Web PubSub: sending to %s failed: %r", self.id, error)

    async def close(self, reason: str, code: int = WSCloseCode.OK) -> None:
        if self.close_reason is None:
            self.close_reason = reason
        ws = self.ws
        if ws is not None and not ws.closed:
            message = reason.encode()[:_CLOSE_REASON_BYTES]
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.close(code=code, message=message)


@dataclass
class Hub:
    name: str
    connections: dict[str, Connection] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> connection ids
    users: dict[str, set[str]] = field(default_factory=dict)  # user id -> connection ids

    def add(self, connection: Connection) -> None:
        self.connections[connection.id] = connection
        if connection.user_id:
            self.users.setdefault(connection.user_id, set()).add(connection.id)
        for group in list(connection.groups):
            self.join(connection, group)

    def remove(self, connection: Connection) -> None:
        if self.connections.get(connection.id) is not connection:
            return
        del self.connections[connection.id]
        for group in list(connection.groups):
            self.leave(connection, group)
        if connection.user_id:
            ids = self.users.get(connection.user_id, set())
            ids.discard(connection.id)
            if not ids:
                self.users.pop(connection.user_id, None)

    def join(self, connection: Connection, group: str) -> None:
        connection.groups.add(group)
        self.groups.setdefault(group, set()).add(connection.id)

    def leave(self, connection: Connection, group: str) -> None:
        connection.groups.discard(group)
        members = self.groups.get(group)
        if members is not None:
            members.discard(connection.id)
            if not members:
                del self.groups[group]

    def group_members(self, group: str) -> list[Connection]:
        return [self.connections[c] for c in sorted(self.groups.get(group, ())) if c in self.connections]

    def user_connections(self, user_id: str) -> list[Connection]:
        return [self.connections[c] for c in sorted(self.users.get(user_id, ())) if c in self.connections]


class WebPubSubStandIn:
    """Mounted on devhost's aiohttp app: ``/client/hubs/{hub}`` and ``/api/hubs/{hub}/...``."""

    def __init__(self, config: StandInConfig, base_url: str) -> None:
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.events = EventHandlerClient(config.handler_template, base_url, config.access_key, config.origin)
        self.hubs: dict[str, Hub] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    # -- wiring --------------------------------------------------------------------------------

    def register(self, app: web.Application) -> None:
        from .rest import RestApi

        app.router.add_get(CLIENT_PATH, self._client_endpoint)
        RestApi(self).register(app.router)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._on_cleanup)

    def client_url(self, hub: str | None = None) -> str:
        return "ws" + self.config.endpoint[4:] + f"/client/hubs/{hub or self.config.hub}"

    def handler_url(self, hub: str | None = None) -> str | None:
        return self.events.url(hub or self.config.hub) if self.events.enabled else None

    async def _on_startup(self, _app: web.Application) -> None:
        await self.events.start()

    async def _on_shutdown(self, _app: web.Application) -> None:
        # The app's handler is served by this same host, which is stopping: no more deliveries.
        self._stopping = True
        for hub in self.hubs.values():
            for connection in list(hub.connections.values()):
                await connection.close("The host is shutting down.", WSCloseCode.GOING_AWAY)

    async def _on_cleanup(self, _app: web.Application) -> None:
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=5)
            for task in pending:
                task.cancel()
        await self.events.close()

    def hub(self, name: str) -> Hub:
        key = name.lower()  # hub names are case-insensitive
        if key not in self.hubs:
            self.hubs[key] = Hub(key)
        return self.hubs[key]

    # -- the client endpoint -------------------------------------------------------------------

    def _origins(self, request: web.Request) -> list[str]:
        return [self.config.endpoint, f"{request.scheme}://{request.host}"]

    async def _client_endpoint(self, request: web.Request) -> web.StreamResponse:
        hub_name = request.match_info["hub"].lower()
        token = request.query.get("access_token") or _bearer(request)
        if not token:
            return web.Response(status=401, text="An access token is required.")
        try:
            claims = tokens.check_client_token(
                token, self.config.access_key, hub_name, self._origins(request)
            )
        except tokens.TokenError as error:
            log.info("Web PubSub: refused a client of hub '%s': %s", hub_name, error)
            return web.Response(status=401, text="The access token is not valid for this hub.")

        if not web.WebSocketResponse().can_prepare(request).ok:
            return web.Response(status=400, text="A WebSocket upgrade request is expected.")

        user_id = claims.get("sub") if isinstance(claims.get("sub"), str) else None
        connection = Connection(
            id=uuid.uuid4().hex,
            hub=hub_name,
            user_id=user_id or None,
            roles=tokens.string_list(claims.get("role")),
            subprotocol=None,
        )
        connection.groups.update(tokens.string_list(claims.get("webpubsub.group")))
        requested = [
            p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
        ]

        if self.events.enabled:
            refused = await self._connect_event(connection, request, claims, requested)
            if refused is not None:
                return refused

        ws = web.WebSocketResponse(
            protocols=[connection.subprotocol] if connection.subprotocol else (), autoping=True
        )
        await ws.prepare(request)
        connection.ws = ws
        hub = self.hub(hub_name)
        hub.add(connection)
        log.info(
            "Web PubSub: connection %s to hub '%s' (user %r, groups %s)",
            connection.id,
            hub_name,
            connection.user_id,
            sorted(connection.groups),
        )
        worker = asyncio.create_task(self._deliver_in_order(connection))
        self._tasks.add(worker)
        worker.add_done_callback(self._tasks.discard)
        connection._queue.put_nowait(("connected", b"{}", JSON_CONTENT_TYPE))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    connection._queue.put_nowait(("message", message.data.encode(), "text/plain"))
                elif message.type == WSMsgType.BINARY:
                    connection._queue.put_nowait(("message", message.data, "application/octet-stream"))
                elif message.type == WSMsgType.ERROR:
                    connection.close_reason = (
                        connection.close_reason or f"Connection error: {ws.exception()!r}"
                    )
                    break
        finally:
            hub.remove(connection)
            if connection.close_reason is None:
                code = ws.close_code
                connection.close_reason = (
                    "" if code in (None, WSCloseCode.OK, 1001) else f"Closed with code {code}."
                )
            reason = connection.close_reason
            connection._queue.put_nowait(
                ("disconnected", json.dumps({"reason": reason}).encode(), JSON_CONTENT_TYPE)
            )
            connection._queue.put_nowait(None)
            log.info("Web PubSub: connection %s closed (%s)", connection.id, reason or "by the client")
        return ws

    async def _connect_event(
        self, connection: Connection, request: web.Request, claims: dict[str, Any], requested: list[str]
    ) -> web.Response | None:
        """Deliver ``connect``; None when the connection is accepted, else the client's answer."""
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            if name.lower() not in _HIDDEN_CONNECT_HEADERS:
                headers.setdefault(name, []).append(value)
        query: dict[str, list[str]] = {}
        for name, value in request.query.items():
            if name != "access_token":
                query.setdefault(name, []).append(value)
        body = {
            "claims": {name: tokens.string_list(value) for name, value in claims.items()},
            "query": query,
            "headers": headers,
            "subprotocols": requested,
            "clientCertificates": [],
        }
        try:
            answer = await self.events.deliver(
                connection, "connect", json.dumps(body).encode(), JSON_CONTENT_TYPE
            )
        except DeliveryError as error:
            log.warning("Web PubSub: connect event for hub '%s' not delivered: %s", connection.hub, error)
            return web.Response(status=500, text="The connect event could not be delivered.")
        if not answer.ok:
            log.info("Web PubSub: the connect handler refused a client with %s", answer.status)
            content_type = answer.headers.get("content-type")
            return web.Response(
                status=answer.status,
                body=answer.body,
                headers={"Content-Type": content_type} if content_type else None,
            )
        if answer.body.strip():
            try:
                reply = json.loads(answer.body)
            except ValueError:
                log.warning("Web PubSub: the connect handler answered a body that is not JSON")
                return web.Response(status=500, text="The connect handler's answer is not JSON.")
            if isinstance(reply, dict):
                if isinstance(reply.get("userId"), str):
                    connection.user_id = reply["userId"] or None
                if isinstance(reply.get("roles"), list):
                    connection.roles = [str(r) for r in reply["roles"]]
                if isinstance(reply.get("groups"), list):
                    connection.groups.update(str(g) for g in reply["groups"])
                subprotocol = reply.get("subprotocol")
                if isinstance(subprotocol, str) and subprotocol:
                    if subprotocol not in requested:
                        log.warning(
                            "Web PubSub: the connect handler chose subprotocol %r the client did not offer",
                            subprotocol,
                        )
                        return web.Response(
                            status=500, text="The connect handler chose an unknown subprotocol."
                        )
                    connection.subprotocol = subprotocol
        return None

    async def _deliver_in_order(self, connection: Connection) -> None:
        """One worker per connection: ``connected``, each ``message``, then ``disconnected``."""
        dropped = False
        while (item := await connection._queue.get()) is not None:
            event_name, body, content_type = item
            if self._stopping:
                continue
            if dropped and event_name == "message":
                continue  # the connection was dropped: what it sent after that is not delivered
            try:
                answer = await self.events.deliver(connection, event_name, body, content_type)
            except DeliveryError as error:
                log.warning("Web PubSub: %s event of %s not delivered: %s", event_name, connection.id, error)
                if event_name == "message":
                    dropped = True
                    await connection.close(
                        "The message event could not be delivered.", WSCloseCode.INTERNAL_ERROR
                    )
                continue
            except Exception:
                log.exception("Web PubSub: delivering %s of %s failed", event_name, connection.id)
                continue
            if event_name != "message":
                if not answer.ok:
                    log.warning(
                        "Web PubSub: the %s handler answered %s for %s",
                        event_name,
                        answer.status,
                        connection.id,
                    )
                continue
            if not answer.ok:
                log.warning(
                    "Web PubSub: the message handler answered %s; connection %s is dropped",
                    answer.status,
                    connection.id,
                )
                dropped = True
                await connection.close("The message event failed.", WSCloseCode.INTERNAL_ERROR)
                continue
            if answer.body:
                await self._reply(connection, answer.body, answer.content_type)

    async def _reply(self, connection: Connection, body: bytes, content_type: str) -> None:
        if content_type in ("text/plain", "application/json"):
            await connection.send(body.decode("utf-8", errors="replace"))
        elif content_type in ("application/octet-stream", ""):
            await connection.send(body)
        else:
            log.warning(
                "Web PubSub: the message handler answered Content-Type %r (text/plain, application/json or "
                "application/octet-stream expected); nothing is sent to %s",
                content_type,
                connection.id,
            )

    # -- used by the REST API ------------------------------------------------------------------

    async def send_to(self, targets: Iterable[Connection], data: str | bytes) -> None:
        await asyncio.gather(*(connection.send(data) for connection in targets))

    async def close_connections(self, hub: Hub, targets: Iterable[Connection], reason: str) -> None:
        targets = list(targets)
        for connection in targets:
            connection.close_reason = reason
            hub.remove(connection)  # gone for the REST API at once, as with the service
        await asyncio.gather(*(connection.close(reason) for connection in targets))


def _bearer(request: web.Request) -> str | None:
    authorization = request.headers.get("Authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None
