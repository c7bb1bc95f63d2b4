"""What a model turn yields, and how it fails.

A turn is an iterator of events: ``TextDelta``s as the answer streams, then any ``ToolCallRequest``s
(whole: their argument fragments already assembled), then one ``TurnFinished``. A provider that cannot
answer raises ``ProviderError``, whose ``message`` is written for the person in the session: it never
holds an API key, a token or a URL with a secret, so it can go straight into an ``error`` frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Error codes (the ``code`` of an ``error`` frame).
RATE_LIMITED = "model_rate_limited"  # 429 after our retries (or a Retry-After beyond our budget)
UNAVAILABLE = "model_unavailable"  # 5xx or connection failures after our retries
TIMEOUT = "model_timeout"  # no answer within the per-request timeout, after our retries
AUTH_FAILED = "model_auth_failed"  # 401/403: the key or identity is refused
NOT_FOUND = "model_not_found"  # 404: the deployment or model does not exist
BAD_REQUEST = "model_bad_request"  # 400/422: the provider refused the request
CONTENT_FILTERED = "model_content_filtered"  # 400 from a content filter (Azure `content_filter`)
INTERRUPTED = "model_stream_interrupted"  # the stream broke after the answer had started
INVALID_CONFIG = "model_config_invalid"  # the key's provider settings are unusable


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text, in order."""

    text: str


@dataclass(frozen=True)
class ToolCallRequest:
    """The model asks for a tool: ``arguments`` is the parsed JSON object.

    When the model produced arguments that are not a JSON object, ``arguments`` is ``{}`` and
    ``arguments_error`` says why: the caller must not run the tool but answer the call with an error
    result (``ToolMessage.invalid_arguments(call)``), so the model can correct itself on the next
    request. ``raw_arguments`` is the text exactly as the model sent it (echoed back in the
    transcript)."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""
    arguments_error: str | None = None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Citation:
    """A knowledge passage the answer relies on: ``index`` is its number in the prompt (``[1]``)."""

    index: int
    document_id: str
    title: str
    chunk: int
    text: str = ""

    def to_wire(self) -> dict[str, Any]:
        """The shape of an entry of an assistant ``completed`` message's ``citations``."""
        return {
            "index": self.index,
            "documentId": self.document_id,
            "title": self.title,
            "chunk": self.chunk,
            "text": self.text,
        }


@dataclass(frozen=True)
class TurnFinished:
    """The last event of a turn. ``finish_reason``: ``stop``, ``tool_calls``, ``length`` or
    ``content_filter``. ``citations`` are filled by the embedded model (which knows what it quoted);
    for a language model use ``shared.models.prompt.cited_passages`` on the final text."""

    finish_reason: str
    usage: Usage = field(default_factory=Usage)
    citations: tuple[Citation, ...] = ()


ModelEvent = TextDelta | ToolCallRequest | TurnFinished


class ProviderError(Exception):
    """The provider could not answer. ``message`` is safe to show to a user; ``retryable`` says
    whether trying the same turn again later may succeed (rate limits, outages, timeouts) or not (a
    refused key, a missing deployment, a refused request). ``status`` is the provider's HTTP status
    when there was one."""

    def __init__(self, code: str, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (keyword-only arguments)
        return (_provider_error, (self.code, self.message, self.retryable, self.status))

    def to_frame(self) -> dict[str, Any]:
        """The WebSocket ``error`` frame for this failure."""
        return {"event": "error", "data": {"code": self.code, "message": self.message}}

    def __repr__(self) -> str:
        return f"ProviderError(code={self.code!r}, message={self.message!r}, retryable={self.retryable})"


def _provider_error(code: str, message: str, retryable: bool, status: int | None) -> ProviderError:
    return ProviderError(code, message, retryable=retryable, status=status)
