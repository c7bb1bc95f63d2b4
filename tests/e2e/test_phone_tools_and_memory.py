"""Phone calls that reach beyond the agent's prompt (issue 15, "Done when"): a spoken question
answered from an explicit HTTP tool, and a caller remembered from an earlier WebSocket session of
the same end user, through the phone link of the caller's number. Real end to end: the ACS stand-in
carries the call, the scripted model records what it was sent, the tool is a server on loopback."""

from __future__ import annotations

import json

import pytest
import requests

from tests.devhost.acs_world import AcsControl
from tests.e2e.builders import create, new_companion
from tests.e2e.phone_calls import T, bound_agent, free_number, heard, the_sip_session, wait_until
from tests.e2e.session_client import SessionClient, open_connection
from tests.tools.servers import HttpToolServer, Received, json_answer

GREETING = "Hello, thanks for calling Ava's bakery."


@pytest.fixture
def acs(platform) -> AcsControl:
    return AcsControl(platform.host)


def test_a_spoken_question_is_answered_from_an_explicit_http_tool(platform, model_key, model, acs):
    signing: dict[str, str] = {}

    def behaviour(received: Received):
        if not received.signed_by(signing["secret"]):
            return json_answer(401, {"error": "bad signature"})
        return json_answer(200, {"loaves": 12, "asked": received.json["arguments"]["q"]})

    tool = HttpToolServer(behaviour).start()
    try:
        function = create(
            platform,
            model_key,
            "/public/functions",
            {
                "data": {
                    "name": "check_stock",
                    "description": "How many of an item are left.",
                    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
                },
                "flow": "explicit",
                "url": tool.url(),
            },
        )
        signing["secret"] = function["signingSecret"]
        number = free_number()
        agent = bound_agent(platform, model_key, number, greeting=GREETING, functions=[function["id"]])
        model.reply_tool_calls([{"name": "check_stock", "arguments": {"q": "sourdough"}, "id": "call_p"}])
        model.reply_text("We have twelve sourdough loaves left.")

        placed = acs.place("+15551230077", number)
        acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")
        acs.say(placed["id"], "Any sourdough left?")
        record = acs.wait_for_call(
            placed["id"], lambda r: "We have twelve sourdough loaves left." in heard(r), "the reply"
        )
    finally:
        tool.stop()

    assert heard(record) == [GREETING, "We have twelve sourdough loaves left."]
    [posted] = [received.json for received in tool.received]
    session = the_sip_session(platform, model_key, agent["id"])
    assert (posted["name"], posted["arguments"], posted["callId"]) == (
        "check_stock",
        {"q": "sourdough"},
        "call_p",
    )
    assert (posted["sessionId"], posted["agentId"]) == (session["id"], agent["id"])
    asked, answered = model.chat_requests[0], model.chat_requests[1]
    assert asked.messages[-1] == {"role": "user", "content": "Any sourdough left?"}
    assert json.loads(answered.messages[-1]["content"]) == {"loaves": 12, "asked": "sourdough"}
    acs.act(placed["id"], "hang-up")


def test_a_caller_is_remembered_from_an_earlier_websocket_session_of_the_same_user(
    platform, model_key, model, acs
):
    companion = new_companion(platform, model_key)
    number = free_number()
    agent = bound_agent(platform, model_key, number, greeting=GREETING, companionId=companion)
    model.reply_text("Nice to meet you, Maya.")
    model.reply_text('{"summary": "Maya is allergic to nuts.", "facts": ["The user is called Maya"]}')
    answer = open_connection(platform, model_key, agent["id"], externalClientId="maya-7")
    with SessionClient(answer) as client:
        # The agent's greeting comes first on the web as on the phone.
        client.receive_until("message_received", role="assistant", action="completed", content=GREETING)
        assert client.ask("I'm Maya and I'm allergic to nuts.") == "Nice to meet you, Maya."
        client.end()

    memory_url = platform.url(f"/public/companions/{companion}/clients/maya-7/memory")
    memory = wait_until(
        lambda: requests.get(memory_url, headers=model_key.headers, timeout=T),
        lambda response: response.status_code == 200,
        "the folded memory",
    ).json()
    assert memory["summary"] == "Maya is allergic to nuts."
    caller = "+14155550177"
    linked = requests.put(
        platform.url(f"/public/companions/{companion}/clients/maya-7"),
        json={"phoneNumbers": [caller]},
        headers=model_key.headers,
        timeout=T,
    )
    assert linked.status_code == 200, linked.text

    model.reply_text("Our nut-free rye, Maya.")
    placed = acs.place(caller, number)
    acs.wait_for_call(placed["id"], lambda r: GREETING in heard(r), "the greeting")
    acs.say(placed["id"], "What do you recommend?")
    acs.wait_for_call(placed["id"], lambda r: "Our nut-free rye, Maya." in heard(r), "the reply")

    [on_the_phone] = [
        r for r in model.chat_requests if r.messages[-1]["content"] == "What do you recommend?"
    ]
    assert "Maya is allergic to nuts." in on_the_phone.system_prompt
    assert "The user is called Maya" in on_the_phone.system_prompt
    phone_sessions = the_sip_session(platform, model_key, agent["id"])
    assert (phone_sessions["sessionType"], phone_sessions["externalClientId"]) == ("sip", "maya-7")
    acs.act(placed["id"], "hang-up")
