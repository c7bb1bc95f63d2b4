"""The orchestrator reads the ``inbox`` event's payload the same way however the host delivered it."""

import json

from shared.sessions.inbox import event_hint, new_entry


def test_the_payload_as_the_sdk_client_delivers_it_in_azure_is_read_as_the_dict():
    payload = new_entry("end", reason="client").to_event()

    # client.raise_event posts json.dumps(payload); the extension decodes it once: the JSON text.
    assert event_hint(json.dumps(payload)) == payload
    assert event_hint(payload) == payload


def test_a_wake_up_without_a_payload_or_with_a_foreign_one_is_an_empty_hint():
    assert event_hint(None) == {}
    assert event_hint("not json") == {}
    assert event_hint(json.dumps([1, 2])) == {}
