"""The phone side of an agent's channel configs: the checks of a ``sip`` / ``voip`` config and the
routing table kept in step with the SIP config's ``phoneNumbers`` (``shared.phone.routing``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from api.endpoint import RequestContext
from shared.agents.models import (
    AgentFields,
    AgentRecord,
    ChannelConfigFields,
    ChannelConfigRecord,
    channel_row,
)
from shared.agents.rules import for_channel
from shared.api_errors import FieldError, validation_failed
from shared.catalog.references import load
from shared.catalog.tables import AGENTS, CHANNEL_CONFIGS
from shared.functions.store import functions as stored_functions
from shared.ids import new_id
from shared.phone.channel_rules import (
    PHONE_CHANNELS,
    address_in_use,
    implicit_function_errors,
    telephony_not_allowed,
)
from shared.phone.dialing import OutboundRequest, PlacedCall, place_call
from shared.phone.numbers import normalise_address
from shared.phone.outbound import OutboundCall, check_outbound_call, outbound_unavailable
from shared.phone.routing import AddressTaken, RouteOwner, phone_routes
from shared.platform import get_platform
from shared.sessions.opening import SessionKey
from shared.storage import ConcurrencyConflict, NotFound, Stored, TableRepository


def _channels() -> TableRepository[ChannelConfigRecord]:
    return get_platform().repository(CHANNEL_CONFIGS, ChannelConfigRecord)


def route_owner(ctx: RequestContext, agent_id: str) -> RouteOwner:
    return RouteOwner(ctx.api_key.organization_id, ctx.api_key.project_id, agent_id)


def _flow_of(ctx: RequestContext) -> Callable[[str], str | None]:
    def flow_of(function_id: str) -> str | None:
        try:
            return stored_functions().get(ctx.api_key.project_id, function_id).entity.flow
        except (NotFound, ValueError):  # ValueError: an id that can never be a table key
            return None

    return flow_of


def check_phone_channel(
    ctx: RequestContext, agent: AgentFields, channel_type: str, fields: ChannelConfigFields, agent_id: str
) -> list[str] | None:
    """400 when the phone sessions would offer implicit functions, 409 when a number is another
    agent's; answers the normalised ``phoneNumbers`` (checked by the channel rules already)."""
    if channel_type not in PHONE_CHANNELS:
        return fields.phone_numbers
    own = fields.functions is not None
    offered = (fields.functions if own else agent.functions) or []
    errors = implicit_function_errors(offered, _flow_of(ctx), from_agent=not own)
    if errors:
        raise telephony_not_allowed(errors)
    if fields.phone_numbers is None:
        return None
    numbers = [normalise_address(number) for number in fields.phone_numbers]
    try:
        phone_routes(get_platform()).check_free(route_owner(ctx, agent_id), numbers)
    except AddressTaken as taken:
        raise address_in_use(taken.address) from None
    return numbers


def check_agent_on_phone(ctx: RequestContext, agent_id: str, fields: AgentFields) -> None:
    """PATCH of an agent: 400 ``TelephonyChannelNotAllowed`` when its new functions would put an
    implicit one on a phone channel that takes the agent's list (one without its own ``functions``)."""
    for channel_type in sorted(PHONE_CHANNELS):
        try:
            config = _channels().get(ctx.api_key.project_id, channel_row(agent_id, channel_type)).entity
        except NotFound:
            continue
        if config.functions is None:
            errors = implicit_function_errors(fields.functions or [], _flow_of(ctx), from_agent=True)
            if errors:
                raise telephony_not_allowed(errors, channel_type)


def store_new_sip_channel(
    ctx: RequestContext, agent_id: str, fields: ChannelConfigFields
) -> Stored[ChannelConfigRecord]:
    """A new SIP channel config without numbers (checked by the caller with ``check_phone_channel``)."""
    record = ChannelConfigRecord.model_validate(
        {
            **dict(fields),
            "api_key_id": fields.api_key_id or ctx.api_key.key_id,
            "id": channel_row(agent_id, "sip"),
            "config_id": new_id("chanconfig"),
            "agent_id": agent_id,
            "channel_type": "sip",
            "created": int(time.time()),
        },
        by_name=True,
    )
    return _channels().create(ctx.api_key.project_id, record)


def route_numbers(
    owner: RouteOwner, previous: Stored[ChannelConfigRecord] | None, written: Stored[ChannelConfigRecord]
) -> Stored[ChannelConfigRecord]:
    """Keep the routing table in step with the SIP config just written: claim its numbers (on losing
    a race for one, the config goes back to what it was and the answer is 409), free the dropped ones."""
    wanted = written.entity.phone_numbers or []
    try:
        phone_routes(get_platform()).claim(owner, wanted)
    except AddressTaken as taken:
        with contextlib.suppress(ConcurrencyConflict, NotFound):
            if previous is None:
                _channels().delete(owner.project_id, written.entity.id, written.etag)
            else:
                _channels().update(owner.project_id, previous.entity, written.etag)
        raise address_in_use(taken.address) from None
    dropped = set(previous.entity.phone_numbers or []) - set(wanted) if previous else set()
    release_numbers(owner, sorted(dropped))
    return written


def release_numbers(owner: RouteOwner, numbers: list[str]) -> None:
    if numbers:
        phone_routes(get_platform()).release(owner, numbers)


def check_outbound_connection(
    ctx: RequestContext, agent_id: str, channel_type: str, destination: str | None
) -> OutboundCall | None:
    """``POST /public/agents/{id}/connections``: a ``destination`` is for ``sip`` only (400 elsewhere:
    None, not a call); on ``sip`` the call is checked (the agent exists, the destination is a number,
    the agent has a bound number to call from) and answered (503 without ACS)."""
    if channel_type != "sip":
        if destination is not None:
            message = "only for channelType sip (the number an outbound call dials)"
            raise validation_failed(f"destination: {message}", [FieldError("destination", message)])
        return None
    platform, project_id = get_platform(), ctx.api_key.project_id
    load(platform.repository(AGENTS, AgentRecord), project_id, agent_id, "Agent")
    try:
        sip = _channels().get(project_id, channel_row(agent_id, "sip")).entity
    except NotFound:
        sip = None
    call = check_outbound_call(destination, sip)
    if not platform.settings.acs.enabled:
        raise outbound_unavailable()
    return call


def place_outbound_call(
    ctx: RequestContext, agent_id: str, call: OutboundCall, request: OutboundRequest
) -> PlacedCall:
    """Dial ``call`` as a session of the agent (its SIP config applied): ``shared.phone.dialing``."""
    platform, key = get_platform(), ctx.api_key
    agent = load(platform.repository(AGENTS, AgentRecord), key.project_id, agent_id, "Agent").entity
    channel = _channels().get(key.project_id, channel_row(agent_id, "sip")).entity
    assert ctx.durable is not None
    session_key = SessionKey(key.organization_id, key.project_id, key.key_id, key.provider_type)
    return place_call(
        platform,
        platform.phone_transport.client,
        session_key,
        for_channel(agent, channel),
        agent_id,
        channel,
        call,
        request,
        ctx.durable.start_new,
        ctx.durable.raise_event,
    )
