"""A tool call and its outcome: plain data, JSON-friendly (activities hand them to the orchestrator).

``ToolOutcome`` is the audit record of one call (name, arguments, result or error, duration, attempts);
``as_model_result()`` is what the model sees. Failures are outcomes, never exceptions: the conversation
goes on with the error as the tool's result.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 10.0  # the published default of a tool call's `timeoutSeconds`


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for in a turn."""

    call_id: str
    session_id: str
    agent_id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def request_body(self) -> bytes:
        """The JSON an explicit tool receives (HTTP body or WebSocket frame), as the bytes that are signed."""
        document = {
            "callId": self.call_id,
            "sessionId": self.session_id,
            "agentId": self.agent_id,
            "name": self.name,
            "arguments": self.arguments,
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        return cls(
            call_id=str(data["call_id"]),
            session_id=str(data["session_id"]),
            agent_id=str(data["agent_id"]),
            name=str(data["name"]),
            arguments=dict(data.get("arguments") or {}),
        )


@dataclass(frozen=True)
class ToolOutcome:
    """The audit record of one call: exactly one of ``result`` and ``error`` is meaningful (``error`` set
    means it failed). ``attempts`` counts the times the endpoint was tried (0: refused before trying)."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    result: Any | None
    error: str | None
    duration_ms: float
    attempts: int

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_model_result(self) -> Any:
        """What the model is given: the tool's JSON result, or ``{"error": "..."}``."""
        return {"error": self.error} if self.error is not None else self.result

    def as_model_text(self) -> str:
        """``as_model_result()`` as the text of a tool message (a string result stays as it is)."""
        value = self.as_model_result()
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolOutcome:
        return cls(
            call_id=str(data["call_id"]),
            name=str(data["name"]),
            arguments=dict(data.get("arguments") or {}),
            result=data.get("result"),
            error=data.get("error"),
            duration_ms=float(data.get("duration_ms", 0.0)),
            attempts=int(data.get("attempts", 0)),
        )


def succeeded(call: ToolCall, result: Any, duration_ms: float, attempts: int) -> ToolOutcome:
    return ToolOutcome(call.call_id, call.name, call.arguments, result, None, duration_ms, attempts)


def failed(call: ToolCall, error: str, duration_ms: float, attempts: int) -> ToolOutcome:
    return ToolOutcome(call.call_id, call.name, call.arguments, None, error, duration_ms, attempts)


def outcome_from_answer(
    call: ToolCall, answer: dict[str, Any], duration_ms: float, attempts: int = 1
) -> ToolOutcome:
    """Read an answer carrying ``result`` and optionally ``error`` or ``isError`` (a WebSocket tool's
    answer frame, a client's ``send_function_output``). An ``error`` (any value but null, false or "") or
    ``isError: true`` make it a failure whose message is that error, or the result, as text."""
    error = answer.get("error")
    if error not in (None, False, ""):
        message = "the tool reported an error" if error is True else _as_text(error)
        return failed(call, message, duration_ms, attempts)
    if answer.get("isError") is True:
        result = answer.get("result")
        message = _as_text(result) if result not in (None, "") else "the tool reported an error"
        return failed(call, message, duration_ms, attempts)
    return succeeded(call, answer.get("result"), duration_ms, attempts)


def parsed_output(output: Any) -> Any:
    """A client's ``send_function_output`` ``output``: an object or a JSON string of one (both
    published)."""
    if isinstance(output, str):
        try:
            return json.loads(output)
        except (ValueError, RecursionError):  # not JSON (or nested too deeply): the text itself
            return output
    return output


def timed_out(call: ToolCall, timeout_seconds: float, duration_ms: float, attempts: int) -> ToolOutcome:
    """The outcome of a call that got no answer within its budget (an implicit tool's client, too)."""
    return failed(call, f"timed out after {timeout_seconds:g} s", duration_ms, attempts)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
