"""Human handoff on a phone call: the SIP channel config's ``humanHandoff`` as a built-in tool.

A ``sip`` session whose channel config has ``humanHandoff.enabled`` and a ``transferExtension`` offers
the model ``transfer_to_human`` (described with ``transferDescription``: when to use it). A call of it
is routed to the ``transfer_call`` activity: the caller hears a short line, then the call is
transferred (``transfer_call_to_participant``) to the extension. ACS reports the outcome to the
call's callbacks: ``CallTransferAccepted`` ends the session (``closeReason: transferred``; the caller
now talks to the person, the agent's leg is gone), ``CallTransferFailed`` is spoken ("I couldn't
transfer you…"), the model is told as a silent system message, and the conversation goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.communication.callautomation import PhoneNumberIdentifier, TextSource
from azure.core.exceptions import HttpResponseError

from shared.api_errors import ApiError
from shared.models import ToolSpec
from shared.phone.calls import PhoneCall
from shared.phone.dialing import end_call_session
from shared.phone.inbound import SIP_CHANNEL, RaiseEvent
from shared.platform import Platform
from shared.sessions.protocol import SendMessage
from shared.tools.records import ToolCall, ToolOutcome

log = logging.getLogger("omniagent.phone")

TRANSFER_TOOL_NAME = "transfer_to_human"
TRANSFER_CONTEXT = "transfer"  # operationContext of the transfer and of the line said before it
TRANSFER_LINE = "Please hold while I transfer you to a person."
TRANSFER_FAILED_LINE = "I'm sorry, I couldn't transfer you right now. Is there anything else I can help with?"
TRANSFER_FAILED_NOTE = "The transfer to a person failed; the caller was told. Go on helping them yourself."
# Our end reason (and published closeReason) of a session whose call went to a person.
TRANSFERRED = "transferred"


def handoff_target(plan_handoff: dict[str, Any] | None, channel_type: str) -> str | None:
    """Where the session's calls may be transferred (None: no transfer tool is offered)."""
    if channel_type != SIP_CHANNEL or not plan_handoff or not plan_handoff.get("enabled"):
        return None
    extension = str(plan_handoff.get("transferExtension") or "").strip()
    return extension or None


def transfer_tool(plan_handoff: dict[str, Any]) -> ToolSpec:
    when = str(plan_handoff.get("transferDescription") or "").strip()
    description = "Transfer the phone call to a person. The caller is told to hold; say nothing after it."
    if when:
        description += f" Use it when: {when}"
    return ToolSpec(
        TRANSFER_TOOL_NAME,
        description,
        {
            "type": "object",
            "properties": {"reason": {"type": "string", "description": "Why, in a few words."}},
            "additionalProperties": False,
        },
    )


def transfer_participant(extension: str) -> PhoneNumberIdentifier:
    """The transfer target: an E.164 number, or an extension the direct-routing SBC routes (both are
    phone-number identifiers to ACS), separators dropped."""
    kept = "".join(ch for ch in extension if ch.isdigit() or ch in "+*#")
    return PhoneNumberIdentifier(kept or extension)


def transfer(platform: Platform, call: ToolCall, extension: str) -> ToolOutcome:
    """Say the line, then ask ACS to transfer the call (the ``transfer_call`` activity's effect).
    Failures are outcomes: the model is told, the conversation goes on."""
    transport = platform.phone_transport
    phone_call = transport.calls.find(call.session_id)
    if phone_call is None or phone_call.state != "connected" or phone_call.call_connection_id is None:
        return _outcome(call, None, "There is no connected call to transfer.")
    connection = transport.client.get_call_connection(phone_call.call_connection_id)
    try:
        connection.play_media(
            TextSource(text=TRANSFER_LINE, voice_name=phone_call.voice_name),
            interrupt_call_media_operation=True,
            operation_context=TRANSFER_CONTEXT,
        )
        connection.transfer_call_to_participant(
            transfer_participant(extension), operation_context=TRANSFER_CONTEXT
        )
    except HttpResponseError as refused:
        log.info("transfer of session %s refused: %s", call.session_id, refused.status_code)
        return _outcome(call, None, f"The call could not be transferred ({refused.status_code}).")
    result = {"status": "transferring", "note": "The caller was told to hold. Say nothing more."}
    return _outcome(call, result, None)


def _outcome(call: ToolCall, result: dict[str, Any] | None, error: str | None) -> ToolOutcome:
    return ToolOutcome(call.call_id, call.name, call.arguments, result, error, 0.0, 1)


def on_transfer_accepted(platform: Platform, call: PhoneCall, raise_event: RaiseEvent) -> PhoneCall:
    """The caller talks to the person now: the call is over for the agent, and its session ends
    (``transferred``); the ``CallDisconnected`` that follows changes nothing."""
    ended = platform.phone_transport.calls.move(call.id, "ended")
    end_call_session(platform, call.id, TRANSFERRED, raise_event)
    return ended


def on_transfer_failed(platform: Platform, call: PhoneCall, gateway: Any) -> None:
    """The caller is still with the agent: told so (and heard again), and the model is told silently."""
    platform.phone_transport.speak_and_listen(call, TRANSFER_FAILED_LINE)
    try:
        note = SendMessage(role="system", text=TRANSFER_FAILED_NOTE, trigger_response=False)
        gateway.deliver(call.id, note)
    except ApiError as refused:
        log.info("transfer failure of session %s not delivered: %s", call.id, refused.code)
