"""A bounded conversation window: the recent whole turns of a session, plus a rolling summary of the rest.

A session of 500 turns must not send 500 turns to the model. The window keeps the latest messages in
a plain wire form (one JSON row per session), under a token estimate (``max_tokens``), a message count
(``MAX_WINDOW_MESSAGES``) and a JSON size (``MAX_JSON_BYTES``, under the 64 KiB of a table string
property). When over, the oldest *whole turns* fall out (a turn starts at a user message and holds the
assistant's replies, its tool calls and their results, so a tool result is never left without the
call) and are folded into ``summary`` by a ``summarize(previous_summary, dropped)`` callable: a model,
or ``extractive_summary`` when there is none. The latest turn is always kept; when it alone is over the
bounds its longest texts are cut (marked ``TRUNCATED``). Pure functions: no host, no storage, no clock.

Wire messages: ``{"role": "user"|"system", "text"}``, ``{"role": "assistant", "text", "tool_calls":
[{"call_id", "name", "arguments"}]}`` and ``{"role": "tool", "call_id", "text", "is_error"}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.models.events import ToolCallRequest
from shared.models.messages import AssistantMessage, Message, SystemMessage, ToolMessage, UserMessage

DEFAULT_MAX_TOKENS = 3000  # the recent messages' estimate; the summary is bounded on its own
MAX_WINDOW_MESSAGES = 100  # older turns fall out past this too (the latest turn is always kept)
MAX_SUMMARY_CHARS = 2000
MAX_JSON_BYTES = 40_000  # the whole row, as UTF-8 and as UTF-16: well under a table property's 64 KiB
MESSAGE_OVERHEAD_TOKENS = 4  # role and framing of one message
MIN_TEXT_CHARS = 200  # cutting the latest turn stops here
TRUNCATED = " …[truncated]"
SUMMARY_LINES = 12  # extractive_summary: at most this many lines (one per user or assistant message)
SUMMARY_HEAD_LINES = 2  # ... the first ones kept, then the latest
SUMMARY_LINE_CHARS = 200
_ROLES = ("user", "assistant", "tool", "system")
_MESSAGES_BYTES = MAX_JSON_BYTES - 4 * MAX_SUMMARY_CHARS - 200  # room left for the summary and envelope

WireMessage = dict[str, Any]
Summarizer = Callable[[str, list[WireMessage]], str]


@dataclass
class ConversationWindow:
    messages: list[WireMessage] = field(default_factory=list)
    summary: str = ""
    dropped_turns: int = 0

    def to_json(self) -> str:
        return json.dumps(
            {"messages": self.messages, "summary": self.summary, "dropped_turns": self.dropped_turns},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> ConversationWindow:
        """The stored form back; nothing stored (None or "") is an empty window."""
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            messages=[_checked(m) for m in data.get("messages", [])],  # fresh from json.loads: no copy
            summary=str(data.get("summary", "")),
            dropped_turns=int(data.get("dropped_turns", 0)),
        )


def to_wire(message: Message) -> WireMessage:
    """A ``shared.models`` message in the wire form."""
    if isinstance(message, AssistantMessage):
        wire: WireMessage = {"role": "assistant", "text": message.content or ""}
        if message.tool_calls:
            wire["tool_calls"] = [
                {"call_id": c.call_id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls
            ]
        return wire
    if isinstance(message, ToolMessage):
        return {
            "role": "tool",
            "call_id": message.call_id,
            "text": message.content,
            "is_error": message.is_error,
        }
    role = "user" if isinstance(message, UserMessage) else "system"
    return {"role": role, "text": message.content}


def wire_messages(messages: Sequence[Message]) -> list[WireMessage]:
    return [to_wire(message) for message in messages]


def from_wire(wire: WireMessage) -> Message:
    role, text = wire["role"], str(wire.get("text") or "")
    if role == "assistant":
        calls = tuple(
            ToolCallRequest(c["call_id"], c["name"], dict(c.get("arguments") or {}))
            for c in wire.get("tool_calls") or ()
        )
        return AssistantMessage(text or None, calls)
    if role == "tool":
        return ToolMessage(str(wire["call_id"]), text, is_error=bool(wire.get("is_error")))
    return UserMessage(text) if role == "user" else SystemMessage(text)


def to_model_messages(window: ConversationWindow) -> list[Message]:
    """The window as messages for ``build_turn_request(transcript=...)``; a tool result whose call is
    not in the window (only possible in a hand-made window) is left out, as OpenAI would refuse it."""
    announced: set[str] = set()
    messages: list[Message] = []
    for wire in window.messages:
        message = from_wire(wire)
        if isinstance(message, AssistantMessage):
            announced.update(call.call_id for call in message.tool_calls)
        elif isinstance(message, ToolMessage) and message.call_id not in announced:
            continue
        messages.append(message)
    return messages


def estimate_tokens(item: str | WireMessage | Message) -> int:
    """About four characters a token, plus ``MESSAGE_OVERHEAD_TOKENS`` a message; deterministic."""
    if isinstance(item, str):
        return math.ceil(len(item) / 4)
    wire = item if isinstance(item, dict) else to_wire(item)
    chars = len(str(wire.get("text") or "")) + len(str(wire.get("call_id") or ""))
    if wire.get("tool_calls"):
        chars += len(json.dumps(wire["tool_calls"], ensure_ascii=False))
    return MESSAGE_OVERHEAD_TOKENS + math.ceil(chars / 4)


def window_tokens(window: ConversationWindow) -> int:
    """The estimate of the window's messages (what ``max_tokens`` bounds)."""
    return sum(estimate_tokens(message) for message in window.messages)


def append(
    window: ConversationWindow,
    new_messages: Sequence[WireMessage],
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    summarize: Summarizer | None = None,
) -> ConversationWindow:
    """A new window with ``new_messages`` added (the window given is not changed). Messages that do
    not start with a user message continue the last turn (the tool results and the answer of a later
    round). ``summarize`` (default ``extractive_summary``) is called once, only when turns fall out;
    its answer is cut to ``MAX_SUMMARY_CHARS``."""
    turns = _turns([*(dict(m) for m in window.messages), *(_clean(m) for m in new_messages)])
    dropped: list[WireMessage] = []
    dropped_turns = 0
    while len(turns) > 1 and _over(turns, max_tokens):
        dropped += turns.pop(0)
        dropped_turns += 1
    if turns and _over(turns, max_tokens):
        _shrink(turns[0], max_tokens)
    summary = window.summary
    if dropped:
        summary = _bound(str((summarize or extractive_summary)(summary, dropped)).strip())
    messages = [message for turn in turns for message in turn]
    return ConversationWindow(messages, summary, window.dropped_turns + dropped_turns)


def extractive_summary(previous: str, dropped: list[WireMessage]) -> str:
    """The fallback without a model, deterministic: one condensed line per user and assistant message
    (tool traffic left out), after the previous summary's lines; past ``SUMMARY_LINES`` lines it keeps
    the first ``SUMMARY_HEAD_LINES`` (how the conversation began), a ``…`` line and the latest ones,
    within ``MAX_SUMMARY_CHARS``."""
    lines = [line for line in previous.splitlines() if line.strip()]
    for message in dropped:
        text = " ".join(str(message.get("text") or "").split())
        if message["role"] not in ("user", "assistant") or not text:
            continue
        if len(text) > SUMMARY_LINE_CHARS:
            text = text[: SUMMARY_LINE_CHARS - 1].rstrip() + "…"
        lines.append(("User: " if message["role"] == "user" else "Assistant: ") + text)
    gap = SUMMARY_HEAD_LINES  # where the "…" line goes
    while len(lines) > SUMMARY_LINES or (len(lines) > gap + 2 and len("\n".join(lines)) > MAX_SUMMARY_CHARS):
        if lines[gap] != "…":
            lines.insert(gap, "…")
        del lines[gap + 1]
    return _bound("\n".join(lines))


def summary_section(summary: str | None) -> str | None:
    """The system prompt section for the summary (None when there is none)."""
    if not summary or not summary.strip():
        return None
    return (
        "## Earlier in this conversation\nA summary of the earlier part of this conversation, which is "
        "no longer shown below.\n" + summary.strip()
    )


def _checked(message: WireMessage) -> WireMessage:
    if not isinstance(message, dict) or message.get("role") not in _ROLES:
        raise ValueError(f"a window message has the role user, assistant, tool or system: {message!r}")
    return message


def _clean(message: WireMessage) -> WireMessage:
    return json.loads(json.dumps(_checked(message)))  # a plain copy, JSON-serialisable by construction


def _turns(messages: list[WireMessage]) -> list[list[WireMessage]]:
    turns: list[list[WireMessage]] = []
    for message in messages:
        if message["role"] == "user" or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns


def _over(turns: list[list[WireMessage]], max_tokens: int) -> bool:
    messages = [message for turn in turns for message in turn]
    return (
        sum(estimate_tokens(m) for m in messages) > max_tokens
        or len(messages) > MAX_WINDOW_MESSAGES
        or _size(json.dumps(messages, ensure_ascii=False, separators=(",", ":"))) > _MESSAGES_BYTES
    )


def _shrink(turn: list[WireMessage], max_tokens: int) -> None:
    """Halve the longest text of the turn until it fits (or no text is longer than MIN_TEXT_CHARS)."""
    while _over([turn], max_tokens):
        longest = max(turn, key=lambda m: len(str(m.get("text") or "")))
        text = str(longest.get("text") or "").removesuffix(TRUNCATED)
        if len(text) <= MIN_TEXT_CHARS:
            return
        longest["text"] = text[: max(MIN_TEXT_CHARS, len(text) // 2)] + TRUNCATED


def _bound(summary: str) -> str:
    """At most MAX_SUMMARY_CHARS: the newest end is kept."""
    if len(summary) <= MAX_SUMMARY_CHARS:
        return summary
    return "…" + summary[-(MAX_SUMMARY_CHARS - 1) :]


def _size(text: str) -> int:
    return max(len(text.encode("utf-8")), len(text.encode("utf-16-le")))
