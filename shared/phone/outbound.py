"""An outbound call's request, checked before anything is dialled (issue 15, item 5).

``POST /public/agents/{id}/connections`` with ``channelType: "sip"`` and ``destination`` (and the legacy
``POST /public/sip-connections/{id}/call``) asks the agent to call a number. The destination follows
the published rule (``shared.phone.numbers.normalise_destination``), and the call is placed from one
of the agent's bound phone numbers (its SIP channel config's ``phoneNumbers``; a SIP address cannot
be a caller id). Without ACS a valid request answers 503 ``PhoneChannelUnavailable``; with it the call
is placed (``shared.phone.dialing``).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.agents.models import ChannelConfigRecord
from shared.api_errors import ApiError, ErrorKind, FieldError, validation_failed
from shared.phone.numbers import is_phone_address, normalise_destination


@dataclass(frozen=True)
class OutboundCall:
    destination: str  # E.164
    caller_id: str  # the agent's bound number the call comes from


def check_outbound_call(destination: str | None, sip_config: ChannelConfigRecord | None) -> OutboundCall:
    """The call to place, or the 400 that says what is missing."""
    if destination is None:
        raise validation_failed(
            "destination: required for channelType sip (the number the agent calls)",
            [FieldError("destination", "required for channelType sip (the number the agent calls)")],
        )
    try:
        number = normalise_destination(destination)
    except ValueError as error:
        raise validation_failed(f"destination: {error}", [FieldError("destination", str(error))]) from None
    numbers = [n for n in (sip_config.phone_numbers if sip_config else None) or [] if is_phone_address(n)]
    if not numbers:
        message = (
            "the agent has no phone number to call from: bind one with PUT "
            '/public/agents/{agentId}/channels/sip {"phoneNumbers": ["+1…"]}'
        )
        raise validation_failed(f"channelType: {message}", [FieldError("channelType", message)])
    return OutboundCall(destination=number, caller_id=numbers[0])


def outbound_unavailable() -> ApiError:
    return ApiError(
        503,
        "PhoneChannelUnavailable",
        "Outbound calls need Azure Communication Services: this deployment has no ACS_CONNECTION_STRING.",
        ErrorKind.FAILURE,
    )
