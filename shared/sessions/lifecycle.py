"""The rules of a session's life, as plain functions over plain data: the orchestrator asks them
what happens next and only yields the durable calls (it stays deterministic and host-agnostic).

Times are ISO 8601 strings in the orchestration's input (JSON); the orchestrator passes
``context.current_utc_datetime`` as ``now``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

# ``connection_lost``: a webrtc session's last connection closed and no new one came within its grace.
EndReason = Literal["client", "inactivity", "error", "billing", "max_duration", "connection_lost"]
WakeReason = Literal["warn", "inactivity", "max_duration", "reconnect_grace"]

# A long session restarts its history every this many turns (continue_as_new), so replays stay short:
# the SDK parses every history event on every replay. Measured on the local stack (benchmarks/
# turn_overhead.py, tests/e2e/test_turn_costs.py): 5 turns per execution cost 95 ms of host CPU per turn,
# 20 cost 122 ms, for one more episode every 5 turns instead of every 20.
TURNS_PER_EXECUTION = 5
# Model rounds of one user turn (each round may call tools); past this the turn ends with an error.
MAX_TOOL_ROUNDS = 5
DEFAULT_MAX_DURATION_SECONDS = 3600
DEFAULT_TOOL_TIMEOUT_SECONDS = 10.0
# Transports whose lost connection may be replaced (the Web SDK reconnects with the same token); on the
# others closing the socket ends the session at once (as published for WebSocket sessions).
RECONNECTING_CHANNELS = frozenset({"webrtc"})


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
    # How long the session waits for a new connection once its last one closed (0: it does not wait,
    # the channel ends it at once: see ``reconnect_grace``).
    reconnect_grace_seconds: float = 0.0
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
    # A sip session's channel ``humanHandoff`` (wire names): the model's transfer tool and its target.
    human_handoff: dict[str, Any] | None = None

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
    # Since when the session has had no connection (its channel state said so), None while it has one.
    disconnected_at: str | None = None
    # The version (ETag) of the session's context blob that its last round wrote: the worker that
    # wrote it reads nothing (``shared/sessions/context.py``).
    context_version: str = ""

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


def reconnect_grace(channel_type: str, configured_seconds: float) -> float:
    """The plan's grace for a lost connection: the configured one for transports that reconnect."""
    return configured_seconds if channel_type in RECONNECTING_CHANNELS else 0.0


def on_connection(progress: SessionProgress, lost_at: str | None) -> SessionProgress:
    """What the channel state said about the session's connections: none since ``lost_at`` (ISO 8601,
    UTC), or some (None). Not user activity: the inactivity clock goes on while the client is away."""
    if lost_at is None:
        return replace(progress, disconnected_at=None)
    lost = datetime.fromisoformat(lost_at)
    if datetime.fromisoformat(progress.started_at).tzinfo is None:  # keep the orchestrator's own form
        lost = lost.astimezone(UTC).replace(tzinfo=None) if lost.tzinfo else lost
    elif lost.tzinfo is None:
        lost = lost.replace(tzinfo=UTC)
    return replace(progress, disconnected_at=lost.isoformat())


def grace_deadline(plan: SessionPlan, progress: SessionProgress) -> datetime | None:
    """When a session without a connection ends for it (None: it has one, or does not wait)."""
    if progress.disconnected_at is None or plan.reconnect_grace_seconds <= 0:
        return None
    return datetime.fromisoformat(progress.disconnected_at) + timedelta(seconds=plan.reconnect_grace_seconds)


def grace_over(plan: SessionPlan, progress: SessionProgress, now: datetime) -> bool:
    deadline = grace_deadline(plan, progress)
    return deadline is not None and now >= deadline


def next_wake(plan: SessionPlan, progress: SessionProgress) -> tuple[datetime, WakeReason]:
    """When the session must act by itself if the user says nothing, and why."""
    started = datetime.fromisoformat(progress.started_at)
    last = datetime.fromisoformat(progress.last_activity_at)
    candidates: list[tuple[datetime, WakeReason]] = [
        (started + timedelta(seconds=plan.max_duration_seconds), "max_duration")
    ]
    if (deadline := grace_deadline(plan, progress)) is not None:
        candidates.append((deadline, "reconnect_grace"))
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
