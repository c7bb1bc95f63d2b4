"""Legacy SIP agents: ``/public/sip-agents`` and ``POST /public/sip-agents/{id}/migrate``.

Published: developers.napster.com/docs/migrations/sip-agents-to-agents (the SIP Agent bundled the
agent's companion, voice and settings with its human handoff; it is now an agent plus its SIP channel
config). A legacy SIP agent is kept as written and answers no calls; ``migrate`` creates the agent and
its SIP channel config (``humanHandoff``) and answers the agent, once.
"""

from __future__ import annotations

import time

import azure.functions as func

from api.agent_phone import check_phone_channel, store_new_sip_channel
from api.agents import check_agent_fields, store_new_agent
from api.endpoint import Reply, RequestContext, endpoint, parse_model
from api.project_table import ProjectTable, oldest_first
from shared.agents.models import Agent, ChannelConfigFields
from shared.agents.rules import merge_patch
from shared.api_errors import conflict
from shared.ids import new_id
from shared.listing import ListQuery, paginate
from shared.phone.legacy import (
    SIP_AGENTS_TABLE,
    SipAgent,
    SipAgentFields,
    SipAgentList,
    SipAgentPatch,
    SipAgentRecord,
)

bp = func.Blueprint()
TAG = "SIP agents (legacy)"
ONE = "public/sip-agents/{sipAgentId}"
PUBLISHED = "Published: developers.napster.com/docs/migrations/sip-agents-to-agents."
SIP_AGENTS = ProjectTable(SIP_AGENTS_TABLE, SipAgentRecord, "sipAgentId", "SipAgent", "SIP agent")


def _check(ctx: RequestContext, fields: SipAgentFields) -> None:
    check_agent_fields(ctx, fields.agent_fields())  # the agent's own rules


@endpoint(
    bp,
    "POST",
    "public/sip-agents",
    summary="Create a SIP agent (legacy)",
    tag=TAG,
    auth="api_key",
    body=SipAgentFields,
    response=SipAgent,
    status=201,
    description="Deprecated: create an agent and its SIP channel config instead, or migrate this one. "
    "The body is an agent's (same rules) plus `humanHandoff`. It answers no calls. " + PUBLISHED,
)
def create_sip_agent(ctx: RequestContext) -> Reply:
    fields = ctx.body(SipAgentFields)
    _check(ctx, fields)
    record = SipAgentRecord.model_validate(
        {**dict(fields), "id": new_id("sipagent"), "created": int(time.time()), "created_ns": time.time_ns()},
        by_name=True,
    )
    stored = SIP_AGENTS.repository().create(ctx.api_key.project_id, record)
    return Reply(record.to_wire(), status=201, etag=stored.etag)


@endpoint(
    bp,
    "GET",
    "public/sip-agents",
    summary="List SIP agents (legacy)",
    tag=TAG,
    auth="api_key",
    query=ListQuery,
    response=SipAgentList,
    description="The project's legacy SIP agents, oldest first; `search` matches names. " + PUBLISHED,
)
def list_sip_agents(ctx: RequestContext) -> Reply:
    query = ctx.query(ListQuery)
    records = oldest_first(SIP_AGENTS.list_all(ctx))
    page = paginate([r.to_wire() for r in records], query, lambda agent: agent.name or "")
    return Reply(SipAgentList(**page))


@endpoint(
    bp,
    "GET",
    ONE,
    summary="Get a SIP agent (legacy)",
    tag=TAG,
    auth="api_key",
    response=SipAgent,
    errors=(404,),
)
def get_sip_agent(ctx: RequestContext) -> Reply:
    stored = SIP_AGENTS.load(ctx)
    return Reply(stored.entity.to_wire(), etag=stored.etag)


@endpoint(
    bp,
    "PATCH",
    ONE,
    summary="Update a SIP agent (legacy)",
    tag=TAG,
    auth="api_key",
    body=SipAgentPatch,
    response=SipAgent,
    errors=(404, 412),
    description="Only the fields sent change, as PATCH of an agent. " + PUBLISHED,
)
def update_sip_agent(ctx: RequestContext) -> Reply:
    sent = ctx.body(SipAgentPatch).model_dump(mode="json", by_alias=True, exclude_unset=True)

    def change(current: SipAgentRecord) -> SipAgentRecord:
        wire = SipAgentFields.model_validate(
            current.model_dump(include=set(SipAgentFields.model_fields)), by_name=True
        ).model_dump(mode="json", by_alias=True)
        fields = parse_model(SipAgentFields, merge_patch(wire, sent))
        _check(ctx, fields)
        kept = current.model_dump(include={"id", "created", "created_ns", "migrated_agent_id"})
        return SipAgentRecord.model_validate({**dict(fields), **kept}, by_name=True)

    written = SIP_AGENTS.update(ctx, change, ctx.if_match)
    return Reply(written.entity.to_wire(), etag=written.etag)


@endpoint(
    bp,
    "DELETE",
    ONE,
    summary="Delete a SIP agent (legacy)",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 412),
    description="Removes the legacy SIP agent; an agent migrated from it stays.",
)
def delete_sip_agent(ctx: RequestContext) -> Reply:
    SIP_AGENTS.delete(ctx)
    return Reply(None, status=204)


@endpoint(
    bp,
    "POST",
    ONE + "/migrate",
    summary="Migrate a SIP agent to an agent",
    tag=TAG,
    auth="api_key",
    response=Agent,
    status=201,
    errors=(400, 404, 409),
    description="Creates the agent (the SIP agent's agent fields) and its SIP channel config "
    "(`humanHandoff`), and answers the agent. Once: a migrated SIP agent is 409 `SipAgentAlreadyMigrated` "
    "(its `migratedAgentId` names the agent); 409 `AgentLimitExceeded` as for creating an agent. "
    + PUBLISHED,
)
def migrate_sip_agent(ctx: RequestContext) -> Reply:
    stored = SIP_AGENTS.load(ctx)
    legacy = stored.entity
    if legacy.migrated_agent_id is not None:
        raise _already_migrated(legacy)
    fields = legacy.agent_fields()
    channel = ChannelConfigFields.model_validate({"human_handoff": legacy.human_handoff}, by_name=True)
    check_phone_channel(ctx, fields, "sip", channel, agent_id="")  # before anything is written

    def mark(current: SipAgentRecord) -> SipAgentRecord:
        if current.migrated_agent_id is not None:
            raise _already_migrated(current)
        return current.model_copy(update={"migrated_agent_id": agent_id})

    # The mark is claimed first, so two migrations at once make one agent.
    agent_id = new_id("agent")
    SIP_AGENTS.update(ctx, mark, None)
    try:
        agent = store_new_agent(ctx, fields, agent_id=agent_id)
        store_new_sip_channel(ctx, agent.entity.id, channel)
    except BaseException:
        SIP_AGENTS.update(ctx, lambda current: current.model_copy(update={"migrated_agent_id": None}), None)
        raise
    return Reply(agent.entity.to_wire(), status=201, etag=agent.etag)


def _already_migrated(legacy: SipAgentRecord) -> Exception:
    return conflict(
        "SipAgentAlreadyMigrated",
        f"SIP agent '{legacy.id}' was already migrated to agent '{legacy.migrated_agent_id}'.",
    )
