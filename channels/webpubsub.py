"""The Web PubSub event handler: the WebSocket channel's inbound side (CloudEvents over HTTP).

Point the hub's event handler at ``/runtime/webpubsub/{hub}`` (system events ``connect``,
``connected``, ``disconnected``; user events ``*``). Every request is checked: the abuse-protection
``OPTIONS`` handshake, and on every ``POST`` the ``ce-signature`` (HMAC-SHA256 of the connection id
with the hub's access key). A client's user id is its session id (the access token says so), so a
client can only ever talk to its own session.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from api.endpoint import DurableClient
from shared.api_errors import ApiError, forbidden
from shared.audio.errors import AudioError
from shared.body_limits import DEFAULT_MAX_BODY_BYTES, check_body_size
from shared.platform import Platform, get_platform
from shared.sessions import protocol
from shared.sessions.admission import RECONNECT_KEY_PARAMETER, SESSION_CONNECTED
from shared.sessions.connection import session_group
from shared.sessions.gateway import SessionGateway, session_gateway
from shared.sessions.lifecycle import RECONNECTING_CHANNELS
from shared.sessions.records import SESSIONS_TABLE, SessionRecord, mark_started
from shared.storage import NotFound
from shared.turn_trace import mark
from shared.webpubsub_events import access_keys, origin_is_allowed, service_host, signature_is_valid

log = logging.getLogger("omniagent.channels.webpubsub")

bp = df.Blueprint()


@bp.function_name("webpubsub_abuse_protection")
@bp.route(route="runtime/webpubsub/{hub}", methods=["OPTIONS"], auth_level=func.AuthLevel.ANONYMOUS)
def webpubsub_abuse_protection(req: func.HttpRequest) -> func.HttpResponse:
    """The CloudEvents handshake: allowed only for the configured service's host (issue 16, defect 9)."""
    origin = req.headers.get("WebHook-Request-Origin")
    connection_string = get_platform().settings.webpubsub_connection_string or ""
    if not origin_is_allowed(origin, connection_string):
        refused = forbidden(
            "WebHook-Request-Origin must be the Web PubSub service this app is configured with "
            f"({service_host(connection_string) or 'none configured'})."
        )
        return func.HttpResponse(json.dumps(refused.body()), status_code=403, mimetype="application/json")
    return func.HttpResponse(status_code=200, headers={"WebHook-Allowed-Origin": origin.strip()})


@bp.function_name("webpubsub_events")
@bp.route(route="runtime/webpubsub/{hub}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def webpubsub_events(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    durable = DurableClient(client, asyncio.get_running_loop())
    return await asyncio.to_thread(_handle_event, req, durable)


def _handle_event(req: func.HttpRequest, durable: DurableClient) -> func.HttpResponse:
    try:  # an event's body is a client frame (at most 64 KiB, protocol.MAX_FRAME_BYTES) or small JSON
        check_body_size(req.headers, req.get_body(), DEFAULT_MAX_BODY_BYTES)
    except ApiError as refused:
        return func.HttpResponse(json.dumps(refused.body()), status_code=413, mimetype="application/json")
    platform = get_platform()
    connection_id = req.headers.get("ce-connectionId", "")
    keys = access_keys(platform.settings.webpubsub_connection_string or "")
    if not connection_id or not signature_is_valid(req.headers.get("ce-signature", ""), connection_id, keys):
        log.warning("Web PubSub event refused: bad or missing ce-signature")
        return func.HttpResponse("Invalid signature.", status_code=401)
    event_type = req.headers.get("ce-type", "")
    session_id = req.headers.get("ce-userId", "")
    gateway = session_gateway(durable.raise_event)
    match event_type:
        case "azure.webpubsub.user.message":
            return _on_message(gateway, session_id, req.get_body())
        case "azure.webpubsub.sys.connect":
            # One live socket per session (shared.sessions.admission): a second connect is refused.
            sockets = platform.session_connection
            try:
                displaced = gateway.admit(session_id, connection_id, sockets.is_open, _reconnect_key(req))
            except ApiError as refused:
                status = refused.status if refused.code == SESSION_CONNECTED else 401
                return func.HttpResponse(
                    json.dumps(refused.body()), status_code=status, mimetype="application/json"
                )
            for replaced in displaced:  # its holder came back with the key: the old socket goes
                sockets.close_connection(replaced, "Replaced by the session's reconnected socket.")
            body = {"userId": session_id, "groups": [session_group(session_id)]}
            return func.HttpResponse(json.dumps(body), mimetype="application/json")
        case "azure.webpubsub.sys.connected":
            # The session greets its client once the connection is open: events sent to the
            # session's group before that would reach nobody.
            _on_connected(platform, gateway, session_id, connection_id)
            return func.HttpResponse(status_code=200)
        case "azure.webpubsub.sys.disconnected":
            # A websocket session ends (as published); a webrtc one waits for a new connection.
            try:
                gateway.client_disconnected(session_id, connection_id, _reconnects(platform, session_id))
            except ApiError as refused:
                log.info("disconnect of session %s not delivered: %s", session_id, refused.code)
            return func.HttpResponse(status_code=200)
        case _:
            log.info("Web PubSub event %s ignored", event_type)
            return func.HttpResponse(status_code=200)


def _on_connected(platform: Platform, gateway: SessionGateway, session_id: str, connection_id: str) -> None:
    """The session is ``started`` (its record says which transport: whether a lost connection may be
    replaced), then the connection is counted and the session hears it."""
    try:
        project_id = gateway.live_session(session_id).entity.project_id
        record = mark_started(
            platform.repository(SESSIONS_TABLE, SessionRecord), project_id, session_id, datetime.now(UTC)
        )
        key = gateway.client_connected(
            session_id,
            connection_id,
            record.channel_type in RECONNECTING_CHANNELS,
            platform.session_connection.is_open,
        )
        if key is not None:  # to this socket only: its holder's way back (shared.sessions.admission)
            platform.session_connection.send_to_connection(connection_id, protocol.reconnect_key(key))
    except ApiError as refused:
        if refused.code != SESSION_CONNECTED:
            log.info("session %s ended before its connection was recorded", session_id)
            return
        # Another connect took the slot first (a race the connect check cannot see): this one goes.
        platform.session_connection.close_connection(connection_id, refused.description[:120])
    except NotFound:
        log.info("session %s ended before its connection was recorded", session_id)


def _reconnect_key(req: func.HttpRequest) -> str:
    """The reconnect key on the client's URL, from the ``connect`` event's body (``query``: name ->
    values)."""
    try:
        query = json.loads(req.get_body() or b"{}").get("query") or {}
        values = query.get(RECONNECT_KEY_PARAMETER) or []
    except (ValueError, AttributeError):
        return ""
    first = values[0] if isinstance(values, list) and values else values
    return first if isinstance(first, str) else ""


def _reconnects(platform: Platform, session_id: str) -> Callable[[str], bool]:
    """Whether the session's transport reconnects, from its record (for a session that never counted
    a connection; the channel state knows it after the first)."""

    def of_project(project_id: str) -> bool:
        try:
            record = platform.repository(SESSIONS_TABLE, SessionRecord).get(project_id, session_id).entity
        except NotFound:
            return False
        return record.channel_type in RECONNECTING_CHANNELS

    return of_project


def _on_message(gateway: SessionGateway, session_id: str, body: bytes) -> func.HttpResponse:
    """A client command: into the session's inbox. A bad command is answered with an ``error``
    event (sent back to that client by Web PubSub) and the session goes on; the start of speech is
    answered with ``speech_started`` at once (the client flushes its playback)."""
    mark("frame_received", session_id)
    try:
        delivered = gateway.deliver(session_id, protocol.parse_command(body))
    except protocol.BadCommand as bad:
        return _reply(protocol.error(bad.code, str(bad)))
    except AudioError as bad:
        return _reply(bad.to_frame())
    except ApiError as refused:
        return _reply(protocol.error(refused.code, refused.description))
    if delivered.speech_started:
        return _reply(protocol.speech_started())
    return func.HttpResponse(status_code=200)


def _reply(event: dict[str, object]) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(event), mimetype="application/json")
