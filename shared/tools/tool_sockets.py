"""The app's side of the tool-socket worker (workers/tool_sockets): one socket per session to each
WebSocket tool server, held by the worker because a Functions app cannot hold one across invocations.

- ``open_tool_sockets`` (the session's opening): one socket per ``ws``/``wss`` URL of the session's
  explicit functions, ``initialize`` first; answers why the session must end (a failed socket whose
  function has ``connectionBehavior.abortOnFailure``), else None (other failures are told to the
  client as ``ToolServerUnavailable``).
- ``call_on_session_socket``: one call on the session's socket, answered as a ``ToolOutcome``.
- ``stream_conversation``: completed user and assistant items to the sockets with ``receiveMessages``.
- ``close_tool_sockets``: the session's sockets close (its end).

The transport is the tools' own ``StdlibHttpClient`` (no new runtime dependency). The worker's URL is
the platform's own (internal), so it is not put through the tool address rule; the worker applies that
rule to the tool servers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from shared.functions.models import FunctionRecord
from shared.functions.store import open_headers, open_signing_secret
from shared.platform import Platform
from shared.sessions import protocol
from shared.sessions.context import SessionConfig
from shared.sessions.lifecycle import SessionPlan
from shared.settings import Settings
from shared.tools.connections import DEFAULT_PORTS, Target
from shared.tools.http_tool import StdlibHttpClient
from shared.tools.records import ToolCall, ToolOutcome, failed, outcome_from_answer

log = logging.getLogger("omniagent.tools.sockets")

_MARGIN_SECONDS = 5.0  # the worker's answer may take this much longer than its own budget
_MAX_ANSWER_BYTES = 2 * 1024 * 1024


def worker_configured(settings: Settings) -> bool:
    return bool(settings.tool_sockets_url and settings.tool_sockets_secret)


def is_websocket_url(url: str | None) -> bool:
    return urlsplit((url or "").strip()).scheme.lower() in ("ws", "wss")


def session_socket_groups(config: SessionConfig) -> dict[str, list[FunctionRecord]]:
    """The session's explicit WebSocket functions by URL (one socket each)."""
    groups: dict[str, list[FunctionRecord]] = {}
    for record in config.function_records().values():
        if record.flow == "explicit" and is_websocket_url(record.url):
            groups.setdefault((record.url or "").strip(), []).append(record)
    return groups


def session_metadata(plan: SessionPlan) -> dict[str, Any]:
    """``initialize``'s metadata: the connection's fields, those not set left out (snake_case)."""
    metadata: dict[str, Any] = {}
    if plan.tags:
        metadata["tags"] = dict(plan.tags)
    if plan.external_client_id:
        metadata["external_client_id"] = plan.external_client_id
    if plan.external_client_profile:
        metadata["external_client_profile"] = plan.external_client_profile
    return metadata


def open_tool_sockets(platform: Platform, plan: SessionPlan, config: SessionConfig) -> str | None:
    """Open the session's tool sockets; answer ``"error"`` when the session must end (abortOnFailure),
    else None. Sets ``config.conversation_listeners`` when a socket asked for the conversation."""
    settings = platform.settings
    groups = session_socket_groups(config)
    if not groups or not worker_configured(settings):
        return None
    metadata = session_metadata(plan)
    ending: str | None = None
    for url, records in groups.items():
        behaviour = [r.connection_behavior or {} for r in records]
        receive = any(r.receive_messages for r in records)
        body = {
            "url": url,
            "headers": _merged_headers(platform, records),
            "signingSecret": open_signing_secret(platform.secret_box, records[0]),
            "functions": [
                {"name": r.name, "description": r.description, "parameters": r.parameters} for r in records
            ],
            "metadata": metadata,
            "receiveMessages": receive,
            "waitBeforeStart": any(b.get("waitBeforeStart") for b in behaviour),
            "timeoutSeconds": plan.tool_timeout_seconds,
        }
        status, answer = _post(settings, f"/sessions/{quote(plan.session_id)}/sockets", body)
        if status == 200:
            config.conversation_listeners = config.conversation_listeners or receive
            continue
        reason = str(answer.get("error") or f"the tool-socket worker answered HTTP {status}")
        log.warning("session %s: tool socket %s not opened: %s", plan.session_id, url, reason)
        names = ", ".join(r.name for r in records)
        platform.session_connection.send(
            plan.session_id,
            [protocol.error("ToolServerUnavailable", f"The tool server of {names} is unavailable: {reason}")],
        )
        if any(b.get("abortOnFailure") for b in behaviour):
            ending = "error"
    return ending


def call_on_session_socket(
    settings: Settings, call: ToolCall, url: str, timeout_seconds: float
) -> ToolOutcome:
    """Send ``call`` (the HTTP tool's body) on the session's socket to ``url``; never raises."""
    started = time.monotonic()
    body = {"url": url.strip(), "call": json.loads(call.request_body()), "timeoutSeconds": timeout_seconds}
    status, answer = _post(
        settings, f"/sessions/{quote(call.session_id)}/calls", body, timeout_seconds + _MARGIN_SECONDS
    )
    elapsed_ms = (time.monotonic() - started) * 1000
    if status == 200 and isinstance(answer.get("answer"), dict):
        return outcome_from_answer(call, answer["answer"], elapsed_ms, 1)
    if status == 504:
        return failed(call, f"timed out after {timeout_seconds:g} s", elapsed_ms, 1)
    reason = answer.get("error") or f"the tool-socket worker answered HTTP {status}"
    return failed(call, f"the tool server's socket is not open ({reason})", elapsed_ms, 1)


def stream_conversation(settings: Settings, session_id: str, events: Sequence[Mapping[str, Any]]) -> None:
    """Completed user and assistant items of ``events`` to the sockets that asked for them."""
    for event in events:
        message = (
            (event.get("data") or {}).get("message") if event.get("event") == "message_received" else None
        )
        if (
            isinstance(message, dict)
            and message.get("type") == "message"
            and message.get("action") == "completed"
            and message.get("role") in ("user", "assistant")
        ):
            _post(settings, f"/sessions/{quote(session_id)}/conversation", {"item": message})


def close_tool_sockets(settings: Settings, session_id: str) -> None:
    """The session's sockets close; failures are logged and ignored (the session ends anyway)."""
    if worker_configured(settings):
        _post(settings, f"/sessions/{quote(session_id)}", None, method="DELETE")


def _merged_headers(platform: Platform, records: Sequence[FunctionRecord]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for record in records:
        headers.update(open_headers(platform.secret_box, record) or {})
    return headers


def _post(
    settings: Settings,
    path: str,
    body: Any,
    timeout: float | None = None,
    *,
    method: str = "POST",
) -> tuple[int, dict[str, Any]]:
    """One request to the worker: (status, JSON object answered); (0, {error}) when it is unreachable."""
    base = urlsplit(settings.tool_sockets_url or "")
    scheme = base.scheme.lower() or "http"
    target = Target(scheme, base.hostname or "", base.port or DEFAULT_PORTS[scheme], None)
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Authorization": f"Bearer {settings.tool_sockets_secret}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    budget = timeout or settings.tool_timeout_seconds + _MARGIN_SECONDS
    try:
        answer = _client().send(method, target, base.path.rstrip("/") + path, data, headers, budget)
    except (OSError, ValueError) as error:
        log.warning("the tool-socket worker is unreachable (%s)", type(error).__name__)
        return 0, {"error": f"the tool-socket worker is unreachable ({type(error).__name__})"}
    except Exception as error:  # http.client errors
        log.warning("the tool-socket worker failed (%s)", type(error).__name__)
        return 0, {"error": f"the tool-socket worker failed ({type(error).__name__})"}
    try:
        document = json.loads(answer.body) if answer.body else {}
    except ValueError:
        document = {}
    return answer.status, document if isinstance(document, dict) else {}


_CLIENT: StdlibHttpClient | None = None


def _client() -> StdlibHttpClient:
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = StdlibHttpClient(max_answer_bytes=_MAX_ANSWER_BYTES)
    return _CLIENT
