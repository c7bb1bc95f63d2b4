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
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

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
from shared.models.retry import RetryPolicy, is_retryable_status, server_retry_after

TokenLimitField = Literal["max_completion_tokens", "max_tokens"]
AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 10.0
_MAX_QUOTED = 300  # characters of a provider's own error message quoted to the user


class _StreamIncomplete(Exception):
    """The stream ended without a finish reason (a dropped connection the server closed cleanly)."""


@dataclass
class _Failure:
    error: ProviderError
    retry_after: float | None = None


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
    emitted: bool = False

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
        if api_key:
            client = openai.AzureOpenAI(
                azure_endpoint=endpoint,
                azure_deployment=deployment,
                api_version=api_version,
                api_key=api_key,
                max_retries=0,
            )
        else:
            client = openai.AzureOpenAI(
                azure_endpoint=endpoint,
                azure_deployment=deployment,
                api_version=api_version,
                azure_ad_token_provider=token_provider or entra_token_provider(),
                max_retries=0,
            )
        options.setdefault("label", "Azure OpenAI")
        options.setdefault("model_kind", "deployment")
        return cls(client, deployment, secrets=(api_key or "",), **options)

    @classmethod
    def compatible(
        cls, *, base_url: str, model: str, api_key: str | None = None, **options: Any
    ) -> OpenAIChatProvider:
        """Any OpenAI-compatible API (OpenAI, a gateway, a local server); a keyless local server gets
        the placeholder key ``not-needed``."""
        client = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", max_retries=0)
        options.setdefault("label", "The OpenAI-compatible model provider")
        return cls(client, model, secrets=(api_key or "",), **options)

    # ------------------------------------------------------------------------------------ the turn

    def stream_turn(self, request: TurnRequest) -> Iterator[ModelEvent]:
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            assembly = _Assembly()
            try:
                with self._open_stream(request) as stream:
                    for chunk in stream:
                        for event in assembly.feed(chunk):
                            assembly.emitted = True
                            yield event
                yield from assembly.finish()
                return
            except openai.APIStatusError as error:
                failure = self._status_failure(error)
            except openai.APITimeoutError:
                failure = _Failure(
                    ProviderError(
                        events.TIMEOUT,
                        f"{self.label} did not answer within {self.timeout:g} seconds; try again shortly.",
                        retryable=True,
                    )
                )
            except (openai.APIConnectionError, _StreamIncomplete):
                failure = self._unavailable()
            except openai.APIError:  # an error event inside the stream
                failure = self._unavailable()
            except Exception as error:
                if not _is_credential_failure(error):
                    raise
                failure = _Failure(
                    ProviderError(
                        events.AUTH_FAILED,
                        f"{self.label} could not be reached with the platform's identity: no token "
                        "could be obtained. Give the API key a provider key, or grant the identity "
                        "access to the resource.",
                        retryable=False,
                    )
                )
            if assembly.emitted:
                raise ProviderError(
                    events.INTERRUPTED,
                    f"{self.label} stopped in the middle of the answer; the answer is incomplete.",
                    retryable=True,
                    status=failure.error.status,
                )
            delay = self._next_delay(failure, attempt, waited)
            if delay is None:
                raise failure.error
            self._sleep(delay)
            waited += delay

    def _open_stream(self, request: TurnRequest) -> openai.Stream[ChatCompletionChunk]:
        extra: dict[str, Any] = {}
        if request.temperature is not None:
            extra["temperature"] = request.temperature
        if request.max_output_tokens is not None:
            extra[self.token_limit_field] = request.max_output_tokens
        if request.tools:
            extra["tools"] = to_openai_tools(request.tools)
        if self.include_usage:
            extra["stream_options"] = {"include_usage": True}
        return self.client.chat.completions.create(
            model=self.model,
            messages=cast(Any, to_openai_messages(request.messages)),
            stream=True,
            timeout=httpx2.Timeout(self.timeout, connect=self.connect_timeout),
            **extra,
        )

    def _next_delay(self, failure: _Failure, attempt: int, waited: float) -> float | None:
        """How long to wait before trying again, or None to give up with the failure."""
        if not failure.error.retryable or attempt >= self.retry.max_attempts:
            return None
        delay = failure.retry_after
        if delay is None:
            delay = self.retry.backoff(attempt, self._random)
        if waited + delay > self.retry.max_total_wait:
            return None
        return delay

    # ------------------------------------------------------------------------------------ errors

    def _unavailable(self, status: int | None = None) -> _Failure:
        suffix = f" ({status})" if status else ""
        return _Failure(
            ProviderError(
                events.UNAVAILABLE,
                f"{self.label} is unavailable{suffix}; try again shortly.",
                retryable=True,
                status=status,
            )
        )

    def _status_failure(self, error: openai.APIStatusError) -> _Failure:
        status = error.status_code
        headers = dict(error.response.headers)
        should_retry = headers.get("x-should-retry", "").lower()
        retry_after = server_retry_after(headers)
        if status == 429:
            failure = _Failure(
                ProviderError(
                    events.RATE_LIMITED,
                    f"{self.label} is receiving too many requests (429); try again shortly.",
                    retryable=True,
                    status=status,
                ),
                retry_after,
            )
        elif is_retryable_status(status):
            failure = self._unavailable(status)
            failure.retry_after = retry_after
        elif status in (401, 403):
            failure = _Failure(
                ProviderError(
                    events.AUTH_FAILED,
                    f"{self.label} refused the credentials ({status}). Check the API key's model "
                    "provider settings: its key, or the platform identity's access.",
                    retryable=False,
                    status=status,
                )
            )
        elif status == 404:
            failure = _Failure(
                ProviderError(
                    events.NOT_FOUND,
                    f"{self.label} has no {self.model_kind} named '{self.model}' (404). Check the API "
                    "key's model provider settings.",
                    retryable=False,
                    status=status,
                )
            )
        elif status == 400 and _error_code(error) == "content_filter":
            failure = _Failure(
                ProviderError(
                    events.CONTENT_FILTERED,
                    f"{self.label}'s content filter blocked this request.",
                    retryable=False,
                    status=status,
                )
            )
        else:
            quoted = self._quote(error)
            detail = f": {quoted}" if quoted else "."
            failure = _Failure(
                ProviderError(
                    events.BAD_REQUEST,
                    f"{self.label} refused the request ({status}){detail}",
                    retryable=False,
                    status=status,
                )
            )
        if should_retry in ("true", "false") and status not in (401, 403):
            failure.error.retryable = should_retry == "true"
        return failure

    def _quote(self, error: openai.APIStatusError) -> str:
        """The provider's own explanation, made safe to show: secrets, URLs and key-like strings
        removed, shortened."""
        body = error.body
        text = body.get("message") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return ""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        text = _URL.sub("[url]", text)
        text = _KEY_LIKE.sub("[redacted]", text)
        text = " ".join(text.split())
        return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 1].rstrip() + "…"


_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_KEY_LIKE = re.compile(r"\b(?:sk|pk|rk|key|oa)[-_.][A-Za-z0-9_.*-]{6,}|\b[A-Za-z0-9+/_-]{32,}={0,2}")


def _error_code(error: openai.APIStatusError) -> str | None:
    body = error.body
    if isinstance(body, dict):
        code = body.get("code")
        inner = body.get("innererror")
        if code is None and isinstance(inner, dict):
            code = inner.get("code")
        return str(code) if code is not None else None
    return None


def _is_credential_failure(error: Exception) -> bool:
    """A token provider that could not get a token (azure-identity's ``ClientAuthenticationError``,
    or its ``CredentialUnavailableError`` subclass)."""
    try:
        from azure.core.exceptions import ClientAuthenticationError
    except ImportError:  # pragma: no cover - azure-core comes with azure-identity
        return False
    return isinstance(error, ClientAuthenticationError)


def entra_token_provider() -> Callable[[], str]:
    """Bearer tokens for Azure OpenAI from ``DefaultAzureCredential`` (managed identity in Azure, the
    developer's login locally), refreshed by azure-identity as they near expiry."""
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    return get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)
