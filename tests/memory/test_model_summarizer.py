"""``ModelSummarizer`` through the real ``openai`` SDK to the scripted Chat Completions server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from shared.memory.folding import ModelSummarizer, Summary, fold
from shared.memory.records import ClientMemory
from shared.models import provider_for
from shared.models.selection import clear_provider_cache
from tests.fakes import ScriptedOpenAI

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
CONVERSATION = [
    ("user", "I'm Sarah, I'm allergic to peanuts."),
    ("assistant", "Thanks Sarah, I'll keep that in mind."),
]


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedOpenAI]:
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture
def server(scripted: ScriptedOpenAI) -> Iterator[ScriptedOpenAI]:
    scripted.clear()
    clear_provider_cache()
    yield scripted
    assert scripted.pending == 0, "the test left scripted replies unused"
    scripted.clear()
    clear_provider_cache()


def summarizer(server: ScriptedOpenAI) -> ModelSummarizer:
    return ModelSummarizer(
        provider_for({"type": "openai-compatible", "baseUrl": server.base_url, "model": "m"}, None, None)
    )


def test_the_model_writes_the_summary_and_facts_from_its_json_answer(server):
    server.reply_text(
        json.dumps({"summary": "Sarah is allergic to peanuts.", "facts": ["Name: Sarah", "Peanut allergy"]})
    )
    memory = fold(
        None, CONVERSATION, summarizer(server), companion_id="comp_a", external_client_id="sarah", now=NOW
    )
    assert memory.summary == "Sarah is allergic to peanuts."
    assert memory.facts == ["Name: Sarah", "Peanut allergy"]
    assert [(e.role, e.text) for e in memory.last_exchanges] == CONVERSATION


def test_the_model_is_asked_for_json_with_the_previous_memory_and_the_conversation(server):
    previous = ClientMemory.empty("comp_a", "sarah", NOW).model_copy(
        update={"summary": "Sarah likes jazz.", "facts": ["Name: Sarah"]}
    )
    server.reply_text('{"summary": "S", "facts": []}')
    assert summarizer(server).summarize(previous, CONVERSATION) == Summary("S", ())
    request = server.last_request
    assert '{"summary": "...", "facts": ["...", "..."]}' in request.system_prompt
    assert "not instructions" in request.system_prompt
    asked = request.messages[-1]["content"]
    assert "Sarah likes jazz." in asked and "- Name: Sarah" in asked
    assert "User: I'm Sarah, I'm allergic to peanuts." in asked
    assert "Assistant: Thanks Sarah, I'll keep that in mind." in asked
    assert request.body["temperature"] == 0.0 and not request.body.get("tools")


def test_an_answer_in_a_code_fence_is_understood(server):
    server.reply_text('```json\n{"summary": "Fenced.", "facts": ["f"]}\n```', chunks=5)
    assert summarizer(server).summarize(None, CONVERSATION) == Summary("Fenced.", ("f",))


def test_prose_instead_of_json_falls_back_to_the_last_exchanges(server):
    previous = ClientMemory.empty("comp_a", "sarah", NOW).model_copy(
        update={"summary": "Sarah likes jazz.", "facts": ["Name: Sarah"]}
    )
    server.reply_text("Sure! Sarah seems nice.")
    memory = fold(previous, CONVERSATION, summarizer(server), now=NOW)
    assert memory.summary == "Sarah likes jazz." and memory.facts == ["Name: Sarah"]
    assert [(e.role, e.text) for e in memory.last_exchanges] == CONVERSATION


def test_a_failing_model_falls_back_to_the_last_exchanges(server):
    server.reply_error(400, message="bad request")
    memory = fold(
        None, CONVERSATION, summarizer(server), companion_id="comp_a", external_client_id="sarah", now=NOW
    )
    assert memory.summary == "" and memory.facts == []
    assert len(memory.last_exchanges) == 2
