"""ACS Call Automation's callbacks for one call, turned into the session's commands.

Every request is checked twice before anything is read or changed: the JWT ACS signs (``Authorization``,
``CallbackTokenVerifier``: ACS's keys, the resource's audience) and the per-call secret of the callback
URL (compared with the digest stored at answer). A forged request is refused (401) and an unknown call
answers 404, each with nothing changed; an ended call's callbacks answer 200 and change nothing.

Then each CloudEvent, by type: ``CallConnected`` is the session's client connecting (``started``, the
opening and the greeting); ``RecognizeCompleted`` is the caller's turn, their words into the inbox as a
user message (as the live protocol's ``send_message`` is); ``RecognizeFailed`` (silence) listens again;
``PlayCompleted`` / ``PlayFailed`` of the goodbye hang up; ``CallTransferAccepted`` / ``Failed`` are the
human handoff's outcome (``shared.phone.handoff``); ``CallDisconnected`` ends the session as a
client's hang-up does. A call answered only to say that no agent is free hears that line and is hung up.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from shared.api_errors import ApiError
from shared.phone.callback_auth import CallbackTokenError, CallbackTokenVerifier
from shared.phone.calls import PhoneCall, secret_matches
from shared.phone.dialing import NOT_ANSWERED, end_call_session
from shared.phone.handoff import on_transfer_accepted, on_transfer_failed
from shared.phone.inbound import NO_AGENTS_AVAILABLE, RaiseEvent
from shared.phone.settings import AcsSettings
from shared.phone.transport import GOODBYE_CONTEXT, PhoneTransport
from shared.platform import Platform
from shared.sessions.gateway import session_gateway
from shared.sessions.protocol import SendMessage
from shared.sessions.records import SESSIONS_TABLE, SessionRecord, mark_started
from shared.storage import NotFound

log = logging.getLogger("omniagent.phone")

EVENT_PREFIX = "Microsoft.Communication."


@lru_cache(maxsize=4)
def _verifier(settings: AcsSettings) -> CallbackTokenVerifier:
    return CallbackTokenVerifier.from_settings(settings)  # one key cache per process


def handle_callbacks(
    platform: Platform,
    call_id: str,
    secret: str | None,
    authorization: str | None,
    events: Any,
    raise_event: RaiseEvent,
) -> int:
    """The HTTP status to answer ACS with, after handling ``events`` (the posted JSON)."""
    try:
        _verifier(platform.settings.acs).verify(authorization)
    except CallbackTokenError as refused:
        log.warning("ACS callback refused: %s", refused)
        return 401
    transport = platform.phone_transport
    call = transport.calls.find(call_id)
    if call is None:
        return 404
    if not secret_matches(call, secret):
        log.warning("ACS callback for %s refused: wrong call secret", call_id)
        return 401
    if not isinstance(events, list):
        return 400
    for event in events:
        if call.state == "ended":
            break
        if isinstance(event, dict):
            call = _on_event(platform, transport, call, event, raise_event)
    return 200


def _on_event(
    platform: Platform,
    transport: PhoneTransport,
    call: PhoneCall,
    event: dict[str, Any],
    raise_event: RaiseEvent,
) -> PhoneCall:
    kind = str(event.get("type") or "").removeprefix(EVENT_PREFIX)
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)
    gateway = session_gateway(raise_event)
    match kind:
        case "CallConnected":
            if call.state != "answering":
                return call  # told again: the session has its client already
            connection_id = str(data.get("callConnectionId") or "")
            call = transport.calls.move(call.id, "connected", call_connection_id=connection_id)
            if call.busy:
                transport.calls.move(call.id, "closing")
                transport.say_goodbye(call, NO_AGENTS_AVAILABLE)
                return call
            # Listening before the session can speak: an agent with no greeting hears the caller
            # first; a greeting replaces this recognition (its request interrupts what listens).
            transport.speak_and_listen(call, None)
            _connect(platform, call, connection_id, gateway)
        case "RecognizeCompleted":
            speech = (data.get("speechResult") or {}).get("speech") if call.state == "connected" else None
            text = speech.strip() if isinstance(speech, str) else ""
            if call.state != "connected":
                return call
            if not text:
                transport.speak_and_listen(call, None)
                return call
            try:
                gateway.deliver(call.id, SendMessage(role="user", text=text[:4000]))
            except ApiError as refused:
                log.info("caller's words for session %s not delivered: %s", call.id, refused.code)
        case "RecognizeFailed":
            if call.state == "connected":
                transport.speak_and_listen(call, None)  # silence: listen again (inactivity decides)
        case "PlayCompleted" | "PlayFailed":
            if data.get("operationContext") == GOODBYE_CONTEXT:
                transport.hang_up(call)
        case "CallTransferAccepted":
            if call.state == "connected" and not call.busy:
                call = on_transfer_accepted(platform, call, raise_event)
        case "CallTransferFailed":
            if call.state == "connected" and not call.busy:
                on_transfer_failed(platform, call, gateway)
        case "CallDisconnected":
            was_live = call.state == "connected" and not call.busy
            never_answered = call.state == "answering" and not call.busy
            call = transport.calls.move(call.id, "ended")
            if never_answered:  # an outbound call not picked up (or a caller gone before it connected)
                end_call_session(platform, call.id, NOT_ANSWERED, raise_event)
            if was_live and call.call_connection_id:
                try:  # the caller hung up: the session ends as a client's does
                    gateway.client_disconnected(call.id, call.call_connection_id, lambda _project: False)
                except ApiError as refused:
                    log.info("hang-up of session %s not delivered: %s", call.id, refused.code)
        case _:
            log.info("ACS event %s for %s: nothing to do", kind, call.id)
    return call


def _connect(platform: Platform, call: PhoneCall, connection_id: str, gateway: Any) -> None:
    """The session is ``started`` and hears its client, as a WebSocket session's ``connected``."""
    try:
        mark_started(
            platform.repository(SESSIONS_TABLE, SessionRecord), call.project_id, call.id, datetime.now(UTC)
        )
        gateway.client_connected(call.id, connection_id, False, lambda _connection: True)
    except (ApiError, NotFound):
        log.info("session %s ended before its call connected", call.id)
