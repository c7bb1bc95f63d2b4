"""Opening a session on any channel: a seat within the organization's concurrency limit, the session's
records (``pending``), its plan and its orchestration. ``POST /public/agents/{id}/connections``
(``api/connections.py``) and an incoming phone call (``channels/acs_phone.py``) open sessions here, so
billing, limits and records are the same whatever the channel."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from shared import durable_names as names
from shared.agents.models import AgentFields
from shared.ids import new_id
from shared.platform import Platform
from shared.sessions.gateway import SESSION_INDEX_TABLE, SessionIndexEntry
from shared.sessions.lifecycle import SessionPlan, reconnect_grace
from shared.sessions.limits import session_limits
from shared.sessions.records import SESSIONS_TABLE, SessionModality, SessionRecord, mark_ended

T = TypeVar("T")
StartNew = Callable[[str, str, dict[str, Any]], Any]  # (orchestrator, instance id, input)


@dataclass(frozen=True)
class SessionKey:
    """The API key a session runs on: its project owns the session, its provider answers."""

    organization_id: str
    project_id: str
    key_id: str
    provider_type: str


@dataclass(frozen=True)
class SessionOpening:
    """What the channel asks of the session beyond the agent."""

    channel_type: str
    speaks: bool  # the platform's speech (``audio_received``); False where the channel speaks itself
    external_client_id: str | None = None
    external_client_profile: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    initial_speech: str | None = None
    # The record's modality when the channel's own speech decides it (a phone call is audio though
    # the platform does not speak); None: as ``speaks`` says.
    modality: SessionModality | None = None
    # A phone call's ``humanHandoff`` (its SIP channel config's, wire names): the transfer tool.
    human_handoff: dict[str, Any] | None = None


def open_session(
    platform: Platform,
    key: SessionKey,
    opening: SessionOpening,
    agent: AgentFields,
    agent_id: str | None,
    inline: bool,
    start_new: StartNew,
    prepare: Callable[[str], T],
) -> tuple[str, T]:
    """Claim a seat (409 ``ConcurrentSessionLimitReached`` when none is free), ``prepare(session_id)``
    (what the channel needs, before anything is written: a failure there writes nothing), record the
    session, start its orchestrator. Answers the session id and what ``prepare`` answered. A failure
    after the claim frees the seat and marks a recorded session failed."""
    session_id, now = new_id("sess"), datetime.now(UTC)
    limits = session_limits(platform)
    limits.claim(key.organization_id, opening.channel_type, session_id, key.project_id, now)
    try:
        prepared = prepare(session_id)
        plan = _record(platform, key, opening, agent, agent_id, session_id, now, inline)
        start_new(names.SESSION, session_id, {"plan": plan.to_json()})
        return session_id, prepared
    except BaseException:
        limits.release(key.organization_id, opening.channel_type, session_id)
        sessions = platform.repository(SESSIONS_TABLE, SessionRecord)
        with contextlib.suppress(Exception):  # not recorded, or recorded: then it failed
            mark_ended(
                sessions,
                key.project_id,
                session_id,
                ended_at=now,
                reason="error",
                active_seconds=0.0,
                billed_minutes=0,
            )
        raise


def _record(
    platform: Platform,
    key: SessionKey,
    opening: SessionOpening,
    agent: AgentFields,
    agent_id: str | None,
    session_id: str,
    now: datetime,
    inline: bool,
) -> SessionPlan:
    platform.repository(SESSION_INDEX_TABLE, SessionIndexEntry).create(
        session_id,
        SessionIndexEntry(id=session_id, project_id=key.project_id, turn_detection=turn_detection_of(agent)),
    )
    platform.repository(SESSIONS_TABLE, SessionRecord).create(
        key.project_id,
        SessionRecord(
            id=session_id,
            organization_id=key.organization_id,
            project_id=key.project_id,
            agent_id=agent_id,
            key_id=key.key_id,
            provider_type=key.provider_type,
            channel_type=opening.channel_type,
            external_client_id=opening.external_client_id,
            tags=opening.tags,
            status="pending",
            started_at=now,
            modality=opening.modality or ("audio" if opening.speaks else "text"),
            companion_id=agent.companion_id,
            function_ids=agent.functions,
            faq_collection_ids=agent.faq_collections,
            knowledge_base_id=agent.knowledge_base_id,
        ),
    )
    return SessionPlan(
        session_id=session_id,
        project_id=key.project_id,
        organization_id=key.organization_id,
        agent_id=agent_id,
        key_id=key.key_id,
        channel_type=opening.channel_type,
        inactivity_timeout_seconds=agent.inactivity.timeout_seconds,
        inactivity_countdown_seconds=agent.inactivity.countdown_seconds,
        idle_timeout_disabled=agent.disable_idle_timeout,
        greeting=agent.greeting,
        initial_speech=opening.initial_speech,
        tool_timeout_seconds=platform.settings.tool_timeout_seconds,
        reconnect_grace_seconds=reconnect_grace(
            opening.channel_type, platform.settings.reconnect_grace_seconds
        ),
        disclaimer=agent.disclaimer.model_dump(by_alias=True),
        inline_agent=agent.model_dump(mode="json", include=set(AgentFields.model_fields)) if inline else None,
        companion_id=agent.companion_id,
        external_client_id=opening.external_client_id,
        tags=opening.tags,
        external_client_profile=opening.external_client_profile,
        memory_enabled=agent.memory.enabled,
        speaks=opening.speaks,
        language=agent.language,
        human_handoff=opening.human_handoff,
    )


def turn_detection_of(agent: AgentFields) -> dict[str, Any]:
    """The agent's ``providerSettings.turnDetection`` as the session's channel hears with it."""
    settings = agent.provider_settings.turn_detection if agent.provider_settings else None
    return settings.model_dump(exclude_none=True) if settings else {}
