"""The human handoff's rules: which phone sessions offer the transfer tool, how it is described, and
the target ACS is given."""

from __future__ import annotations

from typing import Any, cast

from activities.turn_tools import KnowledgeNumbering, planned_call, tool_specs
from shared.agents.models import AgentFields, ChannelConfigRecord
from shared.functions.models import FunctionRecord
from shared.models import ToolCallRequest
from shared.phone.handoff import TRANSFER_TOOL_NAME, handoff_target, transfer_participant, transfer_tool
from shared.phone.inbound import handoff_of
from shared.platform import Platform
from shared.sessions.lifecycle import SessionPlan

HANDOFF = {
    "enabled": True,
    "transferExtension": "+1 444 555 9200",
    "transferDescription": "billing questions",
}


def _plan(channel_type: str, handoff: dict | None) -> SessionPlan:
    return SessionPlan(
        session_id="sess_1",
        project_id="proj_1",
        organization_id="org_1",
        agent_id="agent_1",
        key_id="key_1",
        channel_type=channel_type,
        inactivity_timeout_seconds=60,
        inactivity_countdown_seconds=10,
        human_handoff=handoff,
    )


def _agent() -> AgentFields:
    return AgentFields.model_validate(
        {"companionId": "comp_1", "voiceId": "alloy", "providerSettings": {}}, by_name=True
    )


def test_only_a_sip_session_with_an_enabled_handoff_and_an_extension_offers_the_transfer():
    assert handoff_target(HANDOFF, "sip") == "+1 444 555 9200"
    assert handoff_target(HANDOFF, "websocket") is None
    assert handoff_target({**HANDOFF, "enabled": False}, "sip") is None
    assert handoff_target({"enabled": True}, "sip") is None
    assert handoff_target(None, "sip") is None
    names = [spec.name for spec in tool_specs(_agent(), {}, _plan("sip", HANDOFF))]
    assert names == [TRANSFER_TOOL_NAME]
    assert tool_specs(_agent(), {}, _plan("websocket", HANDOFF)) == []


def test_the_tool_says_when_to_transfer_and_the_target_is_a_phone_number_identifier():
    assert "Use it when: billing questions" in transfer_tool(HANDOFF).description
    assert transfer_participant("+1 444 555 9200").raw_id == "4:+14445559200"
    assert transfer_participant("200").raw_id == "4:200"  # an extension the SBC routes


def test_the_plan_carries_the_sip_configs_handoff_with_its_wire_names():
    channel = ChannelConfigRecord.model_validate(
        {
            "id": "agent_1.sip",
            "configId": "chanconfig_1",
            "agentId": "agent_1",
            "channelType": "sip",
            "created": 0,
            "humanHandoff": {"enabled": True, "transferExtension": "200"},
        },
        by_name=True,
    )
    assert handoff_of(channel) == {"enabled": True, "transferExtension": "200"}
    assert handoff_of(None) is None


def _planned(plan: SessionPlan, functions: dict[str, Any] | None = None) -> dict[str, Any]:
    call = ToolCallRequest("call_1", TRANSFER_TOOL_NAME, {"reason": "asked for a person"})
    records = cast(dict[str, FunctionRecord], functions or {})
    return planned_call(cast(Platform, None), plan, _agent(), call, records, KnowledgeNumbering(1))


def test_a_call_of_the_transfer_tool_is_routed_to_the_transfer_activity_with_its_extension():
    planned = _planned(_plan("sip", HANDOFF))
    assert (planned["flow"], planned["extension"], planned["session_id"]) == (
        "transfer",
        "+1 444 555 9200",
        "sess_1",
    )
    assert _planned(_plan("sip", None))["flow"] == "invalid"  # no handoff: no such tool
