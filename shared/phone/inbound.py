"""An incoming call becomes a session: ``Microsoft.Communication.IncomingCall`` (Event Grid) answered.

The called number routes to its agent (``shared.phone.routing``); an unbound number, a missing agent or
key, or an unpaid organization is rejected. The session opens as every session does
(``shared.sessions.opening``: the seat in the ``sip`` roster, the records, billing), with the agent's
SIP channel config applied and the caller's number resolved through the phone links to the end user's
``externalClientId`` (memory across channels). Then the call is answered with a callback URL that names
the session and carries a per-call secret. Over the concurrency limit the call is answered only to say
that no agent is free, and hung up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from azure.communication.callautomation import CallAutomationClient

from shared import durable_names as names
from shared.agents.models import AgentFields, AgentRecord, ChannelConfigRecord, channel_row
from shared.agents.rules import for_channel
from shared.api_errors import ApiError
from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyRecord
from shared.billing.enforcement import refuse_unpaid_connection
from shared.catalog.tables import AGENTS, CHANNEL_CONFIGS
from shared.ids import new_id
from shared.memory.records import is_phone_number
from shared.memory.store import client_for_phone
from shared.phone.calls import DEFAULT_END_SILENCE_MS, PhoneCall, new_call_secret
from shared.phone.routing import RouteOwner, resolve_called_number
from shared.phone.voices import phone_voice
from shared.platform import Platform
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, new_entry
from shared.sessions.opening import SessionKey, SessionOpening, StartNew, open_session
from shared.storage import NotFound

log = logging.getLogger("omniagent.phone")

SIP_CHANNEL = "sip"
CALLBACK_ROUTE = "runtime/acs/callbacks"
INCOMING_CALL_EVENT = "Microsoft.Communication.IncomingCall"
LIMIT_REACHED = "ConcurrentSessionLimitReached"
# What a caller hears when every seat of the organization's sip roster is taken.
NO_AGENTS_AVAILABLE = "Sorry, no agents are available to take your call right now. Please try again later."

RaiseEvent = Callable[[str, str, Any], None]


@dataclass(frozen=True)
class IncomingCall:
    caller: str  # E.164 when ACS says it is a phone number, else its raw id
    called: str
    context: str  # incomingCallContext: what answer / reject take
    correlation_id: str = ""  # the same on every delivery of this call (Event Grid: at least once)

    @classmethod
    def from_event(cls, data: Any) -> IncomingCall | None:
        """The published ``IncomingCall`` data; None when it lacks what a call needs."""
        if not isinstance(data, dict):
            return None
        caller, called = _address(data.get("from")), _address(data.get("to"))
        context = data.get("incomingCallContext")
        if not (caller and called and isinstance(context, str) and context):
            return None
        correlation = data.get("correlationId") or data.get("serverCallId") or context
        return cls(caller=caller, called=called, context=context, correlation_id=str(correlation))


def _address(identifier: Any) -> str:
    if not isinstance(identifier, dict):
        return ""
    phone = identifier.get("phoneNumber")
    if isinstance(phone, dict) and isinstance(phone.get("value"), str):
        return str(phone["value"])
    raw = identifier.get("rawId")
    return raw if isinstance(raw, str) else ""


def callback_url(base_url: str, call_id: str, secret: str) -> str:
    return f"{base_url}/{CALLBACK_ROUTE}/{quote(call_id)}?secret={quote(secret)}"


@dataclass(frozen=True)
class _Answerable:
    owner: RouteOwner
    agent: AgentRecord
    channel: ChannelConfigRecord
    key: SessionKey


class CallAnswerer:
    """Answers one ``IncomingCall`` (or rejects it); ``take`` says what was done, for the log."""

    def __init__(
        self, platform: Platform, client: CallAutomationClient, start_new: StartNew, raise_event: RaiseEvent
    ) -> None:
        self.platform, self.client = platform, client
        self._start_new, self._raise_event = start_new, raise_event
        self.calls = platform.phone_transport.calls

    def take(self, call: IncomingCall) -> str:
        if not self.calls.take_incoming(call.correlation_id or call.context):
            return "ignored: delivered again"
        try:
            return self._take(call)
        except Exception:
            self.calls.give_back_incoming(call.correlation_id or call.context)
            raise

    def _take(self, call: IncomingCall) -> str:
        target = self._answerable(call)
        if isinstance(target, str):
            self.client.reject_call(call.context)
            return f"rejected: {target}"
        agent = for_channel(target.agent, target.channel)
        secret, digest = new_call_secret()
        voice = phone_voice(agent.voice_id)
        silence = end_silence_ms(agent)
        opening = SessionOpening(
            channel_type=SIP_CHANNEL,
            speaks=False,  # ACS speaks each reply (TextSource); no audio passes through the app
            modality="audio",
            external_client_id=self._caller_client(target.owner.project_id, agent.companion_id, call.caller)
            if agent.memory.enabled
            else None,
            initial_speech=target.channel.initial_speech,
            human_handoff=handoff_of(target.channel),
        )

        def record_call(session_id: str) -> None:
            self.calls.add(
                PhoneCall(
                    id=session_id,
                    project_id=target.key.project_id,
                    caller=call.caller,
                    called=call.called,
                    secret_digest=digest,
                    voice_name=voice,
                    end_silence_ms=silence,
                    answered_at=datetime.now(UTC),
                )
            )

        try:
            session_id, _ = open_session(
                self.platform, target.key, opening, agent, target.agent.id, True, self._start_new, record_call
            )
        except ApiError as refused:
            if refused.code != LIMIT_REACHED:
                self.client.reject_call(call.context)
                return f"rejected: {refused.code}"
            self._answer_busy(call, target.key.project_id, voice)
            return "answered: no agent available"
        try:
            self._answer(call, session_id, secret)
        except Exception:
            self._end(session_id)  # the session never gets its call
            raise
        return f"answered: session {session_id}"

    def _answerable(self, call: IncomingCall) -> _Answerable | str:
        owner = resolve_called_number(self.platform, call.called)
        if owner is None:
            return "the number is bound to no agent"
        try:
            agent = self.platform.repository(AGENTS, AgentRecord).get(owner.project_id, owner.agent_id).entity
            channel = (
                self.platform.repository(CHANNEL_CONFIGS, ChannelConfigRecord)
                .get(owner.project_id, channel_row(owner.agent_id, SIP_CHANNEL))
                .entity
            )
            record = self.platform.repository(API_KEYS_TABLE, ApiKeyRecord).get(
                owner.project_id, channel.api_key_id or ""
            )
        except (NotFound, ValueError):
            return "the agent, its SIP channel or its API key is gone"
        key = record.entity
        if key.revoked_at is not None:
            return "the channel's API key is revoked"
        try:
            refuse_unpaid_connection(self.platform, owner.organization_id)
        except ApiError as refused:
            return refused.code
        provider_type = str(key.provider.get("type", ""))
        session_key = SessionKey(owner.organization_id, owner.project_id, key.id, provider_type)
        return _Answerable(owner, agent, channel, session_key)

    def _caller_client(self, project_id: str, companion_id: str, caller: str) -> str | None:
        """The end user this caller's number is linked to (``PUT …/clients/{id}``), if any."""
        return client_for_phone(project_id, companion_id, caller) if is_phone_number(caller) else None

    def _answer(self, call: IncomingCall, call_id: str, secret: str) -> None:
        settings = self.platform.settings.acs
        assert settings.callback_base_url, "ACS_CALLBACK_BASE_URL (or WEBSITE_HOSTNAME) names the app"
        self.client.answer_call(
            call.context,
            callback_url(settings.callback_base_url, call_id, secret),
            cognitive_services_endpoint=settings.cognitive_services_endpoint,
        )

    def _answer_busy(self, call: IncomingCall, project_id: str, voice: str) -> None:
        """Answered without a session: on ``CallConnected`` the caller hears that no agent is free."""
        call_id = new_id("busy")
        secret, digest = new_call_secret()
        busy = PhoneCall(
            id=call_id,
            project_id=project_id,
            caller=call.caller,
            called=call.called,
            secret_digest=digest,
            voice_name=voice,
            busy=True,
            answered_at=datetime.now(UTC),
        )
        self.calls.add(busy)
        self._answer(call, call_id, secret)

    def _end(self, session_id: str) -> None:
        with contextlib.suppress(Exception):
            entry = new_entry("end", reason="error")
            self.platform.repository(INBOX_TABLE, InboxEntry).create(session_id, entry)
            self._raise_event(session_id, names.INBOX_EVENT, entry.to_event())


def handoff_of(channel: ChannelConfigRecord | None) -> dict[str, Any] | None:
    """The SIP config's ``humanHandoff`` as the session plan carries it (wire names), if any."""
    handoff = channel.human_handoff if channel is not None else None
    return handoff.model_dump(by_alias=True, exclude_none=True) if handoff is not None else None


def end_silence_ms(agent: AgentFields) -> int:
    """The agent's ``turnDetection.silence_duration_ms``, else the published phone advice (800 ms)."""
    settings = agent.provider_settings.turn_detection if agent.provider_settings else None
    value = settings.silence_duration_ms if settings else None
    return value if value else DEFAULT_END_SILENCE_MS
