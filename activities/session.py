"""The session's activities: one side effect each (see orchestrators/session.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.platform import get_platform
from shared.sessions import frames
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, read_after
from shared.sessions.lifecycle import SessionPlan, SessionProgress, active_seconds, billed_minutes
from shared.sessions.records import SESSIONS_TABLE, SessionRecord

bp = df.Blueprint()


@bp.function_name(names.SEND_TO_SESSION)
@bp.activity_trigger(input_name="request")
def send_to_session(request: dict[str, Any]) -> None:
    get_platform().session_connection.send(request["sessionId"], request["frames"])


@bp.function_name(names.READ_INBOX)
@bp.activity_trigger(input_name="request")
def read_session_inbox(request: dict[str, Any]) -> list[dict[str, Any]]:
    inbox = get_platform().repository(INBOX_TABLE, InboxEntry)
    entries = read_after(inbox, request["sessionId"], request["cursor"])
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "text": e.text,
            "callId": e.call_id,
            "result": e.result,
            "isError": e.is_error,
        }
        for e in entries
    ]


@bp.function_name(names.END_SESSION)
@bp.activity_trigger(input_name="request")
def end_session(request: dict[str, Any]) -> dict[str, Any]:
    """Record the end (active seconds, billed minutes), tell the client, close its connections."""
    platform = get_platform()
    plan = SessionPlan(**request["plan"])
    progress = SessionProgress(**request["progress"])
    ended_at = datetime.fromisoformat(request["endedAt"]).astimezone(UTC)
    seconds = active_seconds(progress, ended_at)
    minutes = billed_minutes(seconds)
    sessions = platform.repository(SESSIONS_TABLE, SessionRecord)
    stored = sessions.get(plan.project_id, plan.session_id)
    if stored.entity.status != "ended":  # a re-run of this activity records nothing twice
        sessions.update(
            plan.project_id,
            stored.entity.model_copy(
                update={
                    "status": "ended",
                    "ended_at": ended_at,
                    "end_reason": request["reason"],
                    "active_seconds": seconds,
                    "billed_minutes": minutes,
                }
            ),
            stored.etag,
        )
    platform.session_connection.send(plan.session_id, [frames.session_ended(request["reason"], minutes)])
    platform.session_connection.close(plan.session_id, reason=request["reason"])
    return {"activeSeconds": seconds, "billedMinutes": minutes}
