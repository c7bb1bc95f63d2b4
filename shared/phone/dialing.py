"""An outbound call: the agent calls a number (``POST /public/agents/{id}/connections``, ``sip``).

The request was checked (``shared.phone.outbound.check_outbound_call``: the destination, the bound
number it comes from). The session opens as every session does (``shared.sessions.opening``:
``sessionType: sip``, the seat, the records, billing), with its call row written first (the person
called is the call's ``caller``: the one the recognitions hear), then ACS places the call
(``create_call`` to the destination, the agent's number as caller id, the callback URL inbound calls
are answered with). It rings until the callee answers: ``CallConnected`` then opens the session as
for an incoming call (``initialSpeech``, the greeting). A call that ends before it was answered ends
its session (``not_answered``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from azure.communication.callautomation import CallAutomationClient, PhoneNumberIdentifier
from azure.core.exceptions import HttpResponseError

from shared import durable_names as names
from shared.agents.models import AgentFields, ChannelConfigRecord
from shared.api_errors import ApiError, ErrorKind
from shared.memory.store import client_for_phone
from shared.phone.calls import PhoneCall, new_call_secret
from shared.phone.inbound import SIP_CHANNEL, RaiseEvent, callback_url, end_silence_ms, handoff_of
from shared.phone.outbound import OutboundCall
from shared.phone.voices import phone_voice
from shared.platform import Platform
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, new_entry
from shared.sessions.opening import SessionKey, SessionOpening, StartNew, open_session

NOT_ANSWERED = "not_answered"  # our end reason (and closeReason) of a call that never connected


@dataclass(frozen=True)
class OutboundRequest:
    """What the connection request adds to the call."""

    external_client_id: str | None = None
    external_client_profile: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    initial_speech: str | None = None


@dataclass(frozen=True)
class PlacedCall:
    session_id: str
    call_connection_id: str

    def token(self, call: OutboundCall) -> dict[str, Any]:
        """The connection token's JSON for ``sip``: the number called and the call placed."""
        return {
            "connection": self.session_id,
            "destination": call.destination,
            "callerId": call.caller_id,
            "callConnectionId": self.call_connection_id,
        }


def end_call_session(platform: Platform, session_id: str, reason: str, raise_event: RaiseEvent) -> None:
    """Ask a call's session to end with ``reason`` (an inbox ``end`` and its wake-up)."""
    entry = new_entry("end", reason=reason)
    platform.repository(INBOX_TABLE, InboxEntry).create(session_id, entry)
    raise_event(session_id, names.INBOX_EVENT, entry.to_event())


def place_call(
    platform: Platform,
    client: CallAutomationClient,
    key: SessionKey,
    agent: AgentFields,
    agent_id: str,
    channel: ChannelConfigRecord,
    call: OutboundCall,
    request: OutboundRequest,
    start_new: StartNew,
    raise_event: RaiseEvent,
) -> PlacedCall:
    """Open the session and dial; 502 ``OutboundCallFailed`` (the session ended) when ACS refuses."""
    settings = platform.settings.acs
    assert settings.callback_base_url, "ACS_CALLBACK_BASE_URL (or WEBSITE_HOSTNAME) names the app"
    secret, digest = new_call_secret()
    external_client_id = request.external_client_id
    if external_client_id is None and agent.memory.enabled:  # the callee remembered across channels
        external_client_id = client_for_phone(key.project_id, agent.companion_id, call.destination)
    opening = SessionOpening(
        channel_type=SIP_CHANNEL,
        speaks=False,  # ACS speaks each reply
        modality="audio",
        external_client_id=external_client_id,
        external_client_profile=request.external_client_profile,
        tags=request.tags or {},
        initial_speech=request.initial_speech or channel.initial_speech,
        human_handoff=handoff_of(channel),
    )
    calls = platform.phone_transport.calls

    def record_call(session_id: str) -> None:
        calls.add(
            PhoneCall(
                id=session_id,
                project_id=key.project_id,
                caller=call.destination,  # the person on the line (whom the recognitions hear)
                called=call.caller_id,
                secret_digest=digest,
                voice_name=phone_voice(agent.voice_id),
                end_silence_ms=end_silence_ms(agent),
                answered_at=datetime.now(UTC),
            )
        )

    session_id, _ = open_session(platform, key, opening, agent, agent_id, True, start_new, record_call)
    try:
        placed = client.create_call(  # the SDK's keyword form (its CallInvite is deprecated)
            PhoneNumberIdentifier(call.destination),
            callback_url(settings.callback_base_url, session_id, secret),
            source_caller_id_number=PhoneNumberIdentifier(call.caller_id),
            cognitive_services_endpoint=settings.cognitive_services_endpoint,
        )
    except HttpResponseError as refused:
        with contextlib.suppress(Exception):
            end_call_session(platform, session_id, "error", raise_event)
        raise ApiError(
            502,
            "OutboundCallFailed",
            f"Azure Communication Services did not place the call ({refused.status_code}); "
            "the session ended.",
            ErrorKind.FAILURE,
        ) from None
    connection_id = str(placed.call_connection_id or "")
    # Known at once, so a session that ends while the call rings can hang it up.
    calls.change(session_id, lambda row: row.model_copy(update={"call_connection_id": connection_id}))
    return PlacedCall(session_id, connection_id)
