"""What a model turn is asked: the conversation, the tools it may call, and its grounding.

Plain frozen dataclasses, independent of any SDK: the OpenAI provider maps them onto Chat Completions
messages, the embedded model reads the last user message and the grounding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.models.events import ToolCallRequest


@dataclass(frozen=True)
class SystemMessage:
    content: str


@dataclass(frozen=True)
class UserMessage:
    content: str


@dataclass(frozen=True)
class AssistantMessage:
    """What the model said; ``tool_calls`` are the calls it asked for in the same turn."""

    content: str | None = None
    tool_calls: tuple[ToolCallRequest, ...] = ()


@dataclass(frozen=True)
class ToolMessage:
    """The result of one tool call, by the call's id; ``content`` is text (JSON for structured
    results)."""

    call_id: str
    content: str
    is_error: bool = False

    @classmethod
    def result(cls, call_id: str, result: Any, *, is_error: bool = False) -> ToolMessage:
        """A result of any JSON value (strings are kept as they are)."""
        content = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        return cls(call_id=call_id, content=content, is_error=is_error)

    @classmethod
    def invalid_arguments(cls, call: ToolCallRequest) -> ToolMessage:
        """The answer to a call whose arguments were not a JSON object: the tool is not run."""
        reason = call.arguments_error or "the arguments were not a JSON object"
        return cls.result(
            call.call_id,
            {"error": f"The tool was not called: {reason}. Call it again with a valid JSON object."},
            is_error=True,
        )


Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: ``parameters`` is a JSON Schema object."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str


@dataclass(frozen=True)
class KnowledgePassage:
    """A retrieved chunk of a knowledge document."""

    text: str
    document_id: str
    title: str
    chunk: int = 0


@dataclass(frozen=True)
class TurnRequest:
    """One model turn. ``messages`` carry the whole prompt (``build_messages``); ``faqs`` and
    ``knowledge`` repeat the grounding as data for providers that answer from it directly (the
    embedded model), language models ignore them (they read them in the system prompt)."""

    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    temperature: float | None = None
    max_output_tokens: int | None = None
    faqs: tuple[FaqEntry, ...] = ()
    knowledge: tuple[KnowledgePassage, ...] = ()

    def last_user_text(self) -> str | None:
        for message in reversed(self.messages):
            if isinstance(message, UserMessage):
                return message.content
        return None
