"""The phone channel's plain rules: what a caller hears of the published events, the voice a reply is
spoken with, the IncomingCall's fields, the callback URL and where ACS is told to post it."""

from __future__ import annotations

import pytest

from shared.phone.calls import PhoneCall, new_call_secret, secret_matches
from shared.phone.inbound import IncomingCall, callback_url
from shared.phone.replies import StreamedReplies, speakable
from shared.phone.settings import load_acs_settings
from shared.phone.transport import spoken_line
from shared.phone.voices import DEFAULT_PHONE_VOICE, phone_voice
from shared.sessions import protocol


def _item(role: str, action: str, content: str) -> dict:
    return protocol.message(
        protocol.ConversationItem(role=role, action=action, content=content, item_id="i", timestamp="t")
    )


def test_only_completed_agent_messages_and_the_inactivity_warning_are_spoken():
    assert spoken_line(_item("assistant", "completed", " We open at nine. ")) == "We open at nine."
    assert spoken_line(_item("assistant", "delta", "We open")) is None
    assert spoken_line(_item("user", "completed", "When do you open?")) is None
    assert spoken_line(_item("assistant", "completed", "  ")) is None
    assert spoken_line(protocol.talk_state("preparing")) is None
    assert spoken_line(protocol.session_marker("sess_1", "t")) is None
    warning = spoken_line(protocol.inactivity_warning(15))
    assert warning is not None and "15 seconds" in warning
    assert spoken_line(protocol.session_ended("timeout", 1)) is None


@pytest.mark.parametrize(
    ("voice_id", "expected"),
    [
        ("alloy", "en-US-AvaMultilingualNeural"),
        ("echo", "en-US-AndrewMultilingualNeural"),
        ("de-DE-KatjaNeural", "de-DE-KatjaNeural"),  # an Azure voice name is used as given
        ("unknown", DEFAULT_PHONE_VOICE),
        (None, DEFAULT_PHONE_VOICE),
    ],
)
def test_an_agents_voice_id_maps_to_an_azure_voice(voice_id, expected):
    assert phone_voice(voice_id) == expected


def test_incoming_call_reads_the_published_fields_and_refuses_incomplete_ones():
    data = {
        "to": {"kind": "phoneNumber", "rawId": "4:+14445550100", "phoneNumber": {"value": "+14445550100"}},
        "from": {"kind": "phoneNumber", "rawId": "4:+15551230001", "phoneNumber": {"value": "+15551230001"}},
        "incomingCallContext": "ctx",
        "correlationId": "corr-1",
    }
    assert IncomingCall.from_event(data) == IncomingCall("+15551230001", "+14445550100", "ctx", "corr-1")
    raw_only = {**data, "to": {"rawId": "sip:+14445550100@sbc.example.com"}}
    assert IncomingCall.from_event(raw_only).called == "sip:+14445550100@sbc.example.com"
    assert IncomingCall.from_event({**data, "incomingCallContext": ""}) is None
    assert IncomingCall.from_event({"to": data["to"]}) is None
    assert IncomingCall.from_event("not an object") is None


def test_the_callback_url_names_the_call_and_its_secret_which_only_it_matches():
    secret, digest = new_call_secret()
    assert callback_url("https://app.example", "sess_1", secret) == (
        f"https://app.example/runtime/acs/callbacks/sess_1?secret={secret}"
    )
    call = PhoneCall.model_validate(
        {
            "id": "sess_1",
            "project_id": "p",
            "caller": "+1",
            "called": "+2",
            "secret_digest": digest,
            "voice_name": "v",
            "answered_at": "2026-01-01T00:00:00Z",
        }
    )
    assert secret_matches(call, secret)
    assert not secret_matches(call, secret + "x")
    assert not secret_matches(call, None)
    assert digest != secret  # only the digest is stored


def test_callbacks_go_to_the_configured_base_or_the_apps_own_host():
    assert load_acs_settings({"ACS_CALLBACK_BASE_URL": "https://calls.example/"}).callback_base_url == (
        "https://calls.example"
    )
    assert load_acs_settings({"WEBSITE_HOSTNAME": "omni.azurewebsites.net"}).callback_base_url == (
        "https://omni.azurewebsites.net"
    )
    assert load_acs_settings({"WEBSITE_HOSTNAME": "localhost:7071"}).callback_base_url == (
        "http://localhost:7071"
    )
    assert load_acs_settings({}).callback_base_url is None
    endpoint = "https://speech.example.cognitiveservices.azure.com/"
    assert load_acs_settings({"ACS_COGNITIVE_SERVICES_ENDPOINT": endpoint}).cognitive_services_endpoint == (
        endpoint
    )


def test_a_streamed_reply_is_played_sentence_by_sentence_its_last_one_the_prompt():
    replies = StreamedReplies()
    pieces = ["We open ", "at nine. We clo", "se at five. Come", " by!"]
    played = [replies.add("sess_1", "item_1", piece) for piece in pieces]
    assert played == [[], ["We open at nine."], ["We close at five."], []]  # once the next has begun
    end = replies.finish("sess_1", "item_1", "".join(pieces))
    assert (end.sentences, end.prompt, end.played_before) == ([], "Come by!", 2)


def test_a_one_sentence_reply_is_only_the_prompt_and_an_unstreamed_one_is_played_at_its_end():
    replies = StreamedReplies()
    assert replies.add("sess_1", "greeting", "Hello, thanks for calling.") == []
    end = replies.finish("sess_1", "greeting", "Hello, thanks for calling.")
    assert (end.sentences, end.prompt, end.played_before) == ([], "Hello, thanks for calling.", 0)
    whole = replies.finish("sess_1", "never_streamed", "One. Two. Three.")
    assert (whole.sentences, whole.prompt, whole.played_before) == (["One.", "Two."], "Three.", 0)


def test_citation_markers_are_not_read_out():
    assert speakable("We open at nine [1].") == "We open at nine."
    assert speakable("See both [1, 3] and [2]") == "See both and"
    replies = StreamedReplies()
    assert replies.add("sess_1", "item_1", "Nine [1]. Five [2]. Bye") == ["Nine.", "Five."]
    assert replies.finish("sess_1", "item_1", "Nine [1]. Five [2]. Bye [3].").prompt == "Bye."
