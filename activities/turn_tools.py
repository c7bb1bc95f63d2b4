"""The tools a model round offers, and how each call it asks for is routed (see ``run_model_turn``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from shared.agents.models import AgentFields
from shared.functions.models import FunctionRecord
from shared.knowledge.grounding import SEARCH_TOOL, SEARCH_TOOL_NAME, TOOL_PASSAGES, retrieve, tool_result
from shared.models import ToolCallRequest, ToolMessage, ToolSpec
from shared.phone.handoff import TRANSFER_TOOL_NAME, handoff_target, transfer_tool
from shared.platform import Platform
from shared.sessions.lifecycle import SessionPlan
from shared.tools.records import ToolCall, succeeded


def tool_specs(
    agent: AgentFields, functions: dict[str, FunctionRecord], plan: SessionPlan | None = None
) -> list[ToolSpec]:
    specs = [ToolSpec(f.name, f.description, f.parameters) for f in functions.values()]
    if agent.knowledge_base_id and SEARCH_TOOL_NAME not in functions:  # a function of that name wins
        specs.append(SEARCH_TOOL)
    if plan is not None and _transfer_target(plan, functions):
        specs.append(transfer_tool(plan.human_handoff or {}))
    return specs


def _transfer_target(plan: SessionPlan, functions: dict[str, FunctionRecord]) -> str | None:
    """A phone session's human handoff extension (a function of the tool's name wins)."""
    if TRANSFER_TOOL_NAME in functions:
        return None
    return handoff_target(plan.human_handoff, plan.channel_type)


@dataclass
class KnowledgeNumbering:
    """The number the next ``search_knowledge`` passage gets (after the prompt's passages)."""

    next: int


def planned_call(
    platform: Platform,
    plan: SessionPlan,
    agent: AgentFields,
    call: ToolCallRequest,
    functions: dict[str, FunctionRecord],
    numbering: KnowledgeNumbering,
) -> dict[str, Any]:
    """The call as the orchestrator routes it: ``flow`` explicit/implicit, ``answered`` (the built-in
    ``search_knowledge``, run here: it only reads) with its ``outcome``, ``transfer`` (the built-in
    human handoff of a phone call, with its ``extension``), or ``invalid`` (unknown tool,
    or arguments that were not a JSON object) to be answered with an error at once."""
    function = functions.get(call.name)
    tool_call = ToolCall(call.call_id, plan.session_id, plan.agent_id or "", call.name, call.arguments)
    planned = tool_call.to_dict()
    if function is None and call.name == SEARCH_TOOL_NAME and agent.knowledge_base_id:
        if call.arguments_error or not isinstance(call.arguments.get("query"), str):
            return {**planned, "flow": "invalid", "error": "search_knowledge needs a `query` string."}
        started = time.monotonic()
        hits = retrieve(
            platform,
            plan.project_id,
            agent.knowledge_base_id,
            plan.key_id,
            call.arguments["query"],
            TOOL_PASSAGES,
        )
        result = tool_result(hits, numbering.next)
        numbering.next += len(hits)
        outcome = succeeded(tool_call, result, (time.monotonic() - started) * 1000, 1)
        return {**planned, "flow": "answered", "outcome": outcome.to_dict()}
    extension = _transfer_target(plan, functions) if call.name == TRANSFER_TOOL_NAME else None
    if extension is not None:  # the built-in human handoff: the transfer_call activity does it
        return {**planned, "flow": "transfer", "extension": extension}
    if function is None:
        return {**planned, "flow": "invalid", "error": f"There is no tool named '{call.name}'."}
    if call.arguments_error:
        return {**planned, "flow": "invalid", "error": ToolMessage.invalid_arguments(call).content}
    return {**planned, "flow": function.flow, "function_id": function.id}
