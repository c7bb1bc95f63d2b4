"""The Call Automation REST routes, as ``azure-communication-callautomation`` 1.6.0 calls them.

Every request must carry the HMAC-SHA256 signature of the resource's access key (``hmac_auth``); else
401 with the service's body ``{"error": {"code": "7509", "message": "HMAC-SHA256 validation failed"}}``.
Served: create call (201), answer (200), reject (204), get call (200), hang up (DELETE, 204), terminate
(204), transfer to participant (202), participants (200), play, recognize, cancel all media (202). Other
routes are refused with 400 and a message naming them. Any ``api-version`` is taken; it becomes the
``version`` of the call's events. Errors use the service's shape, ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from .calls import CallError
from .hmac_auth import SignatureError, check_signature

if TYPE_CHECKING:
    from .service import AcsStandIn

log = logging.getLogger("devhost.acs")

PREFIX = "/calling/"
_UNAUTHORIZED = {"error": {"code": "7509", "message": "HMAC-SHA256 validation failed"}}


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class CallAutomationApi:
    def __init__(self, stand_in: AcsStandIn) -> None:
        self.stand_in = stand_in

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/calling/keys", self._keys)
        router.add_get("/calling/.well-known/acsopenidconfiguration", self._openid_configuration)
        router.add_route("*", PREFIX + "{tail:.*}", self._dispatch)

    async def _keys(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stand_in.signer.jwks())

    async def _openid_configuration(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stand_in.signer.openid_configuration(self.stand_in.config.endpoint))

    async def _dispatch(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            check_signature(
                request.method, request.raw_path, request.headers, body, self.stand_in.config.access_key
            )
        except SignatureError as error:
            log.info("ACS stand-in: refused %s %s: %s", request.method, request.path, error)
            return web.json_response(_UNAUTHORIZED, status=401)
        tail = request.path[len(PREFIX) :]
        api_version = request.query.get("api-version", "")
        try:
            payload = json_object(body) if request.method in ("POST", "PUT", "PATCH") else {}
            return self._route(request.method, tail, payload, api_version)
        except CallError as error:
            return error_response(error.status, error.code, error.message)

    def _route(self, method: str, tail: str, payload: dict[str, Any], api_version: str) -> web.Response:
        book, media = self.stand_in.book, self.stand_in.media
        if tail == "callConnections" and method == "POST":
            call = book.create(payload, api_version)
            return web.json_response(call.properties(), status=201)
        if tail == "callConnections:answer" and method == "POST":
            call = book.answer(payload, api_version)
            return web.json_response(call.properties(), status=200)
        if tail == "callConnections:reject" and method == "POST":
            book.reject(payload)
            return web.Response(status=204)
        if not tail.startswith("callConnections/"):
            raise CallError(400, "BadRequest", f"The ACS stand-in does not serve {method} /calling/{tail}.")
        rest = tail[len("callConnections/") :]
        call_id, _, action = rest.partition(":")
        call_id, _, sub = call_id.partition("/")
        call_id = unquote(call_id)
        if not sub and not action and method == "GET":
            return web.json_response(book.connection(call_id).properties())
        if not sub and not action and method == "DELETE":
            book.disconnect(book.connection(call_id))  # a two-party call ends when the app leaves it
            return web.Response(status=204)
        if sub == "participants" and not action and method == "GET":
            call = book.connection(call_id)
            participants = [
                {"identifier": who, "isMuted": False, "isOnHold": False} for who in (call.caller, call.callee)
            ]
            return web.json_response({"value": participants})
        if sub or method != "POST":
            raise CallError(400, "BadRequest", f"The ACS stand-in does not serve {method} /calling/{tail}.")
        call = book.connection(call_id)
        if action == "terminate":
            book.disconnect(call)
            return web.Response(status=204)
        if action == "transferToParticipant":
            return web.json_response(book.transfer(call, payload), status=202)
        if action == "play":
            media.play(call, payload)
            return web.Response(status=202)
        if action == "recognize":
            media.recognize(call, payload)
            return web.Response(status=202)
        if action == "cancelAllMediaOperations":
            media.cancel_all(call)
            return web.Response(status=202)
        raise CallError(400, "BadRequest", f"The ACS stand-in does not serve POST /calling/{tail}.")


def json_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object ({} when empty), or the 400 ACS answers."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError as error:
        raise CallError(400, "BadRequest", "The request body is not JSON.") from error
    if not isinstance(value, dict):
        raise CallError(400, "BadRequest", "The request body must be a JSON object.")
    return value
