"""The rules of a session's life, as plain functions over plain data: the orchestrator asks them
what happens next and only yields the durable calls (it stays deterministic and host-agnostic).

Times are ISO 8601 strings in the orchestration's input (JSON); the orchestrator passes
``context.current_utc_datetime`` as ``now``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any, Literal

EndReason = Literal["client", "inactivity", "error", "billing", "max_duration"]
WakeReason = Literal["warn", "inactivity", "max_duration"]

# A long session restarts its history every this many turns (continue_as_new), so replays stay short:
# the SDK parses every history event on every replay. Measured on the local stack (benchmarks/
# turn_overhead.py, tests/e2e/test_turn_costs.py): 5 turns per execution cost 95 ms of host CPU per turn,
# 20 cost 122 ms, for one more episode every 5 turns instead of every 20.
TURNS_PER_EXECUTION = 5
# Model rounds of one user turn (each round may call tools); past this the turn ends with an error.
MAX_TOOL_ROUNDS = 5
DEFAULT_MAX_DURATION_SECONDS = 3600
DEFAULT_TOOL_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class SessionPlan:
    """What a session is, fixed at its start."""

    session_id: str
    project_id: str
    organization_id: str
    agent_id: str | None  # None: a per-session connection (the agent is ``inline_agent``)
    key_id: str
    channel_type: str
    inactivity_timeout_seconds: int
    inactivity_countdown_seconds: int
    idle_timeout_disabled: bool = False
    max_duration_seconds: int = DEFAULT_MAX_DURATION_SECONDS
    tool_timeout_seconds: float = DEFAULT_TOOL_TIMEOUT_SECONDS
    greeting: str | None = None  # the agent's ``greeting`` (extension): said as it is
    # The connection's ``initialSpeech``: how to open the session, an instruction the agent follows
    # in its own words (published), not a line to read out.
    initial_speech: str | None = None
    disclaimer: dict[str, Any] = field(default_factory=dict)
    companion_id: str | None = None
    # Memory follows the end user (``externalClientId``) when the agent's memory is enabled.
    external_client_id: str | None = None
    # The connection's tags and externalClientProfile (WebSocket tool servers get them in ``initialize``).
    tags: dict[str, str] = field(default_factory=dict)
    external_client_profile: dict[str, Any] | None = None
    memory_enabled: bool = False
    # The session speaks its answers (audio_received) and hears the user's audio.
    speaks: bool = False
    language: str | None = None
    # Per-session connections carry their whole agent configuration (AgentFields as JSON): nothing
    # about them is stored beyond the session.
    inline_agent: dict[str, Any] | None = None
    # The agent's providerSettings.turnDetection (server turn detection over the microphone stream).
    turn_detection: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionPlan:
        return cls(**{k: v for k, v in data.items() if k in _PLAN_FIELDS})


@dataclass(frozen=True)
class SessionProgress:
    """Where a session is: carried from execution to execution across ``continue_as_new``."""

    started_at: str
    last_activity_at: str
    inbox_cursor: str = ""  # the last inbox entry taken
    turns: int = 0
    warned: bool = False
    unread: bool = False  # entries after the cursor are known to wait (take them before waiting again)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionProgress:
        return cls(**{k: v for k, v in data.items() if k in _PROGRESS_FIELDS})


_PLAN_FIELDS = frozenset(f.name for f in fields(SessionPlan))
_PROGRESS_FIELDS = frozenset(f.name for f in fields(SessionProgress))


def begin(now: datetime) -> SessionProgress:
    stamp = now.isoformat()
    return SessionProgress(started_at=stamp, last_activity_at=stamp)


def on_user_activity(progress: SessionProgress, now: datetime) -> SessionProgress:
    """Any user frame resets the inactivity clock (and a given warning)."""
    return replace(progress, last_activity_at=now.isoformat(), warned=False)


def next_wake(plan: SessionPlan, progress: SessionProgress) -> tuple[datetime, WakeReason]:
    """When the session must act by itself if the user says nothing, and why."""
    started = datetime.fromisoformat(progress.started_at)
    last = datetime.fromisoformat(progress.last_activity_at)
    candidates: list[tuple[datetime, WakeReason]] = [
        (started + timedelta(seconds=plan.max_duration_seconds), "max_duration")
    ]
    if not plan.idle_timeout_disabled:
        end_at = last + timedelta(seconds=plan.inactivity_timeout_seconds)
        candidates.append((end_at, "inactivity"))
        if not progress.warned and plan.inactivity_countdown_seconds > 0:
            warn_at = end_at - timedelta(seconds=plan.inactivity_countdown_seconds)
            candidates.append((warn_at, "warn"))
    return min(candidates, key=lambda c: c[0])


def seconds_left(plan: SessionPlan, progress: SessionProgress, now: datetime) -> int:
    end_at = datetime.fromisoformat(progress.last_activity_at) + timedelta(
        seconds=plan.inactivity_timeout_seconds
    )
    return max(0, round((end_at - now).total_seconds()))


def active_seconds(progress: SessionProgress, ended_at: datetime) -> float:
    return max(0.0, (ended_at - datetime.fromisoformat(progress.started_at)).total_seconds())


def billed_minutes(seconds: float) -> int:
    """Minutes as billed: every started minute counts."""
    return math.ceil(seconds / 60) if seconds > 0 else 0


# Ends the platform imposes: the session ends at once, the turns still queued go unanswered.
IMMEDIATE_END_REASONS: frozenset[str] = frozenset({"billing"})
