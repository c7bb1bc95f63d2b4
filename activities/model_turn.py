"""``run_model_turn``: one model round of a user turn, streamed to the session's channel.

It writes the turn's transcript lines with row keys fixed by (turn, round, role), so a re-run of
the activity (at-least-once, after a crash) rewrites its own lines instead of adding new ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

from shared import durable_names as names
from shared.agents.models import AgentFields
from shared.companions.store import find_companion
from shared.faqs.models import FAQ_ITEMS, FaqItemRecord
from shared.functions.models import FunctionRecord
from shared.functions.store import functions
from shared.knowledge.grounding import (
    PROMPT_PASSAGES,
    SEARCH_TOOL,
    SEARCH_TOOL_NAME,
    TOOL_PASSAGES,
    passages_from_tool_results,
    retrieve,
    tool_result,
)
from shared.knowledge.index import passages
from shared.memory.folding import prompt_notes
from shared.memory.store import ClientMemory, load_memory
from shared.models import (
    AgentPrompt,
    AssistantMessage,
    CompanionPrompt,
    FaqEntry,
    KnowledgePassage,
    Message,
    ProviderError,
    TextDelta,
    ToolCallRequest,
    ToolMessage,
    ToolSpec,
    TurnFinished,
    UserMessage,
    build_turn_request,
    cited_passages,
    split_sentences,
)
from shared.platform import Platform, get_platform
from shared.sessions import frames
from shared.sessions.configuration import session_agent, session_model, session_speech
from shared.sessions.inbox import INBOX_TABLE, InboxEntry
from shared.sessions.lifecycle import SessionPlan
from shared.sessions.records import TRANSCRIPTS_TABLE, TranscriptEntry, transcript_row
from shared.sessions.speaking import BargeIn, speak
from shared.tools.records import ToolCall, succeeded

log = logging.getLogger("omniagent.sessions")

bp = df.Blueprint()


@bp.function_name(names.RUN_MODEL_TURN)
@bp.activity_trigger(input_name="request")
def run_model_turn(request: dict[str, Any]) -> dict[str, Any]:
    platform = get_platform()
    plan = SessionPlan(**request["plan"])
    turn, round_index, turn_id = int(request["turn"]), int(request["round"]), request["turnId"]
    transcript = platform.repository(TRANSCRIPTS_TABLE, TranscriptEntry)
    now = datetime.now(UTC)
    if request.get("userText"):
        transcript.upsert(
            plan.session_id,
            TranscriptEntry(
                id=transcript_row(turn, round_index, "user"),
                turn_id=turn_id,
                role="user",
                text=request["userText"],
                at=now,
            ),
        )
    if request.get("toolOutcomes"):
        transcript.upsert(
            plan.session_id,
            TranscriptEntry(
                id=transcript_row(turn, round_index, "tool"),
                turn_id=turn_id,
                role="tool",
                tool_outcomes=request["toolOutcomes"],
                at=now,
            ),
        )

    agent = session_agent(platform, plan)
    tools = _tools_of(plan.project_id, agent)
    entries = transcript.list_all(plan.session_id)
    retrieved, searched = _knowledge_of(platform, plan, agent, entries, turn_id)
    citable = [*retrieved, *searched]  # numbered [1]… in this order
    tool_specs = [ToolSpec(f.name, f.description, f.parameters) for f in tools.values()]
    if agent.knowledge_base_id and SEARCH_TOOL_NAME not in tools:  # a function of that name wins
        tool_specs.append(SEARCH_TOOL)
    turn_request = build_turn_request(
        companion=CompanionPrompt.from_record(find_companion(plan.project_id, agent.companion_id)),
        agent=AgentPrompt.from_fields(agent),
        transcript=_conversation(entries),
        faqs=_faqs_of(platform, plan.project_id, agent),
        memory=prompt_notes(_memory_of(plan)),
        knowledge=retrieved,
        tools=tool_specs,
        temperature=agent.provider_settings.temperature if agent.provider_settings else None,
        max_output_tokens=agent.provider_settings.max_output_tokens if agent.provider_settings else None,
    )

    reply = _stream_reply(platform, plan, turn_id, turn_request, request.get("cursor", ""))
    if reply.refused is not None:
        log.warning("model refused session %s turn %s: %s", plan.session_id, turn, reply.refused.code)
        platform.session_connection.send(plan.session_id, [reply.refused.to_frame()])
        return {"toolCalls": [], "error": reply.refused.code}
    calls = [] if reply.interrupted else reply.calls  # an interrupted reply's tool calls are dropped
    transcript.upsert(
        plan.session_id,
        TranscriptEntry(
            id=transcript_row(turn, round_index, "assistant"),
            turn_id=turn_id,
            role="assistant",
            text=reply.text,
            tool_calls=[{"call_id": c.call_id, "name": c.name, "arguments": c.arguments} for c in calls],
            interrupted=reply.interrupted,
            at=datetime.now(UTC),
        ),
    )
    if reply.text or not calls:
        citations = reply.citations or [c.to_wire() for c in cited_passages(reply.text, citable)]
        message = frames.agent_message(turn_id, reply.text, citations)
        if reply.interrupted:
            message["interrupted"] = True
        platform.session_connection.send(plan.session_id, [message])
    numbering = _KnowledgeNumbering(len(citable) + 1)
    return {
        "toolCalls": [_planned_call(platform, plan, agent, call, tools, numbering) for call in calls],
        "interrupted": reply.interrupted,
    }


@dataclass
class _Reply:
    parts: list[str] = field(default_factory=list)
    calls: list[ToolCallRequest] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    refused: ProviderError | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _stream_reply(
    platform: Platform, plan: SessionPlan, turn_id: str, turn_request: Any, cursor: str
) -> _Reply:
    """Stream the model's reply to the session: text deltas as they come, and, when the session speaks,
    each sentence's audio as soon as the sentence is complete. A user frame meanwhile stops it all."""
    reply = _Reply()
    speech = session_speech(platform, plan.project_id, plan.key_id) if plan.speaks else None
    barge_in = BargeIn(platform.repository(INBOX_TABLE, InboxEntry), plan.session_id, cursor)

    def send(session_frames: list[dict[str, Any]]) -> None:
        platform.session_connection.send(plan.session_id, session_frames)

    def text_deltas() -> Iterator[str]:
        for event in session_model(platform, plan.project_id, plan.key_id).stream_turn(turn_request):
            if isinstance(event, TextDelta):
                reply.parts.append(event.text)
                send([frames.message_delta(turn_id, event.text)])
                yield event.text
            elif isinstance(event, ToolCallRequest):
                reply.calls.append(event)
            elif isinstance(event, TurnFinished):
                reply.citations = [c.to_wire() for c in event.citations]
            if barge_in.check():
                reply.interrupted = True
                return

    try:
        if speech is not None and speech.can_synthesize:
            voice = session_agent(platform, plan).voice_id
            voiced = True
            for sentence in split_sentences(text_deltas()):
                if barge_in.check(force=True):
                    reply.interrupted = True
                    break
                if voiced:
                    try:
                        speak(speech, voice, turn_id, sentence, send)
                    except ProviderError as mute:  # the text goes on without audio; the client is told once
                        send([mute.to_frame()])
                        voiced = False
        else:
            for _ in text_deltas():
                pass
    except ProviderError as refused:
        reply.refused = refused
    return reply


@dataclass
class _KnowledgeNumbering:
    """The number the next ``search_knowledge`` passage gets (after the prompt's passages)."""

    next: int


def _planned_call(
    platform: Platform,
    plan: SessionPlan,
    agent: AgentFields,
    call: ToolCallRequest,
    tools: dict[str, FunctionRecord],
    numbering: _KnowledgeNumbering,
) -> dict[str, Any]:
    """The call as the orchestrator routes it: ``flow`` explicit/implicit, ``answered`` (the built-in
    ``search_knowledge``, run here: it only reads) with its ``outcome``, or ``invalid`` (unknown tool,
    or arguments that were not a JSON object) to be answered with an error at once."""
    function = tools.get(call.name)
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


def _knowledge_of(
    platform: Platform, plan: SessionPlan, agent: AgentFields, entries: list[TranscriptEntry], turn_id: str
) -> tuple[list[KnowledgePassage], list[KnowledgePassage]]:
    """The turn's passages: the prompt's (retrieved for the turn's user words), and those
    ``search_knowledge`` gave in earlier rounds of the turn (numbered after them)."""
    if not agent.knowledge_base_id:
        return [], []
    this_turn = [entry for entry in entries if entry.turn_id == turn_id]
    question = " ".join(entry.text or "" for entry in this_turn if entry.role == "user")
    hits = retrieve(
        platform, plan.project_id, agent.knowledge_base_id, plan.key_id, question, PROMPT_PASSAGES
    )
    searched = [
        outcome.get("result")
        for entry in this_turn
        if entry.role == "tool"
        for outcome in entry.tool_outcomes
        if outcome.get("name") == SEARCH_TOOL_NAME and outcome.get("error") is None
    ]
    return list(passages(hits)), passages_from_tool_results(searched)


def _memory_of(plan: SessionPlan) -> ClientMemory | None:
    """What the agent remembers of this end user (never another companion's or project's)."""
    if not (plan.memory_enabled and plan.external_client_id and plan.companion_id):
        return None
    return load_memory(plan.project_id, plan.companion_id, plan.external_client_id)


def _tools_of(project_id: str, agent: AgentFields) -> dict[str, FunctionRecord]:
    chosen = set(agent.functions)
    return {f.name: f for f in functions().list_all(project_id) if f.id in chosen}


def _faqs_of(platform: Platform, project_id: str, agent: AgentFields) -> list[FaqEntry]:
    chosen = set(agent.faq_collections)
    items = platform.repository(FAQ_ITEMS, FaqItemRecord).list_all(project_id)
    return [FaqEntry(item.question, item.answer) for item in items if item.collection_id in chosen]


def _conversation(entries: list[TranscriptEntry]) -> list[Message]:
    """The transcript as model messages, in row order (turn, round, role)."""
    messages: list[Message] = []
    for entry in entries:
        if entry.role == "user":
            messages.append(UserMessage(entry.text))
        elif entry.role == "assistant":
            calls = tuple(ToolCallRequest(c["call_id"], c["name"], c["arguments"]) for c in entry.tool_calls)
            messages.append(AssistantMessage(entry.text or None, calls))
        else:
            for outcome in entry.tool_outcomes:
                failed = outcome.get("error") is not None
                content = {"error": outcome["error"]} if failed else outcome.get("result")
                messages.append(ToolMessage.result(outcome["call_id"], content, is_error=failed))
    return messages
