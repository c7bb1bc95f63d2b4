"""The tools a model round offers, and how each call it asks for is routed (see ``run_model_turn``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from shared.agents.models import AgentFields
from shared.functions.models import FunctionRecord
from shared.knowledge.grounding import SEARCH_TOOL, SEARCH_TOOL_NAME, TOOL_PASSAGES, retrieve, tool_result
from shared.models import ToolCallRequest, ToolMessage, ToolSpec
from shared.platform import Platform
from shared.sessions.lifecycle import SessionPlan
from shared.tools.records import ToolCall, succeeded


def tool_specs(agent: AgentFields, functions: dict[str, FunctionRecord]) -> list[ToolSpec]:
    specs = [ToolSpec(f.name, f.description, f.parameters) for f in functions.values()]
    if agent.knowledge_base_id and SEARCH_TOOL_NAME not in functions:  # a function of that name wins
        specs.append(SEARCH_TOOL)
    return specs


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
    ``search_knowledge``, run here: it only reads) with its ``outcome``, or ``invalid`` (unknown tool,
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
    if function is None:
        return {**planned, "flow": "invalid", "error": f"There is no tool named '{call.name}'."}
    if call.arguments_error:
        return {**planned, "flow": "invalid", "error": ToolMessage.invalid_arguments(call).content}
    return {**planned, "flow": function.flow, "function_id": function.id}
