"""The Web PubSub data-plane REST API, as ``azure-messaging-webpubsubservice`` 1.3.0 calls it.

Every request carries ``Authorization: Bearer <JWT>`` signed (HS256) with the AccessKey, ``aud`` = the
request URL, ``exp`` a minute away (``JwtCredentialPolicy``); anything else is 401. The SDK sends
``api-version=2024-12-01``; devhost answers every version the same way. Answers are the SDK's expected
statuses: sends 202, closes and removals 204, additions 200, existence checks 200 or 404.
Sends to a connection, user or group that does not exist are accepted (202) and go nowhere, as the
service's fire-and-forget sends; adding or removing an unknown connection to/from a group is 404.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from aiohttp import web

from . import tokens
from .service import REST_PREFIX, Connection, Hub, WebPubSubStandIn

log = logging.getLogger("devhost.webpubsub")

Handler = Callable[[web.Request, Hub, list[str]], Awaitable[web.StreamResponse]]
_TEXT_TYPES = frozenset({"text/plain", "application/json"})
_BINARY_TYPES = frozenset({"application/octet-stream"})
_PERMISSIONS = frozenset({"sendToGroup", "joinLeaveGroup"})


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


class RestApi:
    def __init__(self, stand_in: WebPubSubStandIn) -> None:
        self.stand_in = stand_in
        # (method, path shape after /api/hubs/{hub}) -> handler; "*" marks a path parameter.
        self._routes: dict[tuple[str, tuple[str, ...]], Handler] = {
            ("POST", (":send",)): self._send_to_all,
            ("POST", (":closeConnections",)): self._close_all,
            ("POST", (":generateToken",)): self._generate_token,
            ("HEAD", ("connections", "*")): self._connection_exists,
            ("DELETE", ("connections", "*")): self._close_connection,
            ("POST", ("connections", "*", ":send")): self._send_to_connection,
            ("DELETE", ("connections", "*", "groups")): self._remove_connection_from_all_groups,
            ("HEAD", ("groups", "*")): self._group_exists,
            ("POST", ("groups", "*", ":send")): self._send_to_group,
            ("POST", ("groups", "*", ":closeConnections")): self._close_group,
            ("GET", ("groups", "*", "connections")): self._list_group,
            ("PUT", ("groups", "*", "connections", "*")): self._add_connection_to_group,
            ("DELETE", ("groups", "*", "connections", "*")): self._remove_connection_from_group,
            ("HEAD", ("users", "*")): self._user_exists,
            ("POST", ("users", "*", ":send")): self._send_to_user,
            ("POST", ("users", "*", ":closeConnections")): self._close_user,
            ("DELETE", ("users", "*", "groups")): self._remove_user_from_all_groups,
            ("PUT", ("users", "*", "groups", "*")): self._add_user_to_group,
            ("DELETE", ("users", "*", "groups", "*")): self._remove_user_from_group,
            ("PUT", ("permissions", "*", "connections", "*")): self._grant_permission,
            ("DELETE", ("permissions", "*", "connections", "*")): self._revoke_permission,
            ("HEAD", ("permissions", "*", "connections", "*")): self._check_permission,
        }

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", REST_PREFIX + "{tail:.*}", self._dispatch)

    # -- authentication and routing ------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        authorization = request.headers.get("Authorization", "")
        if authorization[:7].lower() != "bearer ":
            return False
        raw = request.raw_path  # path and query as sent, so the audience compares with what was signed
        urls = [f"{request.scheme}://{request.host}{raw}", f"{self.stand_in.config.endpoint}{raw}"]
        try:
            tokens.check_rest_token(authorization[7:].strip(), self.stand_in.config.access_key, urls)
        except tokens.TokenError as error:
            log.info("Web PubSub: refused a REST call to %s: %s", request.path, error)
            return False
        return True

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return _error(401, "Unauthorized", "A valid access-key token is required.")
        raw_path = request.raw_path.split("?", 1)[0]
        segments = [unquote(s) for s in raw_path[len(REST_PREFIX) :].split("/")]
        if not segments or not segments[0]:
            return _error(404, "NotFound", "No such operation.")
        hub_name, rest = segments[0], segments[1:]
        shape = tuple("*" if i % 2 == 1 and not s.startswith(":") else s for i, s in enumerate(rest))
        handler = self._routes.get((request.method, shape))
        if handler is None:
            if any(key[1] == shape for key in self._routes):
                return _error(405, "MethodNotAllowed", f"{request.method} is not allowed here.")
            return _error(404, "NotFound", "No such operation.")
        params = [s for i, s in enumerate(rest) if shape[i] == "*"]
        return await handler(request, self.stand_in.hub(hub_name), params)

    # -- payloads ------------------------------------------------------------------------------

    async def _payload(self, request: web.Request) -> str | bytes | web.Response:
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        body = await request.read()
        if content_type in _TEXT_TYPES:
            return body.decode("utf-8", errors="replace")
        if content_type in _BINARY_TYPES:
            return body
        return _error(
            415,
            "UnsupportedMediaType",
            "Content-Type must be text/plain, application/json or application/octet-stream.",
        )

    def _unsupported_filter(self, request: web.Request) -> web.Response | None:
        if request.query.get("filter"):
            return _error(400, "BadRequest", "devhost's Web PubSub stand-in does not evaluate OData filters.")
        return None

    @staticmethod
    def _excluded(request: web.Request) -> set[str]:
        return set(request.query.getall("excluded", []))

    @staticmethod
    def _reason(request: web.Request) -> str:
        return request.query.get("reason") or "Closed by the REST API."

    async def _send(self, request: web.Request, targets: list[Connection]) -> web.Response:
        if (refused := self._unsupported_filter(request)) is not None:
            return refused
        payload = await self._payload(request)
        if isinstance(payload, web.Response):
            return payload
        await self.stand_in.send_to(targets, payload)
        return web.Response(status=202)

    # -- hub -----------------------------------------------------------------------------------

    async def _send_to_all(self, request: web.Request, hub: Hub, _params: list[str]) -> web.Response:
        excluded = self._excluded(request)
        return await self._send(request, [c for c in hub.connections.values() if c.id not in excluded])

    async def _close_all(self, request: web.Request, hub: Hub, _params: list[str]) -> web.Response:
        excluded = self._excluded(request)
        targets = [c for c in hub.connections.values() if c.id not in excluded]
        await self.stand_in.close_connections(hub, targets, self._reason(request))
        return web.Response(status=204)

    async def _generate_token(self, request: web.Request, hub: Hub, _params: list[str]) -> web.Response:
        try:
            minutes = int(request.query.get("minutesToExpire", "60"))
        except ValueError:
            minutes = 0
        if minutes < 1:
            return _error(400, "BadRequest", "minutesToExpire must be a positive integer.")
        audience = f"{self.stand_in.config.endpoint}/client/hubs/{hub.name}"
        token = tokens.client_token(
            self.stand_in.config.access_key,
            audience,
            user_id=request.query.get("userId"),
            roles=request.query.getall("role", []),
            groups=request.query.getall("group", []),
            minutes_to_expire=minutes,
        )
        return web.json_response({"token": token})

    # -- connections ---------------------------------------------------------------------------

    async def _connection_exists(self, _request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        return web.Response(status=200 if params[0] in hub.connections else 404)

    async def _close_connection(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        connection = hub.connections.get(params[0])
        if connection is not None:
            await self.stand_in.close_connections(hub, [connection], self._reason(request))
        return web.Response(status=204)

    async def _send_to_connection(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        connection = hub.connections.get(params[0])
        return await self._send(request, [connection] if connection else [])

    async def _remove_connection_from_all_groups(
        self, _request: web.Request, hub: Hub, params: list[str]
    ) -> web.Response:
        connection = hub.connections.get(params[0])
        if connection is not None:
            for group in list(connection.groups):
                hub.leave(connection, group)
        return web.Response(status=204)

    # -- groups --------------------------------------------------------------------------------

    async def _group_exists(self, _request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        return web.Response(status=200 if hub.group_members(params[0]) else 404)

    async def _send_to_group(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        excluded = self._excluded(request)
        return await self._send(request, [c for c in hub.group_members(params[0]) if c.id not in excluded])

    async def _close_group(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        excluded = self._excluded(request)
        targets = [c for c in hub.group_members(params[0]) if c.id not in excluded]
        await self.stand_in.close_connections(hub, targets, self._reason(request))
        return web.Response(status=204)

    async def _list_group(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        members = hub.group_members(params[0])
        top = request.query.get("top")
        if top is not None and top.isdigit():
            members = members[: int(top)]
        value = [{"connectionId": c.id, "userId": c.user_id} for c in members]
        return web.json_response({"value": value, "nextLink": None})

    async def _add_connection_to_group(
        self, _request: web.Request, hub: Hub, params: list[str]
    ) -> web.Response:
        group, connection_id = params
        connection = hub.connections.get(connection_id)
        if connection is None:
            return _error(404, "NotFound", f"Connection '{connection_id}' does not exist.")
        hub.join(connection, group)
        return web.Response(status=200)

    async def _remove_connection_from_group(
        self, _request: web.Request, hub: Hub, params: list[str]
    ) -> web.Response:
        group, connection_id = params
        connection = hub.connections.get(connection_id)
        if connection is None:
            return _error(404, "NotFound", f"Connection '{connection_id}' does not exist.")
        hub.leave(connection, group)
        return web.Response(status=204)

    # -- users ---------------------------------------------------------------------------------

    async def _user_exists(self, _request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        return web.Response(status=200 if hub.user_connections(params[0]) else 404)

    async def _send_to_user(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        return await self._send(request, hub.user_connections(params[0]))

    async def _close_user(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        excluded = self._excluded(request)
        targets = [c for c in hub.user_connections(params[0]) if c.id not in excluded]
        await self.stand_in.close_connections(hub, targets, self._reason(request))
        return web.Response(status=204)

    async def _remove_user_from_all_groups(
        self, _request: web.Request, hub: Hub, params: list[str]
    ) -> web.Response:
        for connection in hub.user_connections(params[0]):
            for group in list(connection.groups):
                hub.leave(connection, group)
        return web.Response(status=204)

    async def _add_user_to_group(self, _request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        user_id, group = params
        connections = hub.user_connections(user_id)
        if not connections:
            return _error(404, "NotFound", f"User '{user_id}' has no connection.")
        for connection in connections:
            hub.join(connection, group)
        return web.Response(status=200)

    async def _remove_user_from_group(
        self, _request: web.Request, hub: Hub, params: list[str]
    ) -> web.Response:
        user_id, group = params
        for connection in hub.user_connections(user_id):
            hub.leave(connection, group)
        return web.Response(status=204)

    # -- permissions (recorded; raw WebSocket clients have no use for them) --------------------

    def _permission(
        self, request: web.Request, hub: Hub, params: list[str]
    ) -> tuple[Connection | None, tuple[str, str] | web.Response]:
        permission, connection_id = params
        if permission not in _PERMISSIONS:
            return None, _error(400, "BadRequest", f"Unknown permission '{permission}'.")
        return hub.connections.get(connection_id), (permission, request.query.get("targetName", ""))

    async def _grant_permission(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        connection, grant = self._permission(request, hub, params)
        if isinstance(grant, web.Response):
            return grant
        if connection is None:
            return _error(404, "NotFound", f"Connection '{params[1]}' does not exist.")
        connection.permissions.add(grant)
        return web.Response(status=200)

    async def _revoke_permission(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        connection, grant = self._permission(request, hub, params)
        if isinstance(grant, web.Response):
            return grant
        if connection is not None:
            connection.permissions.discard(grant)
        return web.Response(status=204)

    async def _check_permission(self, request: web.Request, hub: Hub, params: list[str]) -> web.Response:
        connection, grant = self._permission(request, hub, params)
        if isinstance(grant, web.Response):
            return web.Response(status=grant.status)
        granted = connection is not None and (
            grant in connection.permissions or (grant[0], "") in connection.permissions
        )
        return web.Response(status=200 if granted else 404)
