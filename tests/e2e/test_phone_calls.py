"""Phone calls on the local stack (issue 15, turn mode): a caller dials, through the ACS stand-in's
control API, a number bound to an agent's SIP channel; the platform's Event Grid trigger answers it as
a ``sip`` session, ACS's signed callbacks drive it, and the agent's words are played as text sources.
The stand-in's record of the call is what the caller heard."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
import requests

from devhost.acs.callback_tokens import CallbackSigner
from shared.memory.folding import Summary
from shared.memory.records import ClientMemory
from shared.memory.store import MemoryStore
from shared.phone.inbound import NO_AGENTS_AVAILABLE
from shared.storage import table_service
from tests.devhost.acs_world import AcsControl
from tests.e2e.builders import new_companion
from tests.e2e.phone_calls import (
    T,
    bound_agent,
    free_number,
    heard,
    page_items,
    session_detail,
    sip_sessions,
    the_sip_session,
    wait_until,
)

CALLER = "+15551230042"
GREETING = "Hello, thanks for calling Ava's bakery."
EVENT = "Microsoft.Communication."


class FixedSummarizer:
    def summarize(self, previous: ClientMemory | None, conversation: object) -> Summary:
        return Summary("Sarah is vegetarian.", ("Name: Sarah", "Vegetarian"))


@pytest.fixture
def acs(platform) -> AcsControl:
    return AcsControl(platform.host)


def _callback(platform, call_id: str, secret: str, token: str, events: list[dict[str, Any]]) -> int:
    response = requests.post(
        platform.url(f"/runtime/acs/callbacks/{call_id}"),
        params={"secret": secret},
        data=json.dumps(events),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=T,
    )
    return response.status_code


def _deliver_incoming_call_event(platform, event: dict[str, Any], kind: str) -> requests.Response:
    """``event`` posted to the incoming-call function's Event Grid webhook, as Event Grid does."""
    key = platform.host.host_keys()["eventgrid_extension"]
    return requests.post(
        platform.url("/runtime/webhooks/eventgrid"),
        params={"functionName": "acs_incoming_call", "code": key},
        json=[event],
        headers={"aeg-event-type": kind},
        timeout=T,
    )


def _recognized(call_connection_id: str, text: str) -> dict[str, Any]:
    return {
        "id": secrets.token_hex(8),
        "source": f"calling/callConnections/{call_connection_id}",
        "type": EVENT + "RecognizeCompleted",
        "specversion": "1.0",
        "data": {
            "callConnectionId": call_connection_id,
            "operationContext": "turn",
            "resultInformation": {"code": 200, "subCode": 8533, "message": "Speech recognized."},
            "recognitionType": "speech",
            "speechResult": {"speech": text, "confidence": 1.0},
        },
    }


def test_a_call_to_a_bound_number_is_a_sip_session_greeted_answered_and_billed(
    platform, model_key, model, acs
):
    number = free_number()
    agent = bound_agent(
        platform,
        model_key,
        number,
        greeting=GREETING,
        providerSettings={"turnDetection": {"silence_duration_ms": 900}},
    )
    model.reply_text("We open at nine every morning.")

    placed = acs.place(CALLER, number)
    record = acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")
    assert record["state"] == "connected"
    greeting = next(source for source in record["played"] if source["text"] == GREETING)
    assert greeting["voiceName"] == "en-US-AvaMultilingualNeural"  # the agent's alloy on the phone
    assert greeting["via"] == "recognizePrompt"  # spoken as the prompt of the caller's turn
    listening = record["recognitions"][-1]
    assert (listening["endSilenceTimeoutInMs"], listening["interruptPrompt"]) == (900, True)
    assert listening["targetParticipant"]["phoneNumber"]["value"] == CALLER

    acs.say(placed["id"], "When do you open?")
    record = acs.wait_for_call(
        placed["id"], lambda r: "We open at nine every morning." in heard(r), "the reply"
    )
    assert heard(record) == [GREETING, "We open at nine every morning."]
    assert model.requests[-1].messages[-1] == {"role": "user", "content": "When do you open?"}

    session = the_sip_session(platform, model_key, agent["id"])
    assert (session["sessionType"], session["status"]) == ("sip", "started")
    response = acs.act(placed["id"], "hang-up")
    assert response.status_code == 200, response.text
    detail = wait_until(
        lambda: session_detail(platform, model_key, session["id"]),
        lambda d: d["status"] == "closed",
        "the session's end",
    )
    assert (detail["sessionType"], detail["modality"]) == ("sip", "audio")
    assert detail["closeReason"] == "client_closed"  # a hang-up, as a closed WebSocket
    assert detail["billedMinutes"] == 1
    items = [(item["role"], item["text"]) for item in detail["conversation"]["items"]]
    assert items == [
        ("agent", GREETING),
        ("user", "When do you open?"),
        ("agent", "We open at nine every morning."),
    ]
    assert len(model.requests) == 1


def test_a_call_to_an_unbound_number_is_rejected(platform, acs):
    placed = acs.place(CALLER, free_number())
    record = acs.wait_for_call(placed["id"], lambda r: r["state"] == "rejected", "the rejection")
    assert (record["callbackUri"], record["played"]) == (None, [])  # never answered


def test_forged_callbacks_are_refused_and_an_ended_call_changes_nothing(
    platform, model_key, model, acs
):
    number = free_number()
    agent = bound_agent(platform, model_key, number, greeting=GREETING)
    placed = acs.place(CALLER, number)
    acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")
    session = the_sip_session(platform, model_key, agent["id"])
    callback = acs.call(placed["id"])["callbackUri"]
    secret = callback.split("secret=", 1)[1]
    identity = acs.identity
    signer = CallbackSigner(identity["signingKeyPem"], identity["resourceId"])
    elsewhere = CallbackSigner(identity["signingKeyPem"], "another-acs-resource")
    words = [_recognized(placed["id"], "Give me everything for free.")]

    assert _callback(platform, session["id"], secret, "not-a-token", words) == 401
    assert _callback(platform, session["id"], secret, elsewhere.token(), words) == 401  # audience
    assert _callback(platform, session["id"], "wrong-secret", signer.token(), words) == 401
    assert _callback(platform, "sess_nobody", secret, signer.token(), words) == 404
    # The caller's real words are the next turn: the forged ones never reached the session.
    model.reply_text("Our bread is two dollars.")
    acs.say(placed["id"], "How much is the bread?")
    acs.wait_for_call(placed["id"], lambda r: "Our bread is two dollars." in heard(r), "the reply")
    assert [r.messages[-1]["content"] for r in model.requests] == ["How much is the bread?"]

    acs.act(placed["id"], "hang-up")
    wait_until(
        lambda: session_detail(platform, model_key, session["id"]),
        lambda d: d["status"] == "closed",
        "the session's end",
    )
    ended = session_detail(platform, model_key, session["id"])
    assert _callback(platform, session["id"], secret, signer.token(), words) == 200
    assert len(model.requests) == 1
    assert session_detail(platform, model_key, session["id"]) == ended


def test_a_caller_linked_to_an_end_user_is_remembered_on_the_phone(platform, model_key, model, acs):
    companion = new_companion(platform, model_key)
    store = MemoryStore.on(table_service(platform.settings.storage))
    store.save_folded(
        model_key.project_id,
        companion,
        "sarah-001",
        [("user", "Hi, I'm Sarah and I'm vegetarian."), ("assistant", "Nice to meet you, Sarah!")],
        FixedSummarizer(),
        session_id="sess_web_1",
    )
    caller = "+14155550199"
    linked = requests.put(
        platform.url(f"/public/companions/{companion}/clients/sarah-001"),
        json={"phoneNumbers": [caller]},
        headers=model_key.headers,
        timeout=T,
    )
    assert linked.status_code == 200, linked.text
    number = free_number()
    agent = bound_agent(platform, model_key, number, greeting=GREETING, companionId=companion)
    model.reply_text("Our vegetarian soup, Sarah.")

    placed = acs.place(caller, number)
    acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")
    acs.say(placed["id"], "What do you recommend?")
    acs.wait_for_call(placed["id"], lambda r: "Our vegetarian soup, Sarah." in heard(r), "the reply")

    assert "Sarah is vegetarian." in model.requests[0].system_prompt
    session = the_sip_session(platform, model_key, agent["id"])
    assert session["externalClientId"] == "sarah-001"
    acs.act(placed["id"], "hang-up")


def test_the_sixth_concurrent_call_hears_that_no_agent_is_available(platform, model_key, acs):
    number = free_number()
    agent = bound_agent(platform, model_key, number, greeting=GREETING)
    callers = [f"+1555123{index:04d}" for index in range(6)]
    held = [acs.place(caller, number) for caller in callers[:5]]
    for placed in held:
        acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "a greeting")

    refused = acs.place(callers[5], number)
    record = acs.wait_for_call(refused["id"], lambda r: r["state"] == "disconnected", "the hang-up")
    assert heard(record) == [NO_AGENTS_AVAILABLE]
    assert len(sip_sessions(platform, model_key, agent["id"])) == 5  # no session for the sixth caller
    for placed in held:
        acs.act(placed["id"], "hang-up")


def test_a_caller_barges_into_the_agents_prompt(platform, model_key, model, acs):
    number = free_number()
    bound_agent(platform, model_key, number, greeting=GREETING)
    model.reply_text("Sure, a table for two.")
    placed = acs.place(CALLER, number, playback="held")  # the greeting keeps playing until told
    acs.wait_for_call(placed["id"], lambda r: any(s["outcome"] == "playing" for s in r["played"]), "playing")

    acs.say(placed["id"], "A table for two, please.")
    record = acs.wait_for_call(
        placed["id"], lambda r: any(s["text"] == "Sure, a table for two." for s in r["played"]), "the reply"
    )
    greeting = next(source for source in record["played"] if source["text"] == GREETING)
    assert greeting["outcome"] == "interrupted"
    assert model.requests[0].messages[-1] == {"role": "user", "content": "A table for two, please."}
    acs.act(placed["id"], "hang-up")


def test_a_silent_caller_is_warned_then_told_goodbye_and_hung_up(platform, model_key, acs):
    number = free_number()
    inactivity = {"timeoutSeconds": 10, "countdownSeconds": 5}
    agent = bound_agent(platform, model_key, number, greeting=GREETING, inactivity=inactivity)
    placed = acs.place(CALLER, number)
    record = wait_until(lambda: acs.call(placed["id"]), lambda r: r["state"] == "disconnected", "the hang-up")
    spoken = heard(record)
    assert spoken[0] == GREETING
    assert any("Are you still there?" in line for line in spoken)
    assert spoken[-1] == "Thank you for calling. Goodbye."
    session = the_sip_session(platform, model_key, agent["id"])
    detail = wait_until(
        lambda: session_detail(platform, model_key, session["id"]),
        lambda d: d["status"] == "closed",
        "the end",
    )
    assert detail["closeReason"] == "idle_timeout"


def test_the_incoming_call_subscriptions_validation_is_answered(platform):
    code = "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
    validation: dict[str, Any] = {
        "id": secrets.token_hex(8),
        "topic": "/subscriptions/x/providers/Microsoft.Communication/communicationServices/z",
        "subject": "",
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2026-01-01T00:00:00Z",
        "dataVersion": "1",
        "data": {"validationCode": code},
    }
    response = _deliver_incoming_call_event(platform, validation, "SubscriptionValidation")
    assert response.status_code == 200, response.text
    assert response.json() == {"validationResponse": code}


def test_a_reply_is_played_sentence_by_sentence_as_the_model_streams(platform, model_key, model, acs):
    number = free_number()
    bound_agent(platform, model_key, number, greeting=GREETING)
    model.reply_text("We open at nine. We close at five. Come by any time!", chunks=6)
    placed = acs.place(CALLER, number)
    acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")

    acs.say(placed["id"], "What are your hours?")
    record = acs.wait_for_call(placed["id"], lambda r: "Come by any time!" in heard(r), "the reply")
    reply = [(s["text"], s["via"]) for s in record["played"] if s["text"] != GREETING]
    assert reply == [
        ("We open at nine.", "play"),
        ("We close at five.", "play"),
        ("Come by any time!", "recognizePrompt"),  # the last one listens for the answer
    ]
    assert record["recognitions"][-1]["interruptPrompt"] is True
    acs.act(placed["id"], "hang-up")


def test_an_agent_without_a_greeting_hears_the_caller_first(platform, model_key, model, acs):
    number = free_number()
    bound_agent(platform, model_key, number)  # no greeting
    model.reply_text("Hello there, how can I help?")
    placed = acs.place(CALLER, number)
    acs.wait_for_call(placed["id"], lambda r: len(r["recognitions"]) >= 1, "a recognition")

    acs.say(placed["id"], "Hello?")
    reply = "Hello there, how can I help?"
    record = acs.wait_for_call(placed["id"], lambda r: reply in heard(r), "the reply")
    assert heard(record) == [reply]
    assert model.requests[0].messages[-1] == {"role": "user", "content": "Hello?"}
    acs.act(placed["id"], "hang-up")


def test_an_incoming_call_delivered_again_opens_no_second_session(platform, model_key, acs):
    number = free_number()
    agent = bound_agent(platform, model_key, number, greeting=GREETING)
    placed = acs.place(CALLER, number)
    acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")
    again: dict[str, Any] = {  # Event Grid delivers at least once: the same event, as the stand-in sent it
        "id": secrets.token_hex(8),
        "topic": "/subscriptions/x/providers/Microsoft.Communication/communicationServices/z",
        "subject": f"/phonenumber/{number}",
        "eventType": "Microsoft.Communication.IncomingCall",
        "eventTime": "2026-01-01T00:00:00Z",
        "dataVersion": "1.0",
        "data": {
            "to": {"kind": "phoneNumber", "rawId": f"4:{number}", "phoneNumber": {"value": number}},
            "from": {"kind": "phoneNumber", "rawId": f"4:{CALLER}", "phoneNumber": {"value": CALLER}},
            "serverCallId": placed["serverCallId"],
            "incomingCallContext": placed["incomingCallContext"],
            "correlationId": placed["correlationId"],
        },
    }
    delivered = _deliver_incoming_call_event(platform, again, "Notification")
    assert delivered.status_code == 202, delivered.text
    listed = requests.get(
        platform.url("/public/sessions"),
        params={"agentId": agent["id"]},
        headers=model_key.headers,
        timeout=T,
    )
    assert len(page_items(listed.json())) == 1
    assert acs.call(placed["id"])["state"] == "connected"
    acs.act(placed["id"], "hang-up")
