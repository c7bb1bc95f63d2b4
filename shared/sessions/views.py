"""Sessions as the published Sessions API shows them (docs: "Monitoring Your Agent / Sessions"):
list items and one session with its conversation, built from the stored record and transcript.

Published: ``id, companionId, functions, knowledgeBaseId, faqIds, externalClientId, tags,
sessionType, modality, status (pending|started|closed|failed), closeReason, cost (USD, null until
the session ends), createdAt, startedAt, closedAt`` (seconds since the Unix epoch), and on one
session ``conversation.items [{role: agent|user, text, timestamp}]`` and ``functionMetrics``.
Extensions: ``agentId``, ``endReason`` (our finer reason), ``billedMinutes``, ``dimension`` (the
billing dimension), ``toolCalls`` (the audit of every tool call) and, on conversation items,
``turnId``, ``interrupted`` and ``citations``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.billing.metering import Dimension, cost, dimension_for, read_as_utc
from shared.sessions.records import (
    SessionModality,
    SessionRecord,
    SessionStatus,
    TranscriptEntry,
    close_reason_for,
)

# Transcript roles as the published conversation names them; other roles (tool, system) are not
# part of the conversation.
_CONVERSATION_ROLES: Mapping[str, Literal["agent", "user"]] = {"user": "user", "assistant": "agent"}


class ConversationItem(BaseModel):
    role: Literal["agent", "user"] = Field(description="Who said it: `agent` or `user`.")
    text: str = Field(description="What was said.")
    timestamp: int = Field(description="When, in seconds since the Unix epoch.")
    turnId: str = Field(description="Extension: the turn this line belongs to.")
    interrupted: bool = Field(description="Extension: the agent's reply was cut short by the user.")
    citations: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Extension: the knowledge passages an agent's answer cites, as its `completed` "
        "message listed them (`index`, `documentId`, `title`, `chunk`, and `text` cut to 400 characters); "
        "empty otherwise.",
    )


class Conversation(BaseModel):
    items: list[ConversationItem] = Field(description="Every message, in chronological order.")


class FunctionMetricError(BaseModel):
    code: str = Field(description="Why the tool's connection failed, e.g. `connection_failed`.")
    message: str = Field(description="What happened.")


class FunctionMetric(BaseModel):
    name: str = Field(description="The tool's name.")
    state: Literal["connecting", "connected", "failed", "canceled"] = Field(
        description="Where the tool's session-long connection is."
    )
    startedAt: str | None = Field(None, description="When connecting started (ISO 8601).")
    connectedAt: str | None = Field(None, description="When it connected.")
    failedAt: str | None = Field(None, description="When it failed (with `error`).")
    canceledAt: str | None = Field(None, description="When the session ended before it connected.")
    error: FunctionMetricError | None = Field(None, description="Why it failed.")


class SessionSummary(BaseModel):
    """A session as the list shows it."""

    id: str = Field(description="The session (and connection) id.")
    companionId: str | None = Field(description="The companion (persona).")
    functions: list[str] = Field(description="The function (tool) ids the session had.")
    knowledgeBaseId: str | None = Field(description="The knowledge collection the session had.")
    faqIds: list[str] = Field(description="The FAQ collection ids the session had.")
    externalClientId: str | None = Field(description="Your id of the end user.")
    tags: dict[str, str] = Field(description="The labels given at connection time.")
    sessionType: str = Field(description="The transport: `webrtc`, `websocket`, `voip`, `sip` or `kiosk`.")
    modality: SessionModality = Field(description="`audio` (the agent speaks) or `text`.")
    status: SessionStatus = Field(
        description="`pending` (created) -> `started` (the client connected) -> `closed`; `failed` "
        "when it ended with an error or its client never connected."
    )
    closeReason: str | None = Field(
        description="Why it ended: `idle_timeout`, `client_closed`, `max_duration`, `billing`, `error`, "
        "`connection_lost` (a webrtc client that did not reconnect within the grace), `transferred` (a "
        "phone call handed to a person) or `not_answered` (an outbound call nobody picked up)."
    )
    cost: float | None = Field(
        description="USD for the agent's active time at the key's provider rate; null until it ends."
    )
    createdAt: int = Field(description="When it was created, in seconds since the Unix epoch.")
    startedAt: int | None = Field(description="When its client connected (epoch seconds).")
    closedAt: int | None = Field(description="When it ended (epoch seconds).")
    agentId: str | None = Field(description="Extension: the agent (null for a per-session connection).")
    endReason: str | None = Field(
        description="Extension: our reason: `client`, `inactivity`, `max_duration`, `billing`, `error` or "
        "`connection_lost`."
    )
    billedMinutes: int = Field(description="Extension: active minutes billed (every started minute).")
    dimension: Dimension | None = Field(
        description="Extension: the billing dimension of its minutes, by its key's provider "
        "(`byo_llm_minutes` or `hosted_llm_minutes`; null for a provider without one)."
    )


class SessionDetail(SessionSummary):
    """One session, with its conversation and the audit of its tool calls."""

    conversation: Conversation = Field(description="The conversation between the user and the agent.")
    functionMetrics: list[FunctionMetric] = Field(
        description="The session-long connection of each WebSocket tool. This version opens one "
        "WebSocket exchange per call (each call is in `toolCalls`), so the list is empty."
    )
    toolCalls: list[dict[str, Any]] = Field(
        description="Extension: each tool call: name, arguments, result or error, duration."
    )


def epoch_seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def session_cost(record: SessionRecord) -> float | None:
    """What the session cost in USD: its active time at its key's provider rate (as metered), once
    it ended; None while it is live (or for a provider without a billing dimension)."""
    dimension = _dimension(record)
    if record.is_live or dimension is None:
        return None
    return float(cost(dimension, round(record.active_seconds * 1_000_000)))


def summary_of(record: SessionRecord) -> SessionSummary:
    return SessionSummary(**_summary_fields(record))


def detail_of(record: SessionRecord, transcript: Iterable[TranscriptEntry]) -> SessionDetail:
    items: list[ConversationItem] = []
    tool_calls: list[dict[str, Any]] = []
    for entry in transcript:
        tool_calls.extend(entry.tool_outcomes)
        role = _CONVERSATION_ROLES.get(entry.role)
        if role is None or (not entry.text and entry.tool_calls):
            continue  # not a message (a tool result, a system line, a round that only called tools)
        items.append(
            ConversationItem(
                role=role,
                text=entry.text,
                timestamp=int(entry.at.timestamp()),
                turnId=entry.turn_id,
                interrupted=entry.interrupted,
                citations=entry.citations,
            )
        )
    return SessionDetail(
        **_summary_fields(record),
        conversation=Conversation(items=items),
        functionMetrics=[],
        toolCalls=tool_calls,
    )


def _summary_fields(record: SessionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "companionId": record.companion_id,
        "functions": record.function_ids,
        "knowledgeBaseId": record.knowledge_base_id,
        "faqIds": record.faq_collection_ids,
        "externalClientId": record.external_client_id,
        "tags": record.tags,
        "sessionType": record.channel_type,
        "modality": record.modality,
        "status": record.status,
        "closeReason": record.close_reason or close_reason_for(record.end_reason),
        "cost": session_cost(record),
        "createdAt": epoch_seconds(record.started_at),
        "startedAt": epoch_seconds(record.connected_at),
        "closedAt": epoch_seconds(record.ended_at),
        "agentId": record.agent_id,
        "endReason": record.end_reason,
        "billedMinutes": record.billed_minutes,
        "dimension": _dimension(record),
    }


def _dimension(record: SessionRecord) -> Dimension | None:
    try:
        return dimension_for(record.provider_type)
    except ValueError:
        return None


# --- the list's filters ---------------------------------------------------------------------------


def parse_tags(text: str | None) -> dict[str, str | None]:
    """The ``tags`` filter: a JSON object (``{"env":"prod"}``) or comma-separated ``key:value`` pairs
    (``env:prod,channel:web``); a key alone (``vip``) matches any value. Raises ``ValueError``."""
    if text is None or not text.strip():
        return {}
    text = text.strip()
    if text.startswith("{"):
        parsed = json.loads(text)
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
        ):
            raise ValueError("a JSON object of strings is expected")
        return dict(parsed)
    wanted: dict[str, str | None] = {}
    for pair in text.split(","):
        key, separator, value = pair.partition(":")
        if not key.strip():
            raise ValueError(f"{pair!r} names no tag")
        wanted[key.strip()] = value.strip() if separator else None
    return wanted


def created_within(record: SessionRecord, start: datetime | None, end: datetime | None) -> bool:
    """The session was created in ``[start, end)`` (either bound optional; no offset reads as UTC)."""
    created = read_as_utc(record.started_at)
    return (start is None or created >= read_as_utc(start)) and (end is None or created < read_as_utc(end))


def has_tags(record: SessionRecord, wanted: Mapping[str, str | None]) -> bool:
    """Every wanted tag is on the session (with that value, unless the value is None)."""
    return all(
        key in record.tags and (value is None or record.tags[key] == value) for key, value in wanted.items()
    )


def searchable_text(summary: SessionSummary) -> str:
    """What the list's ``search`` looks in: ids, tags, status and reasons (not the transcripts,
    which a list does not read)."""
    words = [
        summary.id,
        summary.agentId,
        summary.companionId,
        summary.externalClientId,
        summary.sessionType,
        summary.modality,
        summary.status,
        summary.closeReason,
        *(f"{key}:{value}" for key, value in summary.tags.items()),
    ]
    return " ".join(word for word in words if word)
