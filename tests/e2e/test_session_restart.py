"""A devhost restart in the middle of a session loses nothing: the orchestration, its timers and the
transcript live in storage; the client reconnects with the token it already has."""

from __future__ import annotations

import signal

import requests

from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection
from tests.fakes.scripted_openai import ScriptedOpenAI

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
        model.reply_text("Nice to meet you, Ada.")
        model.reply_text("Your name is Ada.")
        answer = open_connection(own_platform, key, agent["id"])
        with SessionClient(answer) as client:
            assert client.receive()["type"] == "session.started"
            client.send({"type": "user.message", "text": "My name is Ada."})
            assert client.receive_until("agent.message")[-1]["text"] == "Nice to meet you, Ada."

        own_platform.kill(signal.SIGKILL)
        own_platform.start()  # the same port: the token's URL still points here

        with SessionClient(answer) as client:  # the same token, a new connection
            client.send({"type": "user.message", "text": "What is my name?"})
            assert client.receive_until("agent.message")[-1]["text"] == "Your name is Ada."
            client.send({"type": "session.end"})
            assert client.receive_until("session.ended")[-1]["reason"] == "client"

        assert [m["content"] for m in model.chat_requests[-1].messages[1:]] == [
            "My name is Ada.",
            "Nice to meet you, Ada.",
            "What is my name?",
        ]
    session = requests.get(
        own_platform.url(f"/public/sessions/{answer['connection']['id']}"), headers=key.headers, timeout=T
    ).json()
    assert [line["text"] for line in session["transcript"]] == [
        "My name is Ada.",
        "Nice to meet you, Ada.",
        "What is my name?",
        "Your name is Ada.",
    ]
    assert session["status"] == "ended"
