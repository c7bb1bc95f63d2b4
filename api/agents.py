"""Agents (Omniagents): ``/public/agents`` and their per-channel configs.

Published: developers.napster.com/docs/api-reference/agents/post, …/agents/agentid-patch,
…/agents/agentid-channels-channeltype-get, building-your-omniagent/managing and configuration; the
create-agent, manage-agents and add-mcp-servers skills (docs/omniagent-public-api.md section 6).

Every id an agent or channel config names must exist in the caller's project (400 naming each field
path). PATCH changes only the fields sent. Writes carry the ETag they read: with ``If-Match`` a stale
ETag answers 412; without it a concurrent change makes the request start over, so no update is lost.
"""

from __future__ import annotations

import time

import azure.functions as func

from api.agent_phone import (
    check_agent_on_phone,
    check_phone_channel,
    release_numbers,
    route_numbers,
    route_owner,
)
from api.endpoint import Reply, RequestContext, endpoint, parse_model
from shared.agents.limits import AGENT_LIMIT, agent_limit_exceeded, agents_in_organization
from shared.agents.models import (
    CHANNEL_TYPES,
    Agent,
    AgentFields,
    AgentList,
    AgentPatch,
    AgentRecord,
    ChannelConfig,
    ChannelConfigFields,
    ChannelConfigRecord,
    channel_row,
)
from shared.agents.rules import (
    MissingReferences,
    check_agent,
    check_channel_config,
    invalid,
    merge_patch,
)
from shared.api_errors import FieldError, invalid_field, not_found, precondition_failed
from shared.auth.api_keys import API_KEYS_TABLE
from shared.catalog.references import exists, load, missing_references
from shared.catalog.tables import AGENTS, CHANNEL_CONFIGS
from shared.concurrency import (
    UPDATE_ATTEMPTS,
    busy,
    delete_condition,
    matching_etag,
    stale,
    update_with_retry,
)
from shared.ids import new_id
from shared.listing import ListQuery, paginate
from shared.platform import get_platform
from shared.storage import AlreadyExists, ConcurrencyConflict, NotFound, Stored, TableRepository
from shared.voices import is_known_voice

bp = func.Blueprint()
TAG = "Agents"
ONE = "public/agents/{agentId}"
CHANNEL = "public/agents/{agentId}/channels/{channelType}"


def _agents() -> TableRepository[AgentRecord]:
    return get_platform().repository(AGENTS, AgentRecord)


def _channels() -> TableRepository[ChannelConfigRecord]:
    return get_platform().repository(CHANNEL_CONFIGS, ChannelConfigRecord)


def _load_agent(ctx: RequestContext) -> Stored[AgentRecord]:
    return load(_agents(), ctx.api_key.project_id, ctx.route("agentId"), "Agent")


def _missing(ctx: RequestContext) -> MissingReferences:
    tables, project_id = get_platform().tables, ctx.api_key.project_id
    return lambda references: missing_references(tables, project_id, references)


def check_agent_fields(ctx: RequestContext, fields: AgentFields) -> None:
    check_agent(fields, ctx.api_key.provider_type, is_known_voice, _missing(ctx))


@endpoint(
    bp,
    "POST",
    "public/agents",
    summary="Create an agent",
    tag=TAG,
    auth="api_key",
    body=AgentFields,
    response=Agent,
    status=201,
    errors=(409,),
    description="`companionId`, `voiceId` and `providerSettings` are required (`{}` takes the defaults). "
    f"409 `AgentLimitExceeded` when the organization already has {AGENT_LIMIT} agents. "
    "Published: developers.napster.com/docs/api-reference/agents/post.",
)
def create_agent(ctx: RequestContext) -> Reply:
    stored = store_new_agent(ctx, ctx.body(AgentFields))
    return Reply(stored.entity.to_wire(), status=201, etag=stored.etag)


def store_new_agent(
    ctx: RequestContext, fields: AgentFields, agent_id: str | None = None
) -> Stored[AgentRecord]:
    """Check ``fields`` and the organization's agent cap, then store the new agent."""
    check_agent_fields(ctx, fields)
    principal = ctx.api_key
    if agents_in_organization(get_platform().tables, principal.organization_id) >= AGENT_LIMIT:
        raise agent_limit_exceeded()
    record = AgentRecord.model_validate(
        {
            **dict(fields),
            "id": agent_id or new_id("agent"),
            "organization_id": principal.organization_id,
            "created": int(time.time()),
            "created_ns": time.time_ns(),
        },
        by_name=True,
    )
    return _agents().create(principal.project_id, record)


@endpoint(
    bp,
    "GET",
    "public/agents",
    summary="List agents",
    tag=TAG,
    auth="api_key",
    query=ListQuery,
    response=AgentList,
    description="The project's agents, oldest first; `search` matches names.",
)
def list_agents(ctx: RequestContext) -> Reply:
    query = ctx.query(ListQuery)
    records = sorted(
        _agents().list_all(ctx.api_key.project_id), key=lambda r: (r.created, r.created_ns, r.id)
    )
    page = paginate([r.to_wire() for r in records], query, lambda agent: agent.name or "")
    return Reply(AgentList(**page))


@endpoint(bp, "GET", ONE, summary="Get an agent", tag=TAG, auth="api_key", response=Agent, errors=(404,))
def get_agent(ctx: RequestContext) -> Reply:
    stored = _load_agent(ctx)
    return Reply(stored.entity.to_wire(), etag=stored.etag)


@endpoint(
    bp,
    "PATCH",
    ONE,
    summary="Update an agent",
    tag=TAG,
    auth="api_key",
    body=AgentPatch,
    response=Agent,
    errors=(404, 412),
    description="Only the fields sent change. `functions`, `faqCollections`, `knowledgeBaseId`, `tags` and "
    "`mcp` are replaced whole; other objects (`providerSettings`, `inactivity`, …) are merged field by "
    "field; `null` resets a field. "
    "Published: developers.napster.com/docs/api-reference/agents/agentid-patch.",
)
def update_agent(ctx: RequestContext) -> Reply:
    sent = ctx.body(AgentPatch).model_dump(mode="json", by_alias=True, exclude_unset=True)

    def change(current: AgentRecord) -> AgentRecord:
        wire = current.fields().model_dump(mode="json", by_alias=True)
        fields = parse_model(AgentFields, merge_patch(wire, sent))
        check_agent_fields(ctx, fields)
        if "functions" in sent:
            check_agent_on_phone(ctx, current.id, fields)
        kept = current.model_dump(include={"id", "organization_id", "created", "created_ns"})
        return AgentRecord.model_validate({**dict(fields), **kept}, by_name=True)

    written = update_with_retry(
        _agents(), ctx.api_key.project_id, ctx.if_match, lambda: _load_agent(ctx), change, "agent"
    )
    return Reply(written.entity.to_wire(), etag=written.etag)


@endpoint(
    bp,
    "DELETE",
    ONE,
    summary="Delete an agent",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 412),
    description="Removes the agent on every channel (its channel configs too) and frees room under the cap.",
)
def delete_agent(ctx: RequestContext) -> Reply:
    stored = _load_agent(ctx)
    project_id, agent_id = ctx.api_key.project_id, stored.entity.id
    _agents().delete(project_id, agent_id, delete_condition(ctx.if_match, stored.etag))
    # After the agent: a config left behind by a failure here is unreachable (its agent is gone).
    for config in _channels().list_all(project_id, "agent_id eq @agent", {"agent": agent_id}):
        _channels().delete(project_id, config.id)
        release_numbers(route_owner(ctx, agent_id), config.phone_numbers or [])
    return Reply(None, status=204)


def _channel_type(ctx: RequestContext) -> str:
    channel_type = ctx.route("channelType")
    if channel_type not in CHANNEL_TYPES:
        raise invalid_field("channelType", f"must be one of {', '.join(CHANNEL_TYPES)}")
    return channel_type


def _channel_fields(ctx: RequestContext) -> ChannelConfigFields:
    if not ctx.request.get_body().strip():  # the body is optional (an empty config is fine)
        return ChannelConfigFields.model_validate({})
    return ctx.body(ChannelConfigFields)


def _find_channel(project_id: str, agent_id: str, channel_type: str) -> Stored[ChannelConfigRecord] | None:
    try:
        return _channels().get(project_id, channel_row(agent_id, channel_type))
    except NotFound:
        return None


def _load_channel(ctx: RequestContext) -> Stored[ChannelConfigRecord]:
    agent = _load_agent(ctx)
    channel_type = _channel_type(ctx)
    stored = _find_channel(ctx.api_key.project_id, agent.entity.id, channel_type)
    if stored is None:
        raise not_found("ChannelConfig", channel_row(agent.entity.id, channel_type))
    return stored


@endpoint(
    bp,
    "PUT",
    CHANNEL,
    summary="Configure an agent's channel",
    tag=TAG,
    auth="api_key",
    body=ChannelConfigFields,
    response=ChannelConfig,
    errors=(404, 409, 412),
    description="Creates or replaces the channel's overrides (`voip|sip|webrtc|websocket|kiosk`); the body "
    "may be empty. Channel-only fields are refused on other channels. `sip`: `phoneNumbers` binds ACS "
    "numbers and SIP addresses to the agent (409 `PhoneNumberInUse` when another agent has one); on "
    "`sip` and `voip` an implicit function is 400 `TelephonyChannelNotAllowed`. Published: "
    "developers.napster.com/docs/api-reference/agents/agentid-channels-channeltype-get.",
)
def put_agent_channel(ctx: RequestContext) -> Reply:
    fields = _channel_fields(ctx)
    agent = _load_agent(ctx)
    channel_type = _channel_type(ctx)
    project_id = ctx.api_key.project_id
    check_channel_config(channel_type, fields, _missing(ctx))
    api_key_id = fields.api_key_id or ctx.api_key.key_id
    if not exists(get_platform().tables, API_KEYS_TABLE, project_id, api_key_id):
        raise invalid([FieldError("apiKeyId", f"no API key '{api_key_id}' exists in this project")])
    phone_numbers = check_phone_channel(ctx, agent.entity, channel_type, fields, agent.entity.id)
    row = channel_row(agent.entity.id, channel_type)
    for _ in range(UPDATE_ATTEMPTS):
        existing = _find_channel(project_id, agent.entity.id, channel_type)
        if existing is None and ctx.if_match not in (None, "*"):
            raise precondition_failed("The channel is not configured: there is no ETag to match.")
        record = ChannelConfigRecord.model_validate(
            {
                **dict(fields),
                "api_key_id": api_key_id,
                "phone_numbers": phone_numbers,
                "id": row,
                "config_id": existing.entity.config_id if existing else new_id("chanconfig"),
                "agent_id": agent.entity.id,
                "channel_type": channel_type,
                "created": existing.entity.created if existing else int(time.time()),
            },
            by_name=True,
        )
        try:
            if existing is None:
                written = _channels().create(project_id, record)
            else:
                written = _channels().update(project_id, record, matching_etag(ctx.if_match, existing.etag))
        except (AlreadyExists, ConcurrencyConflict, NotFound):
            if ctx.if_match is not None:
                raise stale("channel config") from None
            continue
        if channel_type == "sip":
            written = route_numbers(route_owner(ctx, agent.entity.id), existing, written)
        return Reply(record.to_wire(), etag=written.etag)
    raise busy("channel config")


@endpoint(
    bp,
    "GET",
    CHANNEL,
    summary="Get an agent's channel config",
    tag=TAG,
    auth="api_key",
    response=ChannelConfig,
    errors=(400, 404),
    description="404 when the channel was never configured.",
)
def get_agent_channel(ctx: RequestContext) -> Reply:
    stored = _load_channel(ctx)
    return Reply(stored.entity.to_wire(), etag=stored.etag)


@endpoint(
    bp,
    "DELETE",
    CHANNEL,
    summary="Remove an agent's channel config",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(400, 404, 412),
    description="Removes the overrides; the agent stays and the channel uses the agent's own settings.",
)
def delete_agent_channel(ctx: RequestContext) -> Reply:
    stored = _load_channel(ctx)
    _channels().delete(ctx.api_key.project_id, stored.entity.id, delete_condition(ctx.if_match, stored.etag))
    release_numbers(route_owner(ctx, stored.entity.agent_id), stored.entity.phone_numbers or [])
    return Reply(None, status=204)
