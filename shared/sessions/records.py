"""Stored sessions and their transcripts (partition = project id for sessions; = session id for
transcript entries, whose row keys sort in conversation order).

A session's status is the published lifecycle: ``pending`` (created) -> ``started`` (the client
connected: ``mark_started``) -> ``closed``, or ``failed`` when it ended with an error or its client
never connected (``mark_ended``). Pending and started sessions are live. Rows written before this
lifecycle say ``active`` (read as ``started``) or ``ended`` (read as ``closed``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from shared.concurrency import UPDATE_ATTEMPTS, busy, pause_before_retry
from shared.storage import ConcurrencyConflict, TableRepository

SESSIONS_TABLE = "sessions"
TRANSCRIPTS_TABLE = "sessiontranscripts"

SessionStatus = Literal["pending", "started", "closed", "failed"]
LIVE_STATUSES: tuple[SessionStatus, ...] = ("pending", "started")
_LEGACY_STATUSES = {"active": "started", "ended": "closed"}
SessionModality = Literal["audio", "text"]

# Our end reasons (the orchestrator's) as the published ``closeReason``. Only ``idle_timeout`` is
# published; the others are ours, in the same style.
CLOSE_REASONS = {
    "client": "client_closed",
    "inactivity": "idle_timeout",
    "max_duration": "max_duration",
    "billing": "billing",
    "error": "error",
    "connection_lost": "connection_lost",
}


def close_reason_for(end_reason: str | None) -> str | None:
    """The published ``closeReason`` of one of our end reasons (an unknown one as it is)."""
    return None if end_reason is None else CLOSE_REASONS.get(end_reason, end_reason)


class SessionRecord(BaseModel):
    id: str
    organization_id: str
    project_id: str
    agent_id: str | None = None  # None: a per-session connection
    key_id: str
    provider_type: str
    channel_type: str
    external_client_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    status: SessionStatus = "pending"
    started_at: datetime  # when the session was created (the published ``createdAt``)
    connected_at: datetime | None = None  # when its client first connected (the published ``startedAt``)
    ended_at: datetime | None = None
    end_reason: str | None = None  # ours: client, inactivity, max_duration, billing, error, connection_lost
    close_reason: str | None = None  # the published one (``close_reason_for``)
    active_seconds: float = 0.0
    billed_minutes: int = 0
    # What the session was opened with (the published list shows it); the session type is
    # ``channel_type``.
    modality: SessionModality = "text"
    companion_id: str | None = None
    function_ids: list[str] = Field(default_factory=list)
    faq_collection_ids: list[str] = Field(default_factory=list)
    knowledge_base_id: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _read_legacy_status(cls, value: Any) -> Any:
        return _LEGACY_STATUSES.get(value, value) if isinstance(value, str) else value

    @property
    def is_live(self) -> bool:
        """Pending or started: the session has not ended (and counts toward the concurrency limit)."""
        return self.status in LIVE_STATUSES


def mark_started(
    sessions: TableRepository[SessionRecord], project_id: str, session_id: str, at: datetime
) -> SessionRecord:
    """The client connected: a pending session becomes ``started`` at ``at``. Anything else is left
    as it is (a reconnect keeps the first time; an ended session stays ended), so calling it again
    is harmless. Raises ``NotFound``; answers the record as stored."""

    def start(record: SessionRecord) -> SessionRecord | None:
        if record.status != "pending":
            return None
        return record.model_copy(update={"status": "started", "connected_at": at})

    return _change(sessions, project_id, session_id, start)


def mark_ended(
    sessions: TableRepository[SessionRecord],
    project_id: str,
    session_id: str,
    *,
    ended_at: datetime,
    reason: str,
    active_seconds: float,
    billed_minutes: int,
    connected: bool = False,
) -> SessionRecord:
    """The end of a live session: ``failed`` when it ended with an error or its client never
    connected (``started``, or ``connected``: the orchestrator saw it connect), else ``closed``.
    An ended session is left as it is, so a re-run records nothing twice. Answers the record as
    stored."""

    def end(record: SessionRecord) -> SessionRecord | None:
        if not record.is_live:
            return None
        was_connected = connected or record.status == "started"
        return record.model_copy(
            update={
                "status": "closed" if was_connected and reason != "error" else "failed",
                "ended_at": ended_at,
                "end_reason": reason,
                "close_reason": close_reason_for(reason),
                "active_seconds": active_seconds,
                "billed_minutes": billed_minutes,
            }
        )

    return _change(sessions, project_id, session_id, end)


def _change(
    sessions: TableRepository[SessionRecord],
    project_id: str,
    session_id: str,
    change: Callable[[SessionRecord], SessionRecord | None],
) -> SessionRecord:
    """Read, change (None: nothing to change) and write with the ETag read, again on a lost race."""
    for attempt in range(UPDATE_ATTEMPTS):
        pause_before_retry(attempt)
        stored = sessions.get(project_id, session_id)
        changed = change(stored.entity)
        if changed is None:
            return stored.entity
        try:
            sessions.update(project_id, changed, stored.etag)
        except ConcurrencyConflict:
            continue
        return changed
    raise busy("session")


class TranscriptEntry(BaseModel):
    """One line of the conversation; ``id`` = ``transcript_row(turn, round, role)`` so that re-running
    an activity rewrites its own lines instead of adding new ones."""

    id: str
    turn_id: str
    role: Literal["user", "assistant", "tool", "system"]
    text: str = ""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    tool_outcomes: list[dict[str, Any]] = Field(default_factory=list)
    # The passages an assistant line cites, as its ``completed`` message listed them.
    citations: list[dict[str, Any]] = Field(default_factory=list)
    interrupted: bool = False
    at: datetime


# A cited passage's text as a transcript line keeps it: enough to recognise the passage, while a
# line citing many passages stays far below a table property's 64 KB.
CITATION_TEXT_CHARS = 400


def stored_citations(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The citations of an answer as its transcript line stores them (each passage's text cut)."""
    kept = []
    for citation in citations:
        text = citation.get("text")
        if isinstance(text, str) and len(text) > CITATION_TEXT_CHARS:
            citation = {**citation, "text": text[: CITATION_TEXT_CHARS - 1] + "…"}
        kept.append(citation)
    return kept


# Within one round, what the model read comes before what it answered.
_ROLE_ORDER = {"system": 0, "user": 0, "tool": 1, "assistant": 2}


def transcript_row(turn: int, round_index: int, role: str) -> str:
    return f"{turn:06d}.{round_index:02d}.{_ROLE_ORDER[role]}{role}"
