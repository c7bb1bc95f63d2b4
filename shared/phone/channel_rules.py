"""What a phone channel config (``sip``, ``voip``) must meet beyond the common channel rules.

Implicit functions run in the connected client (``function_implicitly_called``), and a caller's phone
is no such client: an agent whose phone sessions would offer one is refused when the channel is
configured, with the published phone-channel refusal ``400 TelephonyChannelNotAllowed`` (the deploy-phone
guide answers it for agents that cannot go on the phone), naming each function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.api_errors import ApiError, ErrorKind, FieldError, conflict

PHONE_CHANNELS = frozenset({"sip", "voip"})

FlowOf = Callable[[str], str | None]  # a function id -> its flow ("implicit" | "explicit"), None if gone


def implicit_function_errors(
    function_ids: Sequence[str], flow_of: FlowOf, *, from_agent: bool
) -> list[FieldError]:
    """One error per implicit function among ``function_ids`` (the channel's own list, or the agent's
    when the channel does not replace it: ``from_agent``)."""
    where = "the agent's function" if from_agent else "function"
    return [
        FieldError(
            f"functions[{index}]",
            f"{where} '{function_id}' is implicit (the client runs it) and a phone call has no client: "
            "use explicit functions on phone channels, or replace the list with this channel's functions",
        )
        for index, function_id in enumerate(function_ids)
        if flow_of(function_id) == "implicit"
    ]


def telephony_not_allowed(errors: list[FieldError], configured: str | None = None) -> ApiError:
    """The refusal; ``configured`` names the phone channel the agent is already on (a PATCH)."""
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:3])
    if configured:
        description = f"The agent has a {configured} channel config, where this cannot run: {summary}"
    else:
        description = f"This agent cannot go on a phone channel: {summary}"
    return ApiError(
        400,
        "TelephonyChannelNotAllowed",
        description,
        ErrorKind.VALIDATION,
        errors,
    )


def address_in_use(address: str) -> ApiError:
    return conflict(
        "PhoneNumberInUse",
        f"{address} is already bound to another agent: a number or SIP address answers with one agent. "
        "Remove it from that agent's SIP channel config first.",
    )
