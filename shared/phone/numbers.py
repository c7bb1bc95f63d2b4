"""What may be bound to an agent's SIP channel, and the one written form of each address.

Two kinds of address answer a call: an ACS phone number (E.164: ``+`` and 7 to 15 digits, the first not
0) and a direct-routing SIP address (``sip:<user>@<host>[:port]``, ``sips:`` too). Each has one
normalised form, the routing table's key: a number without its visual separators (``+1 (555) 010-0000``
is ``+15550100000``), a SIP address with its scheme and host in lower case (the user part is case
sensitive in SIP and kept as written). ACS names a called phone number by its raw id, ``4:+1555…``;
that form is read too.

Outbound ``destination`` follows the published rule of the SIP page: ``+`` and 7 to 15 digits, or up
to 15 digits without the ``+`` (taken as the same number with it); digits only, no SIP URIs.
"""

from __future__ import annotations

import re

from shared.memory.records import is_phone_number

MAX_BOUND_ADDRESSES = 10

_VISUAL_SEPARATORS = re.compile(r"[\s().-]")
_ACS_PHONE_RAW_ID = "4:"
# No ';' parameters, '?' headers, '/' or '#': the address is a table key and one address per entry.
_SIP_ADDRESS = re.compile(r"^(sips?):([A-Za-z0-9+._~!$&'*%-]{1,64})@([A-Za-z0-9.-]{1,253})(?::(\d{1,5}))?$")
_DESTINATION = re.compile(r"^(?:\+[1-9]\d{6,14}|\d{1,15})$")


def normalise_address(value: str) -> str:
    """The routing form of a phone number or SIP address; ``ValueError`` saying what is wrong."""
    text = value.strip()
    if text.lower().startswith(("sip:", "sips:")):
        return _normalise_sip_address(text)
    if text.startswith(_ACS_PHONE_RAW_ID):
        text = text[len(_ACS_PHONE_RAW_ID) :]
    number = _VISUAL_SEPARATORS.sub("", text)
    if not is_phone_number(number):
        raise ValueError(
            f"'{value}' is neither an E.164 phone number ('+' and 7 to 15 digits, e.g. +15550100000) "
            "nor a SIP address (sip:user@host)"
        )
    return number


def _normalise_sip_address(text: str) -> str:
    scheme, rest = text.split(":", 1)
    match = _SIP_ADDRESS.match(f"{scheme.lower()}:{rest}")
    if match is None:
        raise ValueError(
            f"'{text}' is not a SIP address: use sip:user@host or sip:user@host:port "
            "(no parameters, headers or spaces)"
        )
    scheme, user, host, port = match.groups()
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"'{text}' is not a SIP address: the port must be 1 to 65535")
    return f"{scheme}:{user}@{host.lower()}" + (f":{port}" if port else "")


def address_errors(values: list[str]) -> list[tuple[str, str]]:
    """``(field path, message)`` for each bad entry of a ``phoneNumbers`` list (bad form, a duplicate
    after normalising, too many)."""
    errors: list[tuple[str, str]] = []
    if len(values) > MAX_BOUND_ADDRESSES:
        errors.append(("phoneNumbers", f"at most {MAX_BOUND_ADDRESSES} numbers or SIP addresses"))
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        try:
            normalised = normalise_address(value)
        except ValueError as error:
            errors.append((f"phoneNumbers[{index}]", str(error)))
            continue
        if normalised in seen:
            errors.append((f"phoneNumbers[{index}]", f"'{value}' repeats phoneNumbers[{seen[normalised]}]"))
        seen.setdefault(normalised, index)
    return errors


def normalise_destination(value: str) -> str:
    """An outbound call's ``destination`` as the E.164 number to dial; ``ValueError`` if it breaks
    the published rule (digits only: no spaces, ``*``/``#`` codes or SIP URIs)."""
    if not _DESTINATION.match(value):
        raise ValueError(
            "must be '+' followed by 7 to 15 digits, or up to 15 digits (digits only: no spaces, "
            "* or # codes, or SIP URIs)"
        )
    number = value if value.startswith("+") else "+" + value
    if not is_phone_number(number):
        raise ValueError(f"'{value}' is not a phone number ACS can dial (E.164: '+' and 7 to 15 digits)")
    return number


def is_phone_address(normalised: str) -> bool:
    """A bound phone number (which can place outbound calls), not a SIP address."""
    return normalised.startswith("+")
