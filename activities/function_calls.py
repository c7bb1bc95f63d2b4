"""``call_function_endpoint``: one explicit tool call: a signed HTTP POST, or for a ``ws``/``wss`` URL
a frame on the session's socket to that tool server, held by the tool-socket worker
(shared/tools/tool_sockets.py). Without a worker configured (``OMNI_TOOL_SOCKETS_URL``) a WebSocket
call falls back to one exchange on a connection of its own (shared/tools/websocket_tool.py).

Failures are outcomes, never exceptions: the model is told and the conversation goes on."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.functions.store import get_function, open_headers, open_signing_secret
from shared.platform import get_platform
from shared.sessions.lifecycle import SessionPlan
from shared.tools.calls import call_explicit_tool
from shared.tools.records import ToolCall, ToolOutcome
from shared.tools.tool_sockets import call_on_session_socket, is_websocket_url, worker_configured

bp = df.Blueprint()


@bp.function_name(names.CALL_FUNCTION_ENDPOINT)
@bp.activity_trigger(input_name="request")
def call_function_endpoint(request: dict[str, Any]) -> dict[str, Any]:
    platform = get_platform()
    plan = SessionPlan.from_json(request["plan"])
    planned = request["call"]
    call = ToolCall.from_dict(planned)
    try:
        function = get_function(plan.project_id, planned["function_id"]).entity
    except Exception:  # deleted since the model saw it: an error result, not a failed session
        gone = ToolOutcome(
            call.call_id, call.name, call.arguments, None, "The tool no longer exists.", 0.0, 0
        )
        return gone.to_dict()
    if worker_configured(platform.settings) and is_websocket_url(function.url):
        on_socket = call_on_session_socket(
            platform.settings, call, function.url or "", plan.tool_timeout_seconds
        )
        return on_socket.to_dict()
    outcome = call_explicit_tool(
        call,
        function.url or "",
        open_headers(platform.secret_box, function) or {},
        open_signing_secret(platform.secret_box, function),
        timeout_seconds=plan.tool_timeout_seconds,
        allow_private=platform.settings.is_local,
        own_host=platform.settings.app_host,
    )
    return outcome.to_dict()
