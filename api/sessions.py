"""Sessions over REST: read them (with transcript and tool calls) and talk to a live one without a
WebSocket (``messages``, ``tool-results``, ``end``), through the same inbox as the WebSocket channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df
from pydantic import BaseModel, Field

from api.endpoint import Reply, RequestContext, endpoint
from shared.api_errors import not_found
from shared.listing import ListEnvelope, ListQuery, paginate
from shared.platform import get_platform
from shared.sessions.frames import EndSession, ToolResult, UserMessage
from shared.sessions.gateway import SessionGateway, session_gateway
from shared.sessions.records import SESSIONS_TABLE, TRANSCRIPTS_TABLE, SessionRecord, TranscriptEntry
from shared.storage import NotFound

bp = df.Blueprint()

TAG = "Sessions"
ONE = "public/sessions/{sessionId}"


class MessageBody(BaseModel):
    text: str = Field(min_length=1, max_length=8000, description="What the user says.")


class ToolResultBody(BaseModel):
    callId: str = Field(min_length=1, description="The `callId` of the `tool.call` answered.")
    result: Any = Field(None, description="The tool's result (any JSON).")
    isError: bool = Field(False, description="The result is an error message.")


class TranscriptLine(BaseModel):
    role: str = Field(description="`user`, `assistant` or `tool`.")
    text: str = Field(description="What was said.")
    turnId: str = Field(description="The turn this line belongs to.")
    interrupted: bool = Field(description="The reply was cut short.")
    at: datetime = Field(description="When.")


class Session(BaseModel):
    id: str = Field(description="The session (and connection) id.")
    agentId: str | None = Field(description="The agent (null for a per-session connection).")
    channelType: str = Field(description="The channel.")
    externalClientId: str | None = Field(description="Your id of the end user.")
    status: str = Field(description="`active` or `ended`.")
    startedAt: datetime = Field(description="When it started.")
    endedAt: datetime | None = Field(description="When it ended.")
    endReason: str | None = Field(description="`client`, `inactivity`, `error`, `billing` or `max_duration`.")
    closeReason: str | None = Field(description="The same as `endReason` (the published name).")
    billedMinutes: int = Field(description="Active minutes billed (every started minute).")
    transcript: list[TranscriptLine] = Field(description="The conversation, in order.")
    toolCalls: list[dict[str, Any]] = Field(
        description="Each tool call: name, arguments, result or error, duration."
    )


class SessionList(ListEnvelope[Session]):
    """Sessions of the project, newest first."""


class SessionQuery(ListQuery):
    agentId: str | None = Field(None, description="Only this agent's sessions.")
    externalClientId: str | None = Field(None, description="Only this end user's sessions.")


def _gateway(ctx: RequestContext) -> SessionGateway:
    assert ctx.durable is not None
    durable = ctx.durable
    return session_gateway(lambda instance, event: durable.raise_event(instance, event))


def _session(record: SessionRecord, with_transcript: bool) -> Session:
    lines: list[TranscriptLine] = []
    tool_calls: list[dict[str, Any]] = []
    if with_transcript:
        for entry in get_platform().repository(TRANSCRIPTS_TABLE, TranscriptEntry).list_all(record.id):
            if entry.role != "tool":
                lines.append(
                    TranscriptLine(
                        role=entry.role,
                        text=entry.text,
                        turnId=entry.turn_id,
                        interrupted=entry.interrupted,
                        at=entry.at,
                    )
                )
            tool_calls.extend(entry.tool_outcomes)
    return Session(
        id=record.id,
        agentId=record.agent_id,
        channelType=record.channel_type,
        externalClientId=record.external_client_id,
        status=record.status,
        startedAt=record.started_at,
        endedAt=record.ended_at,
        endReason=record.end_reason,
        closeReason=record.end_reason,
        billedMinutes=record.billed_minutes,
        transcript=lines,
        toolCalls=tool_calls,
    )


@endpoint(
    bp,
    "GET",
    "public/sessions",
    summary="List sessions",
    tag=TAG,
    auth="api_key",
    query=SessionQuery,
    response=SessionList,
    description="Newest first; filter by `agentId` and `externalClientId`. "
    "Items leave out the transcript: read one session for it.",
)
def list_sessions(ctx: RequestContext) -> Reply:
    query = ctx.query(SessionQuery)
    records = get_platform().repository(SESSIONS_TABLE, SessionRecord).list_all(ctx.api_key.project_id)
    chosen = [
        r
        for r in sorted(records, key=lambda r: r.started_at, reverse=True)
        if (query.agentId is None or r.agent_id == query.agentId)
        and (query.externalClientId is None or r.external_client_id == query.externalClientId)
    ]
    page = paginate([_session(r, False) for r in chosen], query, lambda s: f"{s.id} {s.agentId or ''}")
    return Reply(SessionList(**page))


@endpoint(
    bp,
    "GET",
    ONE,
    summary="Read a session",
    tag=TAG,
    auth="api_key",
    response=Session,
    errors=(404,),
    description="With its transcript and the audit of its tool calls.",
)
def get_session(ctx: RequestContext) -> Reply:
    session_id = ctx.route("sessionId")
    try:
        record = (
            get_platform().repository(SESSIONS_TABLE, SessionRecord).get(ctx.api_key.project_id, session_id)
        )
    except (NotFound, ValueError):
        raise not_found("Session", session_id) from None
    return Reply(_session(record.entity, True))


@endpoint(
    bp,
    "POST",
    ONE + "/messages",
    summary="Send a user message",
    tag=TAG,
    auth="api_key",
    body=MessageBody,
    status=202,
    errors=(404, 409),
    durable_client=True,
    description="Extension: the same as a `user.message` frame; the answer comes on the session's channel.",
)
def post_message(ctx: RequestContext) -> Reply:
    body = ctx.body(MessageBody)
    _gateway(ctx).deliver(ctx.route("sessionId"), UserMessage(body.text), ctx.api_key.project_id)
    return Reply(None, status=202)


@endpoint(
    bp,
    "POST",
    ONE + "/tool-results",
    summary="Answer an implicit tool call",
    tag=TAG,
    auth="api_key",
    body=ToolResultBody,
    status=202,
    errors=(404, 409),
    durable_client=True,
    description="Extension: the same as a `tool.result` frame.",
)
def post_tool_result(ctx: RequestContext) -> Reply:
    body = ctx.body(ToolResultBody)
    frame = ToolResult(body.callId, body.result, body.isError)
    _gateway(ctx).deliver(ctx.route("sessionId"), frame, ctx.api_key.project_id)
    return Reply(None, status=202)


@endpoint(
    bp,
    "POST",
    ONE + "/end",
    summary="End a session",
    tag=TAG,
    auth="api_key",
    status=202,
    errors=(404, 409),
    durable_client=True,
    description="Extension: the same as a `session.end` frame; the session ends with reason `client`.",
)
def end_session_request(ctx: RequestContext) -> Reply:
    _gateway(ctx).deliver(ctx.route("sessionId"), EndSession(), ctx.api_key.project_id)
    return Reply(None, status=202)
