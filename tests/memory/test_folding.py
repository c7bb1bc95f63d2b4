"""Folding a conversation into an end user's memory: plain rules, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from shared.memory.folding import (
    Line,
    Summary,
    SummaryUnavailable,
    conversation_lines,
    fold,
    parse_summary,
    prompt_notes,
    summarizer_for,
)
from shared.memory.records import (
    MAX_EXCHANGE_LENGTH,
    MAX_EXCHANGES,
    MAX_FACT_LENGTH,
    MAX_FACTS,
    ClientMemory,
    Exchange,
    memory_row,
    phone_row,
)
from shared.models import AgentPrompt, CompanionPrompt, EmbeddedOfflineModel, build_messages
from shared.sessions.records import TranscriptEntry

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2025, 5, 2, 12, 0, tzinfo=UTC)
CONVERSATION: list[Line] = [
    ("user", "Hi, my name is Sarah and I'm vegetarian."),
    ("assistant", "Nice to meet you, Sarah!"),
    ("user", "Can you suggest a dinner?"),
    ("assistant", "How about a mushroom risotto?"),
]


class FakeSummarizer:
    def __init__(self, answer: Summary | None = None) -> None:
        self.answer = answer
        self.calls: list[tuple[ClientMemory | None, list[Line]]] = []

    def summarize(self, previous: ClientMemory | None, conversation: Sequence[Line]) -> Summary:
        self.calls.append((previous, list(conversation)))
        if self.answer is None:
            raise SummaryUnavailable("scripted failure")
        return self.answer


def first_fold(summarizer: FakeSummarizer | None = None, **options: object) -> ClientMemory:
    return fold(
        None,
        CONVERSATION,
        summarizer,
        companion_id="comp_a",
        external_client_id="sarah-001",
        now=NOW,
        **options,  # type: ignore[arg-type]
    )


def test_with_a_model_the_summary_and_facts_are_the_models_and_the_last_exchanges_are_kept():
    summarizer = FakeSummarizer(Summary("Sarah is vegetarian.", ("Name: Sarah", "Vegetarian")))
    memory = first_fold(summarizer)
    assert memory.id == "comp_a.sarah-001"
    assert memory.summary == "Sarah is vegetarian."
    assert memory.facts == ["Name: Sarah", "Vegetarian"]
    assert [(e.role, e.text) for e in memory.last_exchanges] == CONVERSATION
    assert memory.sessions_count == 1 and memory.updated_at == NOW
    assert summarizer.calls == [(None, CONVERSATION)]


def test_the_model_is_given_the_previous_memory_to_merge_with():
    earlier = first_fold(FakeSummarizer(Summary("Sarah is vegetarian.", ("Name: Sarah",))))
    summarizer = FakeSummarizer(
        Summary("Sarah is vegetarian and moved to Lyon.", ("Name: Sarah", "Lives in Lyon"))
    )
    later = fold(earlier, [("user", "I moved to Lyon.")], summarizer, now=LATER)
    assert summarizer.calls[0][0] is earlier
    assert later.facts == ["Name: Sarah", "Lives in Lyon"]
    assert later.sessions_count == 2 and later.updated_at == LATER


def test_an_unusable_model_answer_keeps_the_previous_summary_and_facts_and_moves_the_exchanges_on():
    earlier = first_fold(FakeSummarizer(Summary("Sarah is vegetarian.", ("Name: Sarah",))))
    later = fold(earlier, [("user", "Bye for now.")], FakeSummarizer(None), now=LATER)
    assert later.summary == "Sarah is vegetarian." and later.facts == ["Name: Sarah"]
    assert later.last_exchanges[-1] == Exchange(role="user", text="Bye for now.")


def test_an_unusable_first_model_answer_still_remembers_the_last_exchanges():
    memory = first_fold(FakeSummarizer(None))
    assert memory.summary == "" and memory.facts == []
    assert len(memory.last_exchanges) == len(CONVERSATION)


def test_without_a_model_the_summary_quotes_the_users_own_last_statements():
    memory = first_fold(None)
    assert memory.summary == (
        'In the last conversation the user said: "Hi, my name is Sarah and I\'m vegetarian."; '
        '"Can you suggest a dinner?".'
    )
    assert memory.facts == []
    assert [(e.role, e.text) for e in memory.last_exchanges] == CONVERSATION


def test_without_a_model_earlier_facts_are_kept():
    earlier = first_fold(FakeSummarizer(Summary("s", ("Name: Sarah",))))
    later = fold(earlier, [("user", "Hello again")], None, now=LATER)
    assert later.facts == ["Name: Sarah"]
    assert later.summary == 'In the last conversation the user said: "Hello again".'


def test_only_the_last_exchanges_are_kept_across_sessions():
    earlier = first_fold(None)
    more: list[Line] = [("user", f"line {i}") for i in range(5)]
    later = fold(earlier, more, None, now=LATER)
    assert len(later.last_exchanges) == MAX_EXCHANGES
    assert [e.text for e in later.last_exchanges] == [
        "How about a mushroom risotto?",
        *(f"line {i}" for i in range(5)),
    ]


def test_what_a_model_writes_is_bounded_in_count_and_length():
    many = tuple(f"fact {i} " + "x" * 1000 for i in range(50))
    memory = first_fold(FakeSummarizer(Summary("y" * 10_000, many)))
    assert len(memory.facts) == MAX_FACTS
    assert all(len(fact) <= MAX_FACT_LENGTH for fact in memory.facts)
    assert len(memory.summary) <= 2000
    long_line = fold(None, [("user", "z" * 5000)], None, companion_id="c", external_client_id="u", now=NOW)
    assert len(long_line.last_exchanges[0].text) <= MAX_EXCHANGE_LENGTH


def test_duplicate_facts_are_remembered_once():
    memory = first_fold(FakeSummarizer(Summary("s", ("Likes tea", "likes  tea", "Likes coffee"))))
    assert memory.facts == ["Likes tea", "Likes coffee"]


def test_a_conversation_where_nothing_was_said_changes_nothing():
    earlier = first_fold(None)
    summarizer = FakeSummarizer(Summary("new", ()))
    assert fold(earlier, [("user", "   "), ("assistant", "")], summarizer, now=LATER) is earlier
    assert summarizer.calls == []


def test_folding_the_same_session_twice_changes_nothing():
    once = first_fold(None, session_id="sess_1")
    assert once.folded_sessions == ["sess_1"]
    assert fold(once, CONVERSATION, None, session_id="sess_1", now=LATER) is once
    twice = fold(once, CONVERSATION, None, session_id="sess_2", now=LATER)
    assert twice.sessions_count == 2


def test_memory_never_folds_into_another_companions_or_users():
    memory = first_fold(None)
    with pytest.raises(ValueError):
        fold(memory, CONVERSATION, None, companion_id="comp_b", now=LATER)
    with pytest.raises(ValueError):
        fold(memory, CONVERSATION, None, external_client_id="someone-else", now=LATER)
    with pytest.raises(ValueError):
        fold(None, CONVERSATION, None, now=NOW)  # whose memory?


def test_ids_that_cannot_key_a_memory_are_refused():
    assert memory_row("comp_a", "A-z_09") == "comp_a.A-z_09"
    for client in ("", "x" * 33, "has space", "dot.ted", "slash/"):
        with pytest.raises(ValueError):
            memory_row("comp_a", client)
    with pytest.raises(ValueError):
        memory_row("comp.a", "client")
    assert phone_row("comp_a", "+14155550123") == "comp_a.phone.+14155550123"
    for number in ("14155550123", "+0123456789", "+1 415 555", "+123", "+1234567890123456"):
        with pytest.raises(ValueError):
            phone_row("comp_a", number)


def test_the_tool_rounds_and_empty_lines_of_a_transcript_are_left_out():
    def entry(row: str, role: str, text: str) -> TranscriptEntry:
        return TranscriptEntry(id=row, turn_id="t", role=role, text=text, at=NOW)  # type: ignore[arg-type]

    entries = [
        entry("1", "user", "What's the weather?"),
        entry("2", "assistant", ""),
        entry("3", "tool", '{"sunny": true}'),
        entry("4", "assistant", "Sunny."),
    ]
    assert conversation_lines(entries) == [("user", "What's the weather?"), ("assistant", "Sunny.")]


@pytest.mark.parametrize(
    "text",
    [
        '{"summary": "S", "facts": ["a", "b"]}',
        '```json\n{"summary": "S", "facts": ["a", "b"]}\n```',
        'Here is the memory:\n{"summary": "S", "facts": ["a", 3, "b", ""]}\nDone.',
    ],
)
def test_the_models_json_is_found_in_fences_and_chatter(text):
    assert parse_summary(text) == Summary("S", ("a", "b"))


def test_missing_facts_read_as_none():
    assert parse_summary('{"summary": "S"}') == Summary("S", ())


@pytest.mark.parametrize(
    "text",
    ["", "I can't do that.", "{not json}", '["summary"]', '{"facts": []}', '{"summary": "S", "facts": "a"}'],
)
def test_an_answer_without_the_json_asked_for_is_unusable(text):
    with pytest.raises(SummaryUnavailable):
        parse_summary(text)


def test_the_offline_model_gets_no_summarizer_and_language_models_do():
    assert summarizer_for(EmbeddedOfflineModel()) is None

    class AnyModel:
        def stream_turn(self, request):  # pragma: no cover - never called here
            return iter(())

    assert summarizer_for(AnyModel()) is not None


def test_the_memory_joins_the_prompt_with_its_summary_facts_and_last_exchanges():
    memory = first_fold(FakeSummarizer(Summary("Sarah is vegetarian.", ("Name: Sarah",))))
    notes = prompt_notes(memory)
    assert notes is not None and notes.facts == ("Name: Sarah",)
    assert notes.summary is not None and notes.summary.startswith("Sarah is vegetarian.")
    assert "You: How about a mushroom risotto?" in notes.summary
    system = build_messages(companion=CompanionPrompt(name="Ada"), agent=AgentPrompt(), memory=notes)[0]
    assert "What you remember about this user" in system.content  # type: ignore[union-attr]
    assert "- Name: Sarah" in system.content  # type: ignore[union-attr]


def test_nothing_remembered_adds_nothing_to_the_prompt():
    assert prompt_notes(None) is None
    assert prompt_notes(ClientMemory.empty("comp_a", "u", NOW)) is None
