"""Tool calls of one model turn: run each where it lives, several at once, and say how each went.

What a durable activity needs, synchronously:

- ``call_http_tool`` / ``call_websocket_tool`` (or ``call_explicit_tool``, which picks by the URL's
  scheme) run one explicit call and give its ``ToolOutcome``, never an exception;
- ``run_tool_calls_in_parallel`` runs the calls of one turn together and gives their outcomes in the
  order of the calls;
- an implicit tool's answer from the client (``send_function_output``) becomes an outcome with
  ``outcome_from_answer``, its silence with ``timed_out``.

``ToolOutcome`` is the audit record (name, arguments, result or error, duration, attempts);
``as_model_result()`` is what the model sees, so failures reach it as error results and the
conversation goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from shared.functions.addresses import HostPort
from shared.tools.http_tool import HttpAnswer, HttpClient, StdlibHttpClient, call_http_tool
from shared.tools.records import (
    DEFAULT_TIMEOUT_SECONDS,
    ToolCall,
    ToolOutcome,
    failed,
    outcome_from_answer,
    timed_out,
)
from shared.tools.websocket_tool import call_websocket_tool

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_PARALLEL_CALLS",
    "HttpAnswer",
    "HttpClient",
    "StdlibHttpClient",
    "ToolCall",
    "ToolOutcome",
    "call_explicit_tool",
    "call_http_tool",
    "call_websocket_tool",
    "outcome_from_answer",
    "run_tool_calls_in_parallel",
    "timed_out",
]

MAX_PARALLEL_CALLS = 16
_log = logging.getLogger(__name__)


def call_explicit_tool(
    call: ToolCall,
    endpoint_url: str,
    headers: Mapping[str, str] | None,
    signing_secret: str | None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    allow_private: bool = False,
    own_host: HostPort | None = None,
) -> ToolOutcome:
    """Run an explicit call over HTTP(S) or WebSocket, as the endpoint's scheme says (never to
    ``own_host``, the app itself)."""
    scheme = urlsplit(endpoint_url.strip()).scheme.lower()
    if scheme in ("ws", "wss"):
        return call_websocket_tool(
            call, endpoint_url, headers, signing_secret, timeout_seconds, allow_private, own_host=own_host
        )
    if scheme in ("http", "https"):
        return call_http_tool(
            call, endpoint_url, headers, signing_secret, timeout_seconds, allow_private, own_host=own_host
        )
    return failed(call, "the endpoint URL is refused: it must use http, https, ws or wss", 0.0, 0)


def run_tool_calls_in_parallel(
    calls: Sequence[ToolCall],
    runner: Callable[[ToolCall], ToolOutcome],
    *,
    max_workers: int = MAX_PARALLEL_CALLS,
) -> list[ToolOutcome]:
    """Run ``runner`` on every call at once (a thread each, up to ``max_workers``) and give the outcomes
    in the order of ``calls``. A runner that raises gives an error outcome for its call (logged), so one
    broken call never takes the others down."""
    if not calls:
        return []
    if len(calls) == 1:
        return [_run_safely(runner, calls[0])]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(calls)), thread_name_prefix="tool-call") as pool:
        return list(pool.map(lambda call: _run_safely(runner, call), calls))


def _run_safely(runner: Callable[[ToolCall], ToolOutcome], call: ToolCall) -> ToolOutcome:
    try:
        return runner(call)
    except Exception as error:
        _log.exception("tool call %s (%s) failed unexpectedly", call.call_id, call.name)
        return failed(call, f"the tool call failed unexpectedly ({type(error).__name__})", 0.0, 0)
