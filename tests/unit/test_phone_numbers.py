"""The number rules of the phone channel: what can be bound to an agent, its routing form, and what an
outbound call may dial (shared/phone/numbers.py, shared/phone/channel_rules.py)."""

from __future__ import annotations

import pytest

from shared.phone.channel_rules import implicit_function_errors
from shared.phone.numbers import (
    MAX_BOUND_ADDRESSES,
    address_errors,
    is_phone_address,
    normalise_address,
    normalise_destination,
)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("+15550100000", "+15550100000"),
        (" +1 (555) 010-0000 ", "+15550100000"),
        ("+44.20.7946.0000", "+442079460000"),
        ("4:+15550100000", "+15550100000"),  # ACS's raw id of a phone number
        ("sip:+15550100000@SBC.Example.com", "sip:+15550100000@sbc.example.com"),
        ("SIP:Reception@pbx.example.com:5061", "sip:Reception@pbx.example.com:5061"),
        ("sips:desk@pbx.example.com", "sips:desk@pbx.example.com"),
    ],
)
def test_an_address_has_one_routing_form(written, normalised):
    assert normalise_address(written) == normalised


@pytest.mark.parametrize(
    "written",
    [
        "15550100000",  # no '+': not E.164
        "+05550100000",  # a country code never starts with 0
        "+123456",  # 6 digits
        "+1234567890123456",  # 16 digits
        "+1555abc0000",
        "",
        "sip:@pbx.example.com",
        "sip:desk@",
        "sip:desk@pbx.example.com;transport=tcp",  # parameters are not part of an address
        "sip:desk@pbx.example.com?subject=x",
        "sip:desk@pbx.example.com:70000",
        "sip:de sk@pbx.example.com",
        "tel:+15550100000",
    ],
)
def test_a_malformed_address_is_refused_with_a_reason(written):
    with pytest.raises(ValueError, match=r"E\.164|SIP address"):
        normalise_address(written)


def test_a_list_reports_each_bad_entry_and_duplicates_after_normalising():
    errors = address_errors(["+15550100000", "nope", "+1 555 010 0000", "sip:a@b.example"])
    assert [path for path, _ in errors] == ["phoneNumbers[1]", "phoneNumbers[2]"]
    assert "repeats phoneNumbers[0]" in errors[1][1]
    assert address_errors([f"+1555010{n:04d}" for n in range(MAX_BOUND_ADDRESSES)]) == []
    too_many = address_errors([f"+1555010{n:04d}" for n in range(MAX_BOUND_ADDRESSES + 1)])
    assert too_many == [("phoneNumbers", f"at most {MAX_BOUND_ADDRESSES} numbers or SIP addresses")]


@pytest.mark.parametrize(
    ("destination", "dialled"),
    [("+15551234567", "+15551234567"), ("15551234567", "+15551234567"), ("4420794600001", "+4420794600001")],
)
def test_a_destination_follows_the_published_rule(destination, dialled):
    assert normalise_destination(destination) == dialled


@pytest.mark.parametrize(
    "destination",
    [
        "+1 555 123 4567",
        "*72",
        "#31#5551234567",
        "sip:+15551234567@x.example",
        "+123456",
        "1234567890123456",
        "",
    ],
)
def test_a_destination_that_is_not_digits_is_refused(destination):
    with pytest.raises(ValueError, match=r"digits|E\.164"):
        normalise_destination(destination)


def test_only_phone_numbers_can_place_calls():
    assert is_phone_address("+15550100000")
    assert not is_phone_address("sip:desk@pbx.example.com")


def test_implicit_functions_are_named_by_their_position():
    flows = {"fn_a": "explicit", "fn_b": "implicit", "fn_c": "implicit"}
    errors = implicit_function_errors(["fn_a", "fn_b", "fn_gone", "fn_c"], flows.get, from_agent=True)
    assert [e.field for e in errors] == ["functions[1]", "functions[3]"]
    assert "the agent's function 'fn_b' is implicit" in errors[0].message
    assert implicit_function_errors(["fn_a"], flows.get, from_agent=False) == []
