"""Stored sessions and their transcripts (partition = project id for sessions; = session id for
transcript entries, whose row keys sort in conversation order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

SESSIONS_TABLE = "sessions"
TRANSCRIPTS_TABLE = "sessiontranscripts"

SessionStatus = Literal["active", "ended"]


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
    status: SessionStatus = "active"
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None
    active_seconds: float = 0.0
    billed_minutes: int = 0


class TranscriptEntry(BaseModel):
    """One line of the conversation; ``id`` = ``transcript_row(turn, round, role)`` so that re-running
    an activity rewrites its own lines instead of adding new ones."""

    id: str
    turn_id: str
    role: Literal["user", "assistant", "tool"]
    text: str = ""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    tool_outcomes: list[dict[str, Any]] = Field(default_factory=list)
    interrupted: bool = False
    at: datetime


# Within one round, what the model read comes before what it answered.
_ROLE_ORDER = {"user": 0, "tool": 1, "assistant": 2}


def transcript_row(turn: int, round_index: int, role: str) -> str:
    return f"{turn:06d}.{round_index:02d}.{_ROLE_ORDER[role]}{role}"
