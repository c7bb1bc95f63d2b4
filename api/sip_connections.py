"""SIP connections: ``/public/sip-connections`` (a SIP trunk's credentials, linked to an agent).

Published: developers.napster.com/docs/deploying-your-omniagent/channels/sip and the deploy-phone skill
(shapes in ``shared.phone.legacy``). Kept as written, the password sealed and never answered. This
platform takes calls through ACS rather than registering with the trunk, so ``status`` answers
``Failed`` / ``registering`` with the reason, ``errors`` lists it, and ``call`` checks the request as
an agent's outbound connection does (``shared.phone.outbound``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import azure.durable_functions as df

from api.agent_phone import check_outbound_connection, place_outbound_call
from api.endpoint import Reply, RequestContext, endpoint
from api.project_table import ProjectTable, oldest_first
from shared.api_errors import FieldError, validation_failed
from shared.billing.enforcement import refuse_unpaid_connection
from shared.catalog.references import exists
from shared.catalog.tables import AGENTS
from shared.ids import new_id
from shared.listing import ListQuery, paginate
from shared.phone.dialing import OutboundRequest
from shared.phone.legacy import (
    NOT_REGISTERED,
    SIP_CONNECTIONS_TABLE,
    OutboundCallRequest,
    SipConnection,
    SipConnectionBody,
    SipConnectionError,
    SipConnectionList,
    SipConnectionPatch,
    SipConnectionRecord,
    SipConnectionStatus,
    SipSettings,
    SipSettingsAnswered,
)
from shared.platform import get_platform

bp = df.Blueprint()
TAG = "SIP connections"
ONE = "public/sip-connections/{sipConnectionId}"
PUBLISHED = "Published: developers.napster.com/docs/deploying-your-omniagent/channels/sip."
SIP_CONNECTIONS = ProjectTable(
    SIP_CONNECTIONS_TABLE, SipConnectionRecord, "sipConnectionId", "SipConnection", "SIP connection"
)


def _check_agent(ctx: RequestContext, agent_id: str) -> None:
    if not exists(get_platform().tables, AGENTS, ctx.api_key.project_id, agent_id):
        message = f"no agent '{agent_id}' exists in this project"
        raise validation_failed(f"agentId: {message}", [FieldError("agentId", message)])


def _sealed(connection_id: str, settings: SipSettings) -> tuple[dict[str, object], str]:
    answered = SipSettingsAnswered.model_validate(settings.model_dump(exclude={"password"}), by_name=True)
    box = get_platform().secret_box
    return answered.model_dump(), box.seal(settings.password, connection_id)


@endpoint(
    bp,
    "POST",
    "public/sip-connections",
    summary="Create a SIP connection",
    tag=TAG,
    auth="api_key",
    body=SipConnectionBody,
    response=SipConnection,
    status=201,
    description="Stores the trunk's credentials for the agent (`settings.password` is write-only). This "
    "platform does not register with trunks (see `POST …/{id}/status`): bind ACS numbers or direct-routing "
    "addresses in the agent's SIP channel config instead. " + PUBLISHED,
)
def create_sip_connection(ctx: RequestContext) -> Reply:
    body = ctx.body(SipConnectionBody)
    _check_agent(ctx, body.agent_id)
    connection_id = new_id("sipconn")
    settings, sealed = _sealed(connection_id, body.settings)
    record = SipConnectionRecord(
        id=connection_id,
        agent_id=body.agent_id,
        name=body.name,
        settings=settings,
        sealed_password=sealed,
        created=int(time.time()),
        created_ns=time.time_ns(),
    )
    stored = SIP_CONNECTIONS.repository().create(ctx.api_key.project_id, record)
    return Reply(record.to_wire(), status=201, etag=stored.etag)


@endpoint(
    bp,
    "GET",
    "public/sip-connections",
    summary="List SIP connections",
    tag=TAG,
    auth="api_key",
    query=ListQuery,
    response=SipConnectionList,
    description="The project's SIP connections, oldest first; `search` matches names.",
)
def list_sip_connections(ctx: RequestContext) -> Reply:
    query = ctx.query(ListQuery)
    records = oldest_first(SIP_CONNECTIONS.list_all(ctx))
    page = paginate([r.to_wire() for r in records], query, lambda connection: connection.name)
    return Reply(SipConnectionList(**page))


@endpoint(
    bp,
    "GET",
    ONE,
    summary="Get a SIP connection",
    tag=TAG,
    auth="api_key",
    response=SipConnection,
    errors=(404,),
)
def get_sip_connection(ctx: RequestContext) -> Reply:
    stored = SIP_CONNECTIONS.load(ctx)
    return Reply(stored.entity.to_wire(), etag=stored.etag)


@endpoint(
    bp,
    "PATCH",
    ONE,
    summary="Update a SIP connection",
    tag=TAG,
    auth="api_key",
    body=SipConnectionPatch,
    response=SipConnection,
    errors=(404, 412),
    description="The fields sent replace the stored ones (`settings` whole, with its password). " + PUBLISHED,
)
def update_sip_connection(ctx: RequestContext) -> Reply:
    body = ctx.body(SipConnectionPatch)
    if body.agent_id is not None:
        _check_agent(ctx, body.agent_id)

    def change(current: SipConnectionRecord) -> SipConnectionRecord:
        update: dict[str, object] = {}
        if body.agent_id is not None:
            update["agent_id"] = body.agent_id
        if body.name is not None:
            update["name"] = body.name
        if body.settings is not None:
            update["settings"], update["sealed_password"] = _sealed(current.id, body.settings)
        return current.model_copy(update=update)

    written = SIP_CONNECTIONS.update(ctx, change, ctx.if_match)
    return Reply(written.entity.to_wire(), etag=written.etag)


@endpoint(
    bp,
    "DELETE",
    ONE,
    summary="Delete a SIP connection",
    tag=TAG,
    auth="api_key",
    status=204,
    errors=(404, 412),
    description="Removes the connection (its agent stays).",
)
def delete_sip_connection(ctx: RequestContext) -> Reply:
    SIP_CONNECTIONS.delete(ctx)
    return Reply(None, status=204)


@endpoint(
    bp,
    "POST",
    ONE + "/status",
    summary="A SIP connection's status",
    tag=TAG,
    auth="api_key",
    response=SipConnectionStatus,
    errors=(404,),
    description="Published: `lifecycleStatus` (`Pending|Running|Failed|Error|Unknown`) and `sipStatus` "
    "(`registering|online|calling`). Here always `Failed` / `registering`: " + NOT_REGISTERED,
)
def sip_connection_status(ctx: RequestContext) -> Reply:
    SIP_CONNECTIONS.load(ctx)
    status = SipConnectionStatus(lifecycleStatus="Failed", sipStatus="registering", message=NOT_REGISTERED)
    return Reply(status)


@endpoint(
    bp,
    "GET",
    ONE + "/errors",
    summary="A SIP connection's errors",
    tag=TAG,
    auth="api_key",
    response=SipConnectionError,
    response_is_list=True,
    errors=(404,),
    description="Published: `[{timestamp, message, code}]`. Here the one reason the connection does not "
    "register (code 501).",
)
def sip_connection_errors(ctx: RequestContext) -> Reply:
    created_at = datetime.fromtimestamp(SIP_CONNECTIONS.load(ctx).entity.created, UTC)
    created = created_at.isoformat().replace("+00:00", "Z")
    return Reply([SipConnectionError(timestamp=created, message=NOT_REGISTERED, code=501).model_dump()])


@endpoint(
    bp,
    "POST",
    ONE + "/call",
    summary="Call a number from a SIP connection",
    tag=TAG,
    auth="api_key",
    body=OutboundCallRequest,
    errors=(402, 404, 409, 502, 503),
    durable_client=True,
    description="Published: `{destination, initialSpeech?}` answers `{\"status\": \"dialing\"}`. The "
    "call is placed as `POST /public/agents/{id}/connections` with `channelType: sip` places it (the "
    "connection's agent must have a bound phone number; a session of the agent; 503 "
    "`PhoneChannelUnavailable` without ACS).",
)
def call_from_sip_connection(ctx: RequestContext) -> Reply:
    refuse_unpaid_connection(get_platform(), ctx.api_key.organization_id)
    body = ctx.body(OutboundCallRequest)
    connection = SIP_CONNECTIONS.load(ctx).entity
    call = check_outbound_connection(ctx, connection.agent_id, "sip", body.destination)
    assert call is not None
    place_outbound_call(ctx, connection.agent_id, call, OutboundRequest(initial_speech=body.initial_speech))
    return Reply({"status": "dialing"})
