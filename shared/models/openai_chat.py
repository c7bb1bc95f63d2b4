"""Chat Completions through the ``openai`` SDK: Azure OpenAI deployments and OpenAI-compatible APIs.

One streamed request per turn, with our own retry loop around it (the SDK's ``max_retries`` is 0):

- 408/409/429/5xx, timeouts and broken connections are retried with backoff (``RetryPolicy``),
  honouring ``retry-after-ms`` / ``Retry-After`` and ``x-should-retry``, until the attempts or the
  total wait run out; then a retryable ``ProviderError``.
- Nothing is retried once an event has been yielded: a stream that breaks mid-answer raises
  ``model_stream_interrupted`` (retryable: the caller may run the turn again, knowing part of the
  answer was shown).
- A refused request (400/401/403/404/422) is a non-retryable ``ProviderError`` at once, with a message
  written for the user that never repeats the key (401 texts from providers echo part of it, so those
  are never quoted) nor URLs.

Tool calls stream as fragments keyed by ``index``; they are assembled and yielded whole after the last
chunk, in index order. Arguments that are not a JSON object do not fail the turn: the call is yielded
with ``arguments_error`` set, and the caller answers it with ``ToolMessage.invalid_arguments`` (the
model sees why and can call again). A stream that ends without a ``finish_reason`` is treated as
broken, not as a short answer.
"""

from __future__ import annotations

import json
import random as random_module
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2
import openai
from openai.types.chat import ChatCompletionChunk

from shared.models import events
from shared.models.events import ModelEvent, ProviderError, TextDelta, ToolCallRequest, TurnFinished, Usage
from shared.models.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolMessage,
    ToolSpec,
    TurnRequest,
    UserMessage,
)
from shared.models.openai_clients import (
    azure_client,
    azure_defaults,
    compatible_client,
    compatible_defaults,
    entra_token_provider,
    secrets_of,
)
from shared.models.openai_failures import Failure, OpenAIFailures, RetryLoop
from shared.models.retry import RetryPolicy

TokenLimitField = Literal["max_completion_tokens", "max_tokens"]
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 10.0


class _StreamIncomplete(Exception):
    """The stream ended without a finish reason (a dropped connection the server closed cleanly)."""


@dataclass
class _PendingCall:
    call_id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _Assembly:
    """What one streamed response has said so far."""

    calls: dict[int, _PendingCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)

    def feed(self, chunk: ChatCompletionChunk) -> Iterator[TextDelta]:
        if chunk.usage is not None:
            self.usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            for text in (delta.content, delta.refusal):
                if text:
                    yield TextDelta(text)
            for fragment in delta.tool_calls or ():
                pending = self.calls.setdefault(fragment.index, _PendingCall())
                if fragment.id and not pending.call_id:
                    pending.call_id = fragment.id
                if fragment.function is not None:
                    if fragment.function.name and not pending.name:
                        pending.name = fragment.function.name
                    if fragment.function.arguments:
                        pending.arguments.append(fragment.function.arguments)
            if choice.finish_reason is not None:
                self.finish_reason = choice.finish_reason

    def finish(self) -> Iterator[ModelEvent]:
        if self.finish_reason is None:
            raise _StreamIncomplete
        calls = [_tool_call(pending) for _, pending in sorted(self.calls.items())]
        yield from calls
        finish_reason = self.finish_reason
        if calls and finish_reason == "stop":  # some compatible servers say "stop" after tool calls
            finish_reason = "tool_calls"
        yield TurnFinished(finish_reason=finish_reason, usage=self.usage)


def _tool_call(pending: _PendingCall) -> ToolCallRequest:
    raw = "".join(pending.arguments)
    call_id = pending.call_id or f"call_{uuid.uuid4().hex[:24]}"
    if not raw.strip():
        return ToolCallRequest(call_id=call_id, name=pending.name, arguments={}, raw_arguments=raw)
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        problem = f"the arguments were not valid JSON ({error.msg} at character {error.pos})"
        return ToolCallRequest(call_id, pending.name, {}, raw_arguments=raw, arguments_error=problem)
    if not isinstance(parsed, dict):
        problem = f"the arguments were a JSON {type(parsed).__name__}, not an object"
        return ToolCallRequest(call_id, pending.name, {}, raw_arguments=raw, arguments_error=problem)
    return ToolCallRequest(call_id=call_id, name=pending.name, arguments=parsed, raw_arguments=raw)


def to_openai_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Our messages as Chat Completions message objects."""
    converted: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            converted.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            converted.append({"role": "user", "content": message.content})
        elif isinstance(message, AssistantMessage):
            item: dict[str, Any] = {"role": "assistant", "content": message.content}
            if message.tool_calls:
                item["tool_calls"] = [
                    {
                        "id": call.call_id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": call.raw_arguments or json.dumps(call.arguments),
                        },
                    }
                    for call in message.tool_calls
                ]
            converted.append(item)
        elif isinstance(message, ToolMessage):
            converted.append(
                {"role": "tool", "tool_call_id": message.call_id, "content": _tool_content(message)}
            )
    return converted


def _tool_content(message: ToolMessage) -> str:
    """Chat Completions has no error flag on tool results: an error is said in the content."""
    if not message.is_error:
        return message.content
    try:
        parsed = json.loads(message.content)
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and "error" in parsed:
        return message.content
    return json.dumps({"error": message.content}, ensure_ascii=False)


def to_openai_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": dict(tool.parameters),
            },
        }
        for tool in tools
    ]


class OpenAIChatProvider:
    """Streaming Chat Completions with tools over an ``openai.OpenAI`` (or ``AzureOpenAI``) client.

    ``label`` names the provider in messages ("Azure OpenAI", "the OpenAI-compatible provider");
    ``secrets`` are strings that must never appear in a message (the key). ``sleep`` and ``random``
    are injectable so tests drive the retry policy without waiting."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        *,
        label: str,
        model_kind: str = "model",
        secrets: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        token_limit_field: TokenLimitField = "max_completion_tokens",
        include_usage: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        self.client = client
        self.model = model
        self.label = label
        self.model_kind = model_kind
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retry = retry or RetryPolicy()
        self.token_limit_field = token_limit_field
        self.include_usage = include_usage
        self._secrets = tuple(secret for secret in secrets if secret)
        self._sleep = sleep
        self._random = random

    # ------------------------------------------------------------------------------------ constructors

    @classmethod
    def azure(
        cls,
        *,
        endpoint: str,
        deployment: str,
        api_version: str,
        api_key: str | None = None,
        token_provider: Callable[[], str] | None = None,
        **options: Any,
    ) -> OpenAIChatProvider:
        """An Azure OpenAI deployment, with its key or else an Entra ID token provider (by default
        ``DefaultAzureCredential``: the platform's managed identity)."""
        client = azure_client(
            endpoint=endpoint,
            deployment=deployment,
            api_version=api_version,
            api_key=api_key,
            token_provider=token_provider,
            default_token_provider=entra_token_provider,  # looked up here at call time (tests replace it)
        )
        return cls(client, deployment, secrets=secrets_of(api_key), **azure_defaults(options))

    @classmethod
    def compatible(
        cls, *, base_url: str, model: str, api_key: str | None = None, **options: Any
    ) -> OpenAIChatProvider:
        """Any OpenAI-compatible API (OpenAI, a gateway, a local server); a keyless local server gets
        the placeholder key ``not-needed``."""
        client = compatible_client(base_url=base_url, api_key=api_key)
        return cls(client, model, secrets=secrets_of(api_key), **compatible_defaults(options))

    # ------------------------------------------------------------------------------------ the turn

    def stream_turn(self, request: TurnRequest) -> Iterator[ModelEvent]:
        retries = RetryLoop(self.retry, self._sleep, self._random)
        yield from retries.stream(lambda: self._attempt(request), self._classify, self._interrupted)

    def _attempt(self, request: TurnRequest) -> Generator[ModelEvent, None, None]:
        assembly = _Assembly()
        with self._open_stream(request) as stream:
            for chunk in stream:
                yield from assembly.feed(chunk)
        yield from assembly.finish()

    def _open_stream(self, request: TurnRequest) -> openai.Stream[ChatCompletionChunk]:
        extra: dict[str, Any] = {}
        if request.temperature is not None:
            extra["temperature"] = request.temperature
        if request.max_output_tokens is not None:
            extra[self.token_limit_field] = request.max_output_tokens
        if self.include_usage:
            extra["stream_options"] = {"include_usage": True}
        # Messages and tools are plain JSON already: they go as ``extra_body``, which the SDK sends as
        # is, instead of through its parameter transform, which walks every message of every request
        # again (most of the platform's own time per turn, measured by benchmarks/turn_overhead.py).
        body: dict[str, Any] = {"messages": to_openai_messages(request.messages)}
        if request.tools:
            body["tools"] = to_openai_tools(request.tools)
        return self.client.chat.completions.create(
            model=self.model,
            messages=[],
            stream=True,
            timeout=httpx2.Timeout(self.timeout, connect=self.connect_timeout),
            extra_body=body,
            **extra,
        )

    # ------------------------------------------------------------------------------------ errors

    def _classify(self, error: Exception) -> Failure | None:
        failures = OpenAIFailures(
            self.label, self.model_kind, self.model, self._secrets, self.timeout, content_filter=True
        )
        if isinstance(error, _StreamIncomplete):
            return failures.unavailable()
        return failures.classify(error)

    def _interrupted(self, failure: Failure) -> ProviderError:
        return ProviderError(
            events.INTERRUPTED,
            f"{self.label} stopped in the middle of the answer; the answer is incomplete.",
            retryable=True,
            status=failure.error.status,
        )
