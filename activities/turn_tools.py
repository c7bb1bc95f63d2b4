"""The tools a model round offers, and how each call it asks for is routed (see ``run_model_turn``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.agents.models import AgentFields
from shared.functions.models import FunctionRecord
from shared.knowledge.grounding import SEARCH_TOOL, SEARCH_TOOL_NAME, TOOL_PASSAGES, retrieve, tool_result
from shared.models import ToolCallRequest, ToolMessage, ToolSpec
from shared.phone.handoff import TRANSFER_TOOL_NAME, handoff_target, transfer_tool
from shared.platform import Platform
from shared.sessions import protocol
from shared.sessions.gateway import SessionGateway
from shared.sessions.inbox import InboxEntry, read_after
from shared.sessions.lifecycle import SessionPlan
from shared.storage import TableRepository
from shared.tools.records import ToolCall, outcome_from_answer, parsed_output, succeeded, timed_out


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


def tool_outcomes(
    request: dict[str, Any],
    plan: SessionPlan,
    inbox: TableRepository[InboxEntry],
    gateway: SessionGateway,
    send: Callable[[list[dict[str, Any]]], None],
) -> list[dict[str, Any]]:
    """This round's tool results in call order: explicit and built-in ones from the orchestrator,
    implicit ones from the client (``send_function_output`` in the inbox), or timed out."""
    known = {o["call_id"]: o for o in request.get("toolOutcomes") or []}
    waiting = [ToolCall.from_dict(c) for c in request.get("implicitCalls") or []]
    if waiting:
        since = request.get("turnCursor", "")
        answers = {e.call_id: e for e in read_after(inbox, plan.session_id, since) if e.kind == "tool_result"}
        elapsed_ms = float(request.get("waitedMs", 0))
        timeout = plan.tool_timeout_seconds
        missed = [call for call in waiting if call.call_id not in answers]
        for call in waiting:
            answer = answers.get(call.call_id)
            if answer is None:
                known[call.call_id] = timed_out(call, timeout, timeout * 1000, 1).to_dict()
            else:
                output = parsed_output(answer.result)
                known[call.call_id] = outcome_from_answer(call, {"result": output}, elapsed_ms).to_dict()
        if missed:  # a late output is refused from now on
            gateway.await_calls(plan.session_id, drop=[call.call_id for call in missed])
            send([protocol.function_timeout(call.call_id, call.name) for call in missed])
    return [known[c] for c in request["callOrder"] if c in known]
