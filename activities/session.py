"""The session's activities: one side effect each (see orchestrators/session.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.billing.usage_store import record_session_usage
from shared.memory.folding import conversation_lines, summarizer_for
from shared.memory.store import save_folded
from shared.platform import Platform, get_platform
from shared.sessions import protocol
from shared.sessions.configuration import session_model
from shared.sessions.context import discard_context
from shared.sessions.gateway import session_gateway
from shared.sessions.lifecycle import SessionPlan, SessionProgress, active_seconds, billed_minutes
from shared.sessions.limits import session_limits
from shared.sessions.records import (
    SESSIONS_TABLE,
    TRANSCRIPTS_TABLE,
    SessionRecord,
    TranscriptEntry,
    mark_ended,
)
from shared.tools.tool_sockets import close_tool_sockets
from shared.transports import transport_for

bp = df.Blueprint()


@bp.function_name(names.SEND_TO_SESSION)
@bp.activity_trigger(input_name="request")
def send_to_session(request: dict[str, Any]) -> None:
    platform = get_platform()
    transport_for(platform, request.get("channelType")).send(request["sessionId"], request["frames"])


@bp.function_name(names.END_SESSION)
@bp.activity_trigger(input_name="request")
def end_session(request: dict[str, Any]) -> dict[str, Any]:
    """Record the end (active seconds, billed minutes), tell the client, close its connections."""
    platform = get_platform()
    plan = SessionPlan.from_json(request["plan"])
    progress = SessionProgress.from_json(request["progress"])
    ended_at = datetime.fromisoformat(request["endedAt"]).astimezone(UTC)
    seconds = active_seconds(progress, ended_at)
    minutes = billed_minutes(seconds)
    # First the channel refuses the session's connections and frames: once the record says it ended,
    # the token must not open it again (a reconnecting client would find it still live otherwise).
    _close_channel(platform, plan)
    # Its seat in the concurrency limit is free (before the record says it ended, so a client told
    # it ended can connect again at once); a re-run of this activity frees nothing twice.
    session_limits(platform).release(plan.organization_id, plan.channel_type, plan.session_id)
    # closed or failed (no client ever connected); a re-run records nothing twice.
    record = mark_ended(
        platform.repository(SESSIONS_TABLE, SessionRecord),
        plan.project_id,
        plan.session_id,
        ended_at=ended_at,
        reason=request["reason"],
        active_seconds=seconds,
        billed_minutes=minutes,
    )
    # Usage for the usage views and metering; the same rows again on a re-run of this activity.
    record_session_usage(record, datetime.fromisoformat(progress.started_at), ended_at)
    _remember(platform, plan)
    close_tool_sockets(platform.settings, plan.session_id)  # its WebSocket tool servers' sockets
    transport = transport_for(platform, plan.channel_type)
    transport.send(plan.session_id, [protocol.session_ended(request["reason"], minutes)])
    transport.close(plan.session_id, reason=request["reason"])
    return {"activeSeconds": seconds, "billedMinutes": minutes}


def _remember(platform: Platform, plan: SessionPlan) -> None:
    """Fold the conversation into the end user's memory (by the model when one is configured).
    Idempotent by session id: a re-run of this activity changes nothing."""
    if not (plan.memory_enabled and plan.external_client_id and plan.companion_id):
        return
    entries = platform.repository(TRANSCRIPTS_TABLE, TranscriptEntry).list_all(plan.session_id)
    lines = conversation_lines(entries)
    if not lines:
        return
    summarizer = summarizer_for(session_model(platform, plan.project_id, plan.key_id))
    save_folded(
        plan.project_id,
        plan.companion_id,
        plan.external_client_id,
        lines,
        summarizer,
        session_id=plan.session_id,
    )


def _close_channel(platform: Platform, plan: SessionPlan) -> None:
    """The channel refuses the session's frames from now on; its prompt context goes."""
    session_gateway(lambda *_: None).close(plan.session_id)  # raises no event: the session is over
    discard_context(platform, plan)
