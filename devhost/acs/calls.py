"""The stand-in's calls: who called whom, their state, what the agent played and what the caller said.

A simulated incoming call is "ringing" until the app answers (``answer_call``) or rejects it; an
outbound call (``create_call``) rings until the control API says the callee answers. Answered calls
are "connected" until a hang-up (either side) or an accepted transfer. Events are handed to ``emit``,
which delivers them to the callback URL the call was answered or created with (or an action's own
``operationCallbackUri``).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import events

Playback = Literal["instant", "held"]
TransferOutcome = Literal["accept", "fail"]
Emit = Callable[["Call", str, dict[str, Any], str | None], None]


class CallError(Exception):
    """A request the service refuses: the HTTP status and the error body's code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _server_call_id() -> str:
    # The service's are base64 of a conversation URL; any opaque base64 will do.
    return base64.urlsafe_b64encode(secrets.token_bytes(48)).decode().rstrip("=")


@dataclass
class PlayedSource:
    """One play source as the agent sent it (``via`` play or a recognize prompt), and how it ended."""

    kind: str
    via: str
    operation_context: str | None
    text: str | None = None
    voice_name: str | None = None
    source_locale: str | None = None
    voice_kind: str | None = None
    ssml_text: str | None = None
    url: str | None = None
    outcome: str = "queued"  # queued, playing, completed, canceled, interrupted, failed
    requested_at: float = field(default_factory=time.time)  # epoch s of its request's arrival

    def view(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "via": self.via,
            "operationContext": self.operation_context,
            "text": self.text,
            "voiceName": self.voice_name,
            "sourceLocale": self.source_locale,
            "voiceKind": self.voice_kind,
            "ssmlText": self.ssml_text,
            "url": self.url,
            "outcome": self.outcome,
            "requestedAt": self.requested_at,
        }


@dataclass
class MediaOperation:
    kind: Literal["play", "recognize"]
    operation_context: str | None
    callback_url: str | None
    sources: list[PlayedSource]
    options: dict[str, Any] = field(default_factory=dict)  # a recognize's recognizeOptions and input type
    phase: Literal["queued", "playing", "listening"] = "queued"
    timer: asyncio.TimerHandle | None = None


@dataclass
class Call:
    id: str  # the callConnectionId the app gets when it answers or creates the call
    direction: Literal["inbound", "outbound"]
    caller: dict[str, Any]  # identifiers (CommunicationIdentifierModel)
    callee: dict[str, Any]
    caller_display_name: str
    playback: Playback = "instant"
    transfers: TransferOutcome = "accept"
    state: str = "ringing"  # ringing, connected, transferring, disconnected, rejected
    server_call_id: str = field(default_factory=_server_call_id)
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    incoming_call_context: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    callback_url: str | None = None
    api_version: str = ""
    operation_context: str | None = None
    cognitive_services_endpoint: str | None = None
    source_caller_id: dict[str, Any] | None = None
    reject_reason: str | None = None
    participants_sequence: int = 0
    media: deque[MediaOperation] = field(default_factory=deque)
    utterances: deque[str | None] = field(default_factory=deque)  # None: the caller stays silent
    played: list[PlayedSource] = field(default_factory=list)
    recognitions: list[dict[str, Any]] = field(default_factory=list)
    transfer_requests: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # what was sent, and the answers' status

    @property
    def live(self) -> bool:
        return self.state in ("connected", "transferring")

    def connection_state(self) -> str:
        return {"ringing": "connecting", "rejected": "disconnected"}.get(self.state, self.state)

    def properties(self) -> dict[str, Any]:
        """CallConnectionProperties, as answer, create and get call answer them."""
        body: dict[str, Any] = {
            "callConnectionId": self.id,
            "serverCallId": self.server_call_id,
            "targets": [self.callee],
            "callConnectionState": self.connection_state(),
            "callbackUri": self.callback_url,
            "source": self.caller if self.direction == "inbound" else self.source_caller_id,
            "correlationId": self.correlation_id,
        }
        if self.direction == "outbound" and self.source_caller_id:
            body["sourceCallerIdNumber"] = self.source_caller_id.get("phoneNumber")
        if self.direction == "inbound":
            body["answeredFor"] = self.callee.get("phoneNumber")
        return {name: value for name, value in body.items() if value is not None}

    def view(self) -> dict[str, Any]:
        """The control API's record of the call."""
        return {
            "id": self.id,
            "direction": self.direction,
            "state": self.state,
            "from": self.caller.get("phoneNumber", {}).get("value"),
            "to": self.callee.get("phoneNumber", {}).get("value"),
            "callerDisplayName": self.caller_display_name,
            "serverCallId": self.server_call_id,
            "correlationId": self.correlation_id,
            "incomingCallContext": self.incoming_call_context,
            "callbackUri": self.callback_url,
            "cognitiveServicesEndpoint": self.cognitive_services_endpoint,
            "playback": self.playback,
            "transfers": self.transfers,
            "rejectReason": self.reject_reason,
            "played": [source.view() for source in self.played],
            "recognitions": self.recognitions,
            "transferRequests": self.transfer_requests,
            "pendingUtterances": len(self.utterances),
            "events": self.events,
        }


class CallBook:
    """Every call since the host started (in memory), and the call-level actions on them."""

    def __init__(self, emit: Emit, announce: Callable[[Call], None], stop_media: Callable[[Call], None]):
        self._emit = emit
        self._announce = announce  # delivers IncomingCall for a new inbound call
        self._stop_media = stop_media
        self.calls: dict[str, Call] = {}

    def incoming(
        self, caller: str, callee: str, display_name: str, playback: Playback, transfers: TransferOutcome
    ) -> Call:
        call = Call(
            id=str(uuid.uuid4()),
            direction="inbound",
            caller=events.phone_identifier(caller),
            callee=events.phone_identifier(callee),
            caller_display_name=display_name,
            playback=playback,
            transfers=transfers,
        )
        self.calls[call.id] = call
        self._announce(call)
        return call

    def find(self, call_id: str) -> Call:
        call = self.calls.get(call_id)
        if call is None:
            raise CallError(404, "NotFound", f"There is no call '{call_id}'.")
        return call

    def connection(self, call_id: str) -> Call:
        """A call the app may act on: connected (or transferring); else 404 as the service answers."""
        call = self.calls.get(call_id)
        if call is None or not call.live:
            raise CallError(404, "NotFound", f"Call connection '{call_id}' was not found or has ended.")
        return call

    def _by_context(self, context: Any) -> Call:
        if not isinstance(context, str) or not context:
            raise CallError(400, "BadRequest", "incomingCallContext is required.")
        for call in self.calls.values():
            if call.direction == "inbound" and call.incoming_call_context == context:
                if call.state != "ringing":
                    raise CallError(400, "BadRequest", "The incoming call was already answered or ended.")
                return call
        raise CallError(400, "BadRequest", "incomingCallContext does not name a ringing call.")

    def answer(self, body: dict[str, Any], api_version: str) -> Call:
        call = self._by_context(body.get("incomingCallContext"))
        call.callback_url = _callback_url(body.get("callbackUri"), "callbackUri")
        call.api_version = api_version
        call.operation_context = _optional_text(body.get("operationContext"))
        intelligence = body.get("callIntelligenceOptions") or {}
        call.cognitive_services_endpoint = _optional_text(intelligence.get("cognitiveServicesEndpoint"))
        self.connect(call)
        return call

    def reject(self, body: dict[str, Any]) -> None:
        call = self._by_context(body.get("incomingCallContext"))
        call.state = "rejected"
        call.reject_reason = _optional_text(body.get("callRejectReason")) or "none"

    def create(self, body: dict[str, Any], api_version: str) -> Call:
        targets = body.get("targets")
        if not isinstance(targets, list) or len(targets) != 1 or not isinstance(targets[0], dict):
            raise CallError(400, "BadRequest", "targets must name one participant.")
        number = (targets[0].get("phoneNumber") or {}).get("value")
        if not isinstance(number, str) or not number:
            raise CallError(400, "BadRequest", "The stand-in calls phone numbers only (phoneNumber).")
        source = body.get("sourceCallerIdNumber")
        if not isinstance(source, dict) or not source.get("value"):
            raise CallError(400, "BadRequest", "sourceCallerIdNumber is required to call a phone number.")
        call = Call(
            id=str(uuid.uuid4()),
            direction="outbound",
            caller=events.phone_identifier(source["value"]),
            callee=events.phone_identifier(number),
            caller_display_name=_optional_text(body.get("sourceDisplayName")) or "",
            callback_url=_callback_url(body.get("callbackUri"), "callbackUri"),
            api_version=api_version,
            operation_context=_optional_text(body.get("operationContext")),
            source_caller_id=events.phone_identifier(source["value"]),
        )
        intelligence = body.get("callIntelligenceOptions") or {}
        call.cognitive_services_endpoint = _optional_text(intelligence.get("cognitiveServicesEndpoint"))
        self.calls[call.id] = call
        return call

    def connect(self, call: Call) -> None:
        call.state = "connected"
        context = {"operationContext": call.operation_context} if call.operation_context else {}
        self._emit(call, "CallConnected", context, None)
        call.participants_sequence += 1
        participants = [
            {"identifier": who, "isMuted": False, "isOnHold": False} for who in (call.caller, call.callee)
        ]
        self._emit(
            call,
            "ParticipantsUpdated",
            {"sequenceNumber": call.participants_sequence, "participants": participants},
            None,
        )

    def disconnect(self, call: Call) -> None:
        """The call ends (hang-up by either side, or the agent's leg after a transfer)."""
        if call.state == "disconnected":
            return
        self._stop_media(call)
        call.state = "disconnected"
        self._emit(call, "CallDisconnected", {"resultInformation": events.CALL_ENDED}, None)

    def transfer(self, call: Call, body: dict[str, Any]) -> dict[str, Any]:
        target = body.get("targetParticipant")
        if not isinstance(target, dict) or not (target.get("rawId") or target.get("phoneNumber")):
            raise CallError(400, "BadRequest", "targetParticipant is required.")
        if call.state == "transferring":
            raise CallError(400, "BadRequest", "A transfer of this call is already in progress.")
        context = _optional_text(body.get("operationContext"))
        callback = _callback_url(body.get("operationCallbackUri"), "operationCallbackUri", required=False)
        call.transfer_requests.append({"targetParticipant": target, "operationContext": context})
        fields: dict[str, Any] = {"operationContext": context} if context else {}
        if call.transfers == "accept":
            call.state = "transferring"
            accepted = {**fields, "resultInformation": events.TRANSFER_ACCEPTED, "transferTarget": target}
            accepted["transferee"] = call.caller
            self._emit(call, "CallTransferAccepted", accepted, callback)
            self.disconnect(call)  # the agent's leg ends; the caller now talks to the target
        else:
            failed = {**fields, "resultInformation": events.TRANSFER_FAILED}
            self._emit(call, "CallTransferFailed", failed, callback)
        return {"operationContext": context} if context else {}


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _callback_url(value: Any, name: str, required: bool = True) -> str | None:
    """An absolute http(s) URL. (The service takes https only; the stand-in takes loopback http too.)"""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise CallError(400, "BadRequest", f"The field {name} is invalid: an absolute http(s) URL is needed.")
    return value
