"""Sessions over REST: read them as published (``shared/sessions/views.py``: status, close reason,
cost, conversation, with the tool-call audit) and talk to a live one without a WebSocket
(``messages``, ``tool-results``, ``end``), through the same inbox as the WebSocket channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df
from pydantic import BaseModel, ConfigDict, Field

from api.endpoint import Reply, RequestContext, endpoint
from shared.api_errors import invalid_field, not_found
from shared.listing import ListEnvelope, ListQuery, paginate
from shared.platform import get_platform
from shared.sessions.gateway import SessionGateway, session_gateway
from shared.sessions.protocol import EndSession, SendFunctionOutput, SendMessage
from shared.sessions.records import (
    SESSIONS_TABLE,
    TRANSCRIPTS_TABLE,
    SessionRecord,
    SessionStatus,
    TranscriptEntry,
)
from shared.sessions.views import (
    SessionDetail,
    SessionSummary,
    created_within,
    detail_of,
    has_tags,
    parse_tags,
    searchable_text,
    summary_of,
)
from shared.storage import NotFound

bp = df.Blueprint()

TAG = "Sessions"
ONE = "public/sessions/{sessionId}"


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=8000, description="What the user says.")


class ToolResultBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    callId: str = Field(
        min_length=1, description="The `call_id` of the `function_implicitly_called` event answered."
    )
    result: Any = Field(None, description="The tool's result (any JSON).")
    isError: bool = Field(False, description="The result is an error message.")


class SessionList(ListEnvelope[SessionSummary]):
    """Sessions of the project, newest first."""


class SessionQuery(ListQuery):
    companionId: str | None = Field(None, description="Only sessions of this companion (persona).")
    externalClientId: str | None = Field(None, description="Only this end user's sessions.")
    tags: str | None = Field(
        None,
        max_length=2000,
        description="Only sessions with these tags: `key:value` pairs separated by commas "
        '(`env:prod,channel:web`; a key alone matches any value) or a JSON object (`{"env":"prod"}`).',
    )
    agentId: str | None = Field(None, description="Extension: only this agent's sessions.")
    status: SessionStatus | None = Field(None, description="Extension: only sessions in this status.")
    sessionType: str | None = Field(
        None,
        max_length=20,
        description="Extension: only sessions of this transport (`websocket`, `webrtc`...).",
    )
    createdFrom: datetime | None = Field(
        None,
        alias="from",
        description="Extension: only sessions created at or after this moment (ISO 8601, UTC when no "
        "offset, or epoch seconds).",
    )
    createdTo: datetime | None = Field(
        None,
        alias="to",
        description="Extension: only sessions created before this moment (exclusive; as `from`).",
    )


def _gateway(ctx: RequestContext) -> SessionGateway:
    assert ctx.durable is not None
    durable = ctx.durable
    return session_gateway(durable.raise_event)


@endpoint(
    bp,
    "GET",
    "public/sessions",
    summary="List sessions",
    tag=TAG,
    auth="api_key",
    query=SessionQuery,
    response=SessionList,
    description="Newest first; filter by `companionId`, `externalClientId`, `tags` and `search` (ids, "
    "tags, status and close reason; not the transcripts), and (extensions) `agentId`, `status`, "
    "`sessionType` and the creation window `from`/`to`. `totalCount` counts the project's sessions, "
    "`filteredCount` those that match. Items leave out the conversation: read one session for it.",
)
def list_sessions(ctx: RequestContext) -> Reply:
    query = ctx.query(SessionQuery)
    try:
        tags = parse_tags(query.tags)
    except ValueError as bad:
        raise invalid_field("tags", str(bad)) from None
    records = get_platform().repository(SESSIONS_TABLE, SessionRecord).list_all(ctx.api_key.project_id)
    chosen = [
        summary_of(r)
        for r in sorted(records, key=lambda r: r.started_at, reverse=True)
        if (query.companionId is None or r.companion_id == query.companionId)
        and (query.externalClientId is None or r.external_client_id == query.externalClientId)
        and (query.agentId is None or r.agent_id == query.agentId)
        and (query.status is None or r.status == query.status)
        and (query.sessionType is None or r.channel_type == query.sessionType)
        and created_within(r, query.createdFrom, query.createdTo)
        and has_tags(r, tags)
    ]
    page = paginate(chosen, query, searchable_text)
    page["totalCount"] = len(records)
    return Reply(SessionList(**page))


@endpoint(
    bp,
    "GET",
    ONE,
    summary="Read a session",
    tag=TAG,
    auth="api_key",
    response=SessionDetail,
    errors=(404,),
    description="With its conversation (`conversation.items`: `agent` and `user` messages in order) and "
    "the audit of its tool calls (`toolCalls`).",
)
def get_session(ctx: RequestContext) -> Reply:
    session_id = ctx.route("sessionId")
    try:
        record = (
            get_platform().repository(SESSIONS_TABLE, SessionRecord).get(ctx.api_key.project_id, session_id)
        )
    except (NotFound, ValueError):
        raise not_found("Session", session_id) from None
    transcript = get_platform().repository(TRANSCRIPTS_TABLE, TranscriptEntry).list_all(session_id)
    return Reply(detail_of(record.entity, transcript))


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
    description="Extension: the same as a `send_message` command (role `user`); the answer comes on the "
    "session's channel.",
)
def post_message(ctx: RequestContext) -> Reply:
    body = ctx.body(MessageBody)
    command = SendMessage(role="user", text=body.text)
    _gateway(ctx).deliver(ctx.route("sessionId"), command, ctx.api_key.project_id)
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
    description="Extension: the same as a `send_function_output` command.",
)
def post_tool_result(ctx: RequestContext) -> Reply:
    body = ctx.body(ToolResultBody)
    output = {"error": body.result} if body.isError else body.result
    frame = SendFunctionOutput(call_id=body.callId, output=output)
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
    description="Extension: the same as an `end_session` command; the session ends with reason `client`.",
)
def end_session_request(ctx: RequestContext) -> Reply:
    _gateway(ctx).deliver(ctx.route("sessionId"), EndSession(), ctx.api_key.project_id)
    return Reply(None, status=202)
