"""Commands the session refuses with a clear ``error`` event while it goes on, and the end of a session
seen from the socket."""

from __future__ import annotations

import pytest
import requests
from websockets.exceptions import ConnectionClosed

from tests.e2e.builders import create, new_agent, new_weather_function
from tests.e2e.session_client import SessionClient, open_connection


def test_an_output_for_an_unknown_or_answered_call_is_refused_and_the_session_goes_on(
    platform, model, model_key
):
    agent = new_agent(platform, model_key, functions=[new_weather_function(platform, model_key)["id"]])
    model.reply_tool_calls([{"name": "get_weather", "arguments": {"city": "Oslo"}, "id": "call_7"}])
    model.reply_text("It is 4 degrees in Oslo.")
    model.reply_text("Still here.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        client.command("send_function_output", call_id="call_nope", output={})
        refused = client.receive_until("error")[-1]["data"]
        assert refused["code"] == "UnknownFunctionCall" and "call_nope" in refused["message"]
        client.say("Weather in Oslo?")
        client.receive_until("function_implicitly_called")
        client.command("send_function_output", call_id="call_7", output='{"celsius": 4}')
        assert client.reply()["content"] == "It is 4 degrees in Oslo."
        client.command("send_function_output", call_id="call_7", output={"celsius": 5})
        assert client.receive_until("error")[-1]["data"]["code"] == "UnknownFunctionCall"
        assert client.ask("Are you there?") == "Still here."
        tool_round = next(r for r in model.chat_requests if any(m["role"] == "tool" for m in r.messages))
        assert [m["content"] for m in tool_round.messages if m["role"] == "tool"] == ['{"celsius": 4}']
        client.end()


def test_after_the_session_ends_the_socket_is_closed_with_the_reason(platform, project_key):
    agent = new_agent(platform, project_key)
    with SessionClient(open_connection(platform, project_key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        assert client.end()["reason"] == "client"
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(10):
                client.receive(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.reason == "client"


def test_initial_speech_is_an_instruction_the_agent_follows_in_its_own_words(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.reply_text("Hello, I'm Ava. What can I do for you today?")
    instruction = "Greet the user warmly, introduce yourself and ask what they need."
    answer = open_connection(platform, model_key, agent["id"], initialSpeech=instruction)
    with SessionClient(answer) as client:
        client.receive_until("avatar_state_changed", state="ready")
        opening = client.reply()
        assert opening["content"] == "Hello, I'm Ava. What can I do for you today?"
        request = model.chat_requests[-1].messages
        assert request[-1]["role"] == "system" and instruction in request[-1]["content"]
        assert all(instruction not in str(m.get("content")) for m in request if m["role"] == "assistant")
        client.end()


def test_without_a_language_model_initial_speech_is_not_read_out(platform, project_key):
    agent = new_agent(platform, project_key)
    answer = open_connection(platform, project_key, agent["id"], initialSpeech="Greet the user.")
    with SessionClient(answer) as client:
        client.receive_until("avatar_state_changed", state="ready")
        client.say("hello")
        first = client.reply()
        assert first["content"] != "Greet the user." and first["previous_item_id"].startswith("item_")
        client.end()


def _faqs(platform, key, answer: str) -> str:
    body = {"name": answer[:20], "faqs": [{"question": "What are your shipping times?", "answer": answer}]}
    return str(create(platform, key, "/public/faqs", body)["id"])


def test_a_channel_config_replaces_the_agents_faqs_for_that_channels_sessions(platform, project_key):
    agents_own = _faqs(platform, project_key, "Orders arrive within 3 to 5 business days.")
    websocket_only = _faqs(platform, project_key, "On this line: next-day delivery.")
    agent = new_agent(platform, project_key, faqCollections=[agents_own])
    put = requests.put(
        platform.url(f"/public/agents/{agent['id']}/channels/websocket"),
        json={"faqCollections": [websocket_only]},
        headers=project_key.headers,
        timeout=30,
    )
    assert put.status_code == 200, put.text
    with SessionClient(open_connection(platform, project_key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        assert client.ask("how long does delivery take?") == "On this line: next-day delivery."
        client.end()
    stored = requests.get(
        platform.url(f"/public/agents/{agent['id']}"), headers=project_key.headers, timeout=30
    )
    assert stored.json()["faqCollections"] == [agents_own]  # the agent itself is unchanged
