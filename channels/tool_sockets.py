"""What WebSocket tool servers push, relayed by the tool-socket worker (workers/tool_sockets).

``POST /runtime/tool-sockets/{sessionId}/events`` with ``Authorization: Bearer
<OMNI_TOOL_SOCKETS_SECRET>`` and body ``{type, data}``:

- ``ui_update``: ``data`` goes verbatim to the session's client as ``{"event": "ui_update", "data"}``;
- ``context_update``: ``data = {content, role, trigger_response, previous_item_id}`` enters the
  conversation as a client ``send_message`` would (``trigger_response`` true: the agent answers now);
- ``socket_failed`` (the worker's own): a socket that was still connecting when the session started
  failed; the client is told with ``ToolServerUnavailable``.

A bad body is 400 with the published error body; a session that is not live answers its error.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from api.endpoint import DurableClient
from shared import request_json
from shared.api_errors import ApiError, unauthorized, validation_failed
from shared.body_limits import check_body_size
from shared.platform import get_platform
from shared.sessions import protocol
from shared.sessions.gateway import session_gateway

log = logging.getLogger("omniagent.channels.tool_sockets")

MAX_BODY_BYTES = 256 * 1024

bp = df.Blueprint()


@bp.function_name("tool_socket_events")
@bp.route(
    route="runtime/tool-sockets/{sessionId}/events", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS
)
@bp.durable_client_input(client_name="client")
async def tool_socket_events(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    durable = DurableClient(client, asyncio.get_running_loop())
    return await asyncio.to_thread(_handle, req, durable)


def _handle(req: func.HttpRequest, durable: DurableClient) -> func.HttpResponse:
    try:
        _relay(req, durable)
    except ApiError as refused:
        return _error(refused)
    return func.HttpResponse(status_code=204)


def _relay(req: func.HttpRequest, durable: DurableClient) -> None:
    platform = get_platform()
    secret = platform.settings.tool_sockets_secret or ""
    given = req.headers.get("Authorization", "").encode()
    if not secret or not hmac.compare_digest(given, f"Bearer {secret}".encode()):
        raise unauthorized("A valid bearer token is required.")
    body = req.get_body() or b""
    check_body_size(req.headers, body, MAX_BODY_BYTES)  # the declared length first, before parsing
    try:
        event = request_json.loads(body)  # the rules of every JSON body (no key twice, bounded depth)
    except request_json.InvalidJson as bad:
        raise validation_failed(f"The body must be JSON: {bad}") from None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise validation_failed("The body must be an object with a `type`.")
    session_id = req.route_params.get("sessionId", "")
    data: Any = event.get("data")
    match event["type"]:
        case "ui_update":
            platform.session_connection.send(session_id, [protocol.ui_update(data)])
        case "context_update":
            message = _context_message(data)
            session_gateway(durable.raise_event).deliver(session_id, message)
        case "socket_failed":
            reason = data.get("error") if isinstance(data, dict) else None
            text = f"A tool server is unavailable: {reason or 'its socket failed'}"
            platform.session_connection.send(session_id, [protocol.error("ToolServerUnavailable", text)])
        case other:
            raise validation_failed(f"Unknown type {other!r}: ui_update or context_update.")


def _context_message(data: Any) -> protocol.SendMessage:
    if not isinstance(data, dict) or not isinstance(data.get("content"), str) or not data["content"]:
        raise validation_failed("context_update needs data.content (text).")
    role = data.get("role", "system")
    if role not in ("system", "user"):
        raise validation_failed("context_update data.role must be system or user.")
    try:
        trigger = bool(data.get("trigger_response", False))
        # A silent update never interrupts a reply in progress (it is for the next turn).
        return protocol.SendMessage(
            role=role, text=data["content"], trigger_response=trigger, delay=not trigger
        )
    except ValueError as invalid:  # pydantic: too long
        raise validation_failed(
            f"context_update is not a valid message ({type(invalid).__name__})."
        ) from None


def _error(refused: ApiError) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(refused.body()),
        status_code=refused.status,
        mimetype="application/json",
        headers=refused.headers or None,
    )
