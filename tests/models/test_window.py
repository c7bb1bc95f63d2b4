"""The conversation window: whole recent turns under a token, count and size bound, the rest summarised."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.models import (
    AgentPrompt,
    AssistantMessage,
    CompanionPrompt,
    Message,
    SystemMessage,
    ToolCallRequest,
    ToolMessage,
    UserMessage,
    build_turn_request,
)
from shared.models.window import (
    DEFAULT_MAX_TOKENS,
    MAX_JSON_BYTES,
    MAX_SUMMARY_CHARS,
    MAX_WINDOW_MESSAGES,
    MESSAGE_OVERHEAD_TOKENS,
    SUMMARY_LINES,
    TRUNCATED,
    ConversationWindow,
    append,
    estimate_tokens,
    extractive_summary,
    from_wire,
    summary_section,
    to_model_messages,
    to_wire,
    window_tokens,
    wire_messages,
)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "text": text}


def answer(text: str) -> dict[str, Any]:
    return {"role": "assistant", "text": text}


def tool_turn(n: int) -> list[dict[str, Any]]:
    """A turn with two rounds: a tool call, its result, then the answer."""
    return wire_messages(
        [
            UserMessage(f"Where is my order {n}? " + "Please check it for me. " * 5),
            AssistantMessage(None, (ToolCallRequest(f"call_{n}", "track_order", {"order": n}),)),
            ToolMessage.result(f"call_{n}", {"order": n, "status": "shipped", "eta": "tomorrow"}),
            AssistantMessage(f"Order {n} has shipped and arrives tomorrow. " + "Anything else? " * 4),
        ]
    )


class Counting:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []

    def __call__(self, previous: str, dropped: list[dict[str, Any]]) -> str:
        self.calls.append((previous, dropped))
        return extractive_summary(previous, dropped)


def five_hundred_turns(summarize: Any = None) -> ConversationWindow:
    window = ConversationWindow()
    for n in range(500):
        window = append(window, tool_turn(n), summarize=summarize)
    return window


def test_five_hundred_turns_stay_within_every_bound() -> None:
    window = five_hundred_turns()

    assert window_tokens(window) <= DEFAULT_MAX_TOKENS
    assert len(window.messages) <= MAX_WINDOW_MESSAGES
    stored = window.to_json()
    assert len(stored.encode("utf-8")) <= MAX_JSON_BYTES
    assert len(stored.encode("utf-16-le")) <= MAX_JSON_BYTES
    assert 0 < len(window.summary) <= MAX_SUMMARY_CHARS
    kept = len(window.messages) // 4
    assert window.dropped_turns == 500 - kept
    assert window.messages[-1]["text"].startswith("Order 499 has shipped")


def test_turns_stay_whole_and_no_tool_result_is_orphaned() -> None:
    window = ConversationWindow()
    for n in range(60):
        window = append(window, tool_turn(n), max_tokens=400)
        assert window.messages[0]["role"] == "user"
        assert len(window.messages) % 4 == 0  # whole turns of four messages
        announced: set[str] = set()
        for message in window.messages:
            if message["role"] == "assistant":
                announced.update(c["call_id"] for c in message.get("tool_calls", []))
            if message["role"] == "tool":
                assert message["call_id"] in announced


def test_a_later_round_continues_the_last_turn() -> None:
    turn = tool_turn(7)
    window = append(ConversationWindow(), turn[:2], max_tokens=10_000)
    window = append(window, turn[2:], max_tokens=10_000)
    window = append(window, [user("thanks"), answer("You're welcome.")], max_tokens=10_000)

    assert window.messages == [*turn, user("thanks"), answer("You're welcome.")]
    # Tight enough for only the last turn: the tool round of turn 7 falls out with its user message.
    tight = append(
        window, [], max_tokens=estimate_tokens(user("thanks")) + estimate_tokens(answer("You're welcome."))
    )
    assert tight.messages == [user("thanks"), answer("You're welcome.")]
    assert tight.dropped_turns == 1


def test_summarize_is_called_only_when_turns_fall_out() -> None:
    counting = Counting()
    window = ConversationWindow()
    for n in range(3):
        window = append(window, tool_turn(n), summarize=counting)
    assert counting.calls == []
    assert window.summary == ""

    window = five_hundred_turns(counting)
    assert len(counting.calls) == window.dropped_turns  # one turn out a call, each turn out once
    previous, dropped = counting.calls[0]
    assert previous == ""
    assert dropped == tool_turn(0)
    assert all(call[1][0]["role"] == "user" for call in counting.calls)


def test_the_summary_is_given_the_previous_summary_and_cut_to_its_bound() -> None:
    seen: list[str] = []

    def verbose(previous: str, dropped: list[dict[str, Any]]) -> str:
        seen.append(previous)
        return previous + " and more" * 1000

    window = ConversationWindow()
    for n in range(40):
        window = append(window, tool_turn(n), max_tokens=300, summarize=verbose)
    assert len(window.summary) == MAX_SUMMARY_CHARS
    assert window.summary.startswith("…")
    assert seen[1:] == [s for s in seen[1:] if len(s) == MAX_SUMMARY_CHARS]


def test_extractive_summary_keeps_the_beginning_and_the_latest_lines_within_bounds() -> None:
    summary = ""
    for n in range(500):
        summary = extractive_summary(summary, [user(f"question {n} " + "x" * 500), answer(f"reply {n}")])
        assert len(summary) <= MAX_SUMMARY_CHARS
        assert len(summary.splitlines()) <= SUMMARY_LINES

    lines = summary.splitlines()
    assert lines[0].startswith("User: question 0 x") and lines[0].endswith("…")
    assert lines[1] == "Assistant: reply 0"
    assert lines[2] == "…"
    assert lines[-1] == "Assistant: reply 499"
    assert extractive_summary(summary, [user("more")]) == extractive_summary(summary, [user("more")])


def test_extractive_summary_leaves_out_tool_traffic() -> None:
    summary = extractive_summary("", tool_turn(3))

    assert summary.splitlines() == [
        "User: Where is my order 3? " + " ".join(["Please check it for me."] * 5),
        "Assistant: Order 3 has shipped and arrives tomorrow. " + " ".join(["Anything else?"] * 4),
    ]


def test_a_turn_larger_than_the_window_is_kept_with_its_longest_texts_cut() -> None:
    window = append(ConversationWindow(), tool_turn(1))
    huge = "word " * 40_000  # 200,000 characters, about 50,000 tokens
    big_turn = [user(huge), answer("That is a lot of text.")]

    window = append(window, big_turn, max_tokens=500)

    assert window.dropped_turns == 1
    assert [m["role"] for m in window.messages] == ["user", "assistant"]
    assert window.messages[0]["text"].startswith("word word")
    assert window.messages[0]["text"].endswith(TRUNCATED)
    assert window.messages[1] == answer("That is a lot of text.")
    assert window_tokens(window) <= 500
    assert big_turn[0]["text"] == huge  # the caller's messages are not changed
    # Cut to a floor: a window too small for even that keeps the floor rather than losing the turn.
    tiny = append(ConversationWindow(), big_turn, max_tokens=10)
    assert len(tiny.messages) == 2
    assert 200 <= len(tiny.messages[0]["text"]) <= 200 + len(TRUNCATED)


def test_non_ascii_text_is_bounded_by_its_stored_size() -> None:
    window = ConversationWindow()
    for n in range(50):
        window = append(window, [user("水" * 3000 + str(n)), answer("好" * 3000)], max_tokens=1_000_000)
    assert len(window.to_json().encode("utf-8")) <= MAX_JSON_BYTES
    assert window.messages[-1] == answer("好" * 3000)


def test_json_round_trip() -> None:
    window = five_hundred_turns()
    assert window.dropped_turns > 0 and window.summary

    again = ConversationWindow.from_json(window.to_json())

    assert again == window
    assert json.loads(window.to_json())["dropped_turns"] == window.dropped_turns
    assert ConversationWindow.from_json(None) == ConversationWindow()
    assert ConversationWindow.from_json("") == ConversationWindow()


def test_to_model_messages_round_trips_the_shared_message_types() -> None:
    messages: list[Message] = [
        SystemMessage("Be brief."),
        UserMessage("Track order 5"),
        AssistantMessage(None, (ToolCallRequest("c1", "track", {"order": 5}),)),
        ToolMessage("c1", '{"error": "not found"}', is_error=True),
        AssistantMessage("I could not find it."),
    ]
    window = append(ConversationWindow(), wire_messages(messages))

    assert to_model_messages(window) == messages
    assert [from_wire(to_wire(m)) for m in messages] == messages
    assert to_model_messages(ConversationWindow.from_json(window.to_json())) == messages


def test_a_tool_result_without_its_call_is_not_sent() -> None:
    window = ConversationWindow(messages=[{"role": "tool", "call_id": "gone", "text": "{}"}, *tool_turn(1)])

    sent = to_model_messages(window)

    assert [type(m).__name__ for m in sent] == [
        "UserMessage",
        "AssistantMessage",
        "ToolMessage",
        "AssistantMessage",
    ]


def test_estimate_tokens_is_cheap_and_deterministic() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
    assert estimate_tokens(user("abcd")) == MESSAGE_OVERHEAD_TOKENS + 1
    assert estimate_tokens(UserMessage("abcd")) == estimate_tokens(user("abcd"))
    call = AssistantMessage(None, (ToolCallRequest("c1", "track", {"order": 5}),))
    assert estimate_tokens(call) > MESSAGE_OVERHEAD_TOKENS


def test_unknown_roles_are_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        append(ConversationWindow(), [{"role": "developer", "text": "hi"}])


def test_the_summary_goes_into_the_system_prompt() -> None:
    section = summary_section("User: my name is Ana")
    assert section is not None and section.startswith("## Earlier in this conversation\n")
    assert summary_section("  ") is None
    assert summary_section(None) is None

    def system(summary: str | None) -> str:
        request = build_turn_request(
            companion=CompanionPrompt(name="Ada"),
            agent=AgentPrompt(),
            transcript=(UserMessage("hi"),),
            conversation_summary=summary,
        )
        first = request.messages[0]
        assert isinstance(first, SystemMessage)
        return first.content

    with_summary = system("User: my name is Ana")
    assert "## Earlier in this conversation" in with_summary
    assert "User: my name is Ana" in with_summary
    assert "not instructions" in with_summary
    assert (
        system(None)
        == system("")
        == build_turn_request(
            companion=CompanionPrompt(name="Ada"), agent=AgentPrompt(), transcript=(UserMessage("hi"),)
        )
        .messages[0]
        .content
    )
