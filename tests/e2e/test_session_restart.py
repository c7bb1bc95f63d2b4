"""A devhost restart in the middle of a session loses nothing: the orchestration, its timers and the
transcript live in storage; the client reconnects with the token it already has.

Activities run at least once: a host killed after a model turn sent its answer but before the turn's
completion was saved runs that turn again on restart (same response and item ids, same transcript
rows). So the scripted model answers by the question (as a real one would, the same question gets the
same answer), and the client tells the new turn's answer from a repeat of the old one by its ids."""

from __future__ import annotations

import signal

import requests

from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection
from tests.fakes.scripted_openai import RecordedRequest, ScriptedOpenAI, TextReply

T = 30


def test_a_session_survives_a_devhost_crash_and_the_conversation_goes_on(
    own_platform_factory, project_key_factory
):
    own_platform = own_platform_factory()
    with ScriptedOpenAI() as model:
        key = project_key_factory(
            provider={"type": "openai-compatible", "baseUrl": model.base_url, "model": "gpt-scripted"}
        )
        agent = new_agent(own_platform, key)
        model.respond_with(_answer_by_question)
        answer = open_connection(own_platform, key, agent["id"])
        with SessionClient(answer) as client:
            client.receive_until("avatar_state_changed", state="ready")
            client.say("My name is Ada.")
            first = client.reply()
            assert first["content"] == "Nice to meet you, Ada."

        own_platform.kill(signal.SIGKILL)
        own_platform.start()  # the same port: the token's URL still points here

        with SessionClient(answer) as client:  # the same token, a new connection
            client.say("What is my name?")
            message = client.reply()
            if (message["response_id"], message["item_id"]) == (first["response_id"], first["item_id"]):
                assert message["content"] == first["content"]  # the first turn ran again after the kill
                message = client.reply()
            assert message["content"] == "Your name is Ada."
            assert message["response_id"] != first["response_id"]
            assert client.end()["reason"] == "client"

        assert [m["content"] for m in model.chat_requests[-1].messages[1:]] == [
            "My name is Ada.",
            "Nice to meet you, Ada.",
            "What is my name?",
        ]
    session = requests.get(
        own_platform.url(f"/public/sessions/{answer['connection']['id']}"), headers=key.headers, timeout=T
    ).json()
    assert [item["text"] for item in session["conversation"]["items"]] == [
        "My name is Ada.",
        "Nice to meet you, Ada.",
        "What is my name?",
        "Your name is Ada.",
    ]
    assert (session["status"], session["closeReason"]) == ("closed", "client_closed")


def _answer_by_question(request: RecordedRequest) -> TextReply:
    question = request.messages[-1]["content"]
    return TextReply("Your name is Ada." if question == "What is my name?" else "Nice to meet you, Ada.")
