"""A 500-turn session's prompt stays the size it had at turn 100 (counted in what the scripted model
received, never timed), while its transcript in storage stays complete."""

from __future__ import annotations

import json

import requests

from shared.models.window import MAX_SUMMARY_CHARS, MAX_WINDOW_MESSAGES
from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection

TURNS, EARLY = 500, 100
FILLER = "Some detail. " * 20  # ~65 tokens: the window holds about 40 turns


def test_the_prompt_of_turn_500_is_no_larger_than_that_of_turn_100_and_the_transcript_is_whole(
    platform, model, model_key
):
    model.always_text("Noted.")
    agent = new_agent(platform, model_key, inactivity={"timeoutSeconds": 3600, "countdownSeconds": 10})
    sent: dict[int, list[dict[str, object]]] = {}
    with SessionClient(open_connection(platform, model_key, agent["id"], modality="text")) as client:
        client.receive_until("avatar_state_changed", state="ready")
        for turn in range(1, TURNS + 1):
            assert client.ask(f"Message number {turn}. {FILLER}") == "Noted."
            if turn in (EARLY, TURNS):
                sent[turn] = model.chat_requests[-1].messages
        client.end()
    early, late = sent[EARLY], sent[TURNS]
    assert f"Message number {TURNS}." in str(late[-1]["content"])  # the request of that very turn
    assert len(late) == len(early) <= MAX_WINDOW_MESSAGES + 1  # the system prompt and the window
    size = len(json.dumps(late))
    # The same recent turns' size; only the summary's text differs, and it has its own bound.
    assert size <= len(json.dumps(early)) + MAX_SUMMARY_CHARS, (size, len(json.dumps(early)))
    assert "Earlier in this conversation" in str(late[0]["content"])
    window_text = " ".join(str(m.get("content")) for m in late[1:])
    assert f"Message number {TURNS - 100}." not in window_text  # turn 400 fell out
    # Storage keeps every turn: the session's conversation lists all 500 questions and answers.
    answer = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=model_key.headers, timeout=30
    )
    items = answer.json()["conversation"]["items"]
    questions = [i["text"] for i in items if i["role"] == "user"]
    assert len(questions) == TURNS and questions[0].startswith("Message number 1. ")
    assert sum(1 for i in items if i["role"] == "agent") == TURNS
