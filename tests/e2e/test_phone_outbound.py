"""Outbound calls on the local stack (issue 15, item 5): ``POST /public/agents/{id}/connections`` with
``channelType: "sip"`` and a ``destination`` places the call through the ACS stand-in (the official
client's ``create_call``) from the agent's bound number; it rings until the stand-in's control API
answers it, then the agent opens with ``initialSpeech``. The session is a ``sip`` session like an
incoming call's; a call nobody answers ends its session."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from tests.devhost.acs_world import AcsControl
from tests.e2e.phone_calls import T, bound_agent, free_number, heard, session_detail, wait_until

CALLEE = "+15551239001"
OPENING = "Hi, this is the bakery calling: your cake is ready."


@pytest.fixture
def acs(platform) -> AcsControl:
    return AcsControl(platform.host)


def _bound_agent(platform, key) -> tuple[dict[str, Any], str]:
    number = free_number()
    return bound_agent(platform, key, number), number


def _dial(platform, key, agent_id: str, **fields: Any) -> dict[str, Any]:
    response = requests.post(
        platform.url(f"/public/agents/{agent_id}/connections"),
        json={"channelType": "sip", "destination": CALLEE, **fields},
        headers=key.headers,
        timeout=T,
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert set(answer) == {"token", "connection"}  # the published connection shape
    return {**answer, "decoded": json.loads(base64.b64decode(answer["token"]))}


def test_an_outbound_call_rings_is_answered_and_opens_with_initial_speech(platform, model_key, model, acs):
    agent, number = _bound_agent(platform, model_key)
    model.reply_text(OPENING)
    dialled = _dial(platform, model_key, agent["id"], initialSpeech="Tell them their cake is ready.")
    token, session_id = dialled["decoded"], dialled["connection"]["id"]
    assert (token["connection"], token["destination"], token["callerId"]) == (session_id, CALLEE, number)

    ringing = acs.call(token["callConnectionId"])
    assert (ringing["direction"], ringing["state"], ringing["from"], ringing["to"]) == (
        "outbound",
        "ringing",
        number,
        CALLEE,
    )
    assert ringing["played"] == [] and len(model.requests) == 0  # nothing is said before the answer
    assert f"/runtime/acs/callbacks/{session_id}?secret=" in ringing["callbackUri"]

    answered = acs.act(token["callConnectionId"], "answer")
    assert answered.status_code == 200, answered.text
    record = acs.wait_for_call(token["callConnectionId"], lambda r: OPENING in heard(r), "the opening")
    assert record["recognitions"][-1]["targetParticipant"]["phoneNumber"]["value"] == CALLEE
    assert "Tell them their cake is ready." in json.dumps(model.requests[0].messages)

    model.reply_text("See you soon!")
    acs.say(token["callConnectionId"], "Great, I'll pick it up at five.")
    acs.wait_for_call(token["callConnectionId"], lambda r: "See you soon!" in heard(r), "the reply")
    detail = session_detail(platform, model_key, session_id)
    assert (detail["sessionType"], detail["status"], detail["modality"]) == ("sip", "started", "audio")
    assert detail["agentId"] == agent["id"]

    acs.act(token["callConnectionId"], "hang-up")
    ended = wait_until(
        lambda: session_detail(platform, model_key, session_id), lambda d: d["status"] == "closed", "the end"
    )
    assert ended["closeReason"] == "client_closed"
    assert ended["billedMinutes"] == 1
    items = [(i["role"], i["text"]) for i in ended["conversation"]["items"] if i["role"] != "system"]
    said = "Great, I'll pick it up at five."
    assert items == [("agent", OPENING), ("user", said), ("agent", "See you soon!")]


def test_an_outbound_call_nobody_answers_ends_its_session(platform, model_key, model, acs):
    agent, _ = _bound_agent(platform, model_key)
    dialled = _dial(platform, model_key, agent["id"])
    call_id, session_id = dialled["decoded"]["callConnectionId"], dialled["connection"]["id"]
    declined = acs.act(call_id, "hang-up")  # the callee declines the ringing call
    assert declined.status_code == 200, declined.text

    ended = wait_until(
        lambda: session_detail(platform, model_key, session_id), lambda d: d["status"] != "pending", "the end"
    )
    assert (ended["status"], ended["closeReason"]) == ("failed", "not_answered")
    assert len(model.requests) == 0  # nobody was on the line: the agent never spoke
    assert acs.call(call_id)["played"] == []
