"""``run_model_turn``: one model round of a session, streamed to its channel as published events.

Round 0 takes the session's inbox after its cursor itself (no separate read episode): what precedes
the first entry that asks for an answer is applied (the client's connection is greeted, settings and
silent messages are absorbed), then that entry is the turn (a typed message, or an utterance it
transcribes). Rounds 1… answer tool results: explicit ones from the orchestrator, implicit ones read
from the inbox (a call with none there timed out).

Per turn it reads the session's context blob once and writes it once (configuration snapshot, the
prompt's window of recent turns); the transcript lines have row keys fixed by (turn, round, role), so a
re-run of the activity (at-least-once, after a crash) rewrites its own lines instead of adding new ones.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

from activities.turn_tools import KnowledgeNumbering, planned_call, tool_outcomes, tool_specs
from shared import durable_names as names
from shared.agents.models import AgentFields
from shared.audio.errors import AudioError
from shared.audio.utterance import UtteranceBuffer
from shared.knowledge.grounding import PROMPT_PASSAGES, passages_from_tool_results, retrieve
from shared.knowledge.index import passages
from shared.models import (
    AgentPrompt,
    EmbeddedOfflineModel,
    KnowledgePassage,
    ModelProvider,
    ProviderError,
    TextDelta,
    ToolCallRequest,
    TurnFinished,
    build_turn_request,
    cited_passages,
)
from shared.models.window import append as window_append
from shared.models.window import extractive_summary, to_model_messages, wire_messages
from shared.platform import Platform, get_platform
from shared.sessions import protocol
from shared.sessions.configuration import model_for_key, open_secret, speech_for_key
from shared.sessions.connection import OrderedSends
from shared.sessions.context import SessionContext, load_context, model_messages, save_context
from shared.sessions.gateway import SessionGateway, session_gateway
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, read_after, split_at_turn
from shared.sessions.lifecycle import SessionPlan
from shared.sessions.records import TRANSCRIPTS_TABLE, TranscriptEntry, stored_citations, transcript_row
from shared.sessions.speaking import BargeIn, ReplyIds, ReplyStream, now_stamp
from shared.tools.tool_sockets import open_tool_sockets, stream_conversation
from shared.transports import transport_for
from shared.turn_trace import mark

log = logging.getLogger("omniagent.sessions")

bp = df.Blueprint()

WINDOW_TOKENS = 3000  # the prompt's recent turns; older ones are folded into its summary
_storage = ThreadPoolExecutor(max_workers=16, thread_name_prefix="model-turn-storage")  # overlapped calls


class _Turn:
    """One activity run: the session, its context, and the wire."""

    def __init__(self, platform: Platform, plan: SessionPlan, request: dict[str, Any]) -> None:
        self.platform, self.plan, self.request = platform, plan, request
        self.turn, self.round, self.turn_id = int(request["turn"]), int(request["round"]), request["turnId"]
        self.transcript = platform.repository(TRANSCRIPTS_TABLE, TranscriptEntry)
        self.inbox = platform.repository(INBOX_TABLE, InboxEntry)
        # Round 0's inbox read and the context's (when this worker does not hold its version) are
        # independent: the inbox is read meanwhile.
        self.inbox_read: Future[list[InboxEntry]] | None = (
            _storage.submit(read_after, self.inbox, plan.session_id, request.get("cursor", ""))
            if self.round == 0
            else None
        )
        self.context: SessionContext = load_context(
            platform, plan, request.get("contextVersion") or "", f"{self.turn_id}.{self.round}"
        )
        self.config = self.context.config
        self.secret = open_secret(platform, self.config.sealed_provider_secret, self.config.key_record_id)
        self.lines: list[TranscriptEntry] = []  # written by save()
        self.outbox = OrderedSends(self._deliver)  # drained before the round answers

    def gateway(self) -> SessionGateway:
        return session_gateway(lambda *_: None)  # activities raise no events: the orchestrator waits

    def send(self, events: list[dict[str, Any]]) -> None:
        """Queued, in order (``OrderedSends``): the round goes on while they travel."""
        self.outbox(events)

    def _deliver(self, events: list[dict[str, Any]]) -> None:
        transport_for(self.platform, self.plan.channel_type).send(self.plan.session_id, events)
        mark("frames_sent", self.plan.session_id)
        if self.config.conversation_listeners:
            stream_conversation(self.platform.settings, self.plan.session_id, events)

    def model(self) -> ModelProvider:
        return model_for_key(self.platform, self.config.key_provider, self.secret)

    def speech(self) -> Any:
        return (
            speech_for_key(self.platform, self.config.key_provider, self.secret) if self.plan.speaks else None
        )

    def remember(self, role: str, suffix: str = "", **fields: Any) -> None:
        """A transcript line (complete, in storage) and the same message in the prompt's window."""
        # Lines taken before the turn's own (silent messages, the greeting) sort first: ``0-<key>``.
        row = (
            f"{self.turn:06d}.{self.round:02d}.0-{suffix.lstrip('.')}.{role}"
            if suffix
            else transcript_row(self.turn, self.round, role)
        )
        at = datetime.now(UTC)
        entry = TranscriptEntry(id=row, turn_id=self.turn_id, role=role, at=at, **fields)  # type: ignore[arg-type]
        self.lines.append(entry)
        window = window_append(
            self.context.conversation(),
            wire_messages(model_messages(entry)),
            max_tokens=WINDOW_TOKENS,
            summarize=extractive_summary,
        )
        self.context.window = window.to_json()

    def save(self) -> str:
        """The round's transcript lines (one transaction) and the context, side by side, after the
        reply; answers the context's version. A re-run rewrites its own lines and starts from the
        context its first run started from (``SessionContext.starting``)."""
        lines = _storage.submit(self.transcript.upsert_all, self.plan.session_id, self.lines)
        version = save_context(self.platform, self.plan, self.context)
        lines.result()
        return version

    def next_item(self, item_id: str) -> str | None:
        previous, self.context.last_item_id = self.context.last_item_id, item_id
        return previous


@bp.function_name(names.RUN_MODEL_TURN)
@bp.activity_trigger(input_name="request")
def run_model_turn(request: dict[str, Any]) -> dict[str, Any]:
    turn = _Turn(get_platform(), SessionPlan.from_json(request["plan"]), request)
    try:
        result = _round(turn, request)
    except BaseException:
        with contextlib.suppress(Exception):  # the round's own failure is the one to report
            turn.outbox.drain()
        raise
    turn.outbox.drain()  # every frame is out before the session goes on
    return result


def _round(turn: _Turn, request: dict[str, Any]) -> dict[str, Any]:
    if turn.round == 0:
        mark("round_started", turn.plan.session_id)
        taken = _take_inbox(turn)
        mark("question_taken", turn.plan.session_id)
        turn.request["turnCursor"] = taken["cursor"]  # what arrives after it interrupts the reply
        if taken.get("question") is None:
            return {**taken, "toolCalls": [], "contextVersion": turn.save()}
    else:
        taken = {"question": request.get("question") or ""}
        turn.remember(
            "tool",
            tool_outcomes=tool_outcomes(turn.request, turn.plan, turn.inbox, turn.gateway(), turn.send),
        )
    return {**taken, **_answer(turn, taken["question"])}


def _take_inbox(turn: _Turn) -> dict[str, Any]:
    """Apply what precedes the turn's entry; answer ``question`` (None: nothing to answer)."""
    assert turn.inbox_read is not None
    read = split_at_turn(turn.inbox_read.result(), turn.request.get("cursor", ""))
    ending, opening, reconnected = read.end_reason, None, False
    for entry in read.before:
        if entry.kind == "connected" and not turn.context.greeted:
            failed_sockets, opening = _open(turn)
            ending = failed_sockets or ending
        elif entry.kind == "connected":
            reconnected = True
        elif entry.kind == "settings" and entry.settings:
            turn.context.instructions = entry.settings.get("instructions", turn.context.instructions)
            turn.context.temperature = entry.settings.get("temperature", turn.context.temperature)
        elif entry.kind == "message":  # trigger_response false: absorbed silently
            _hear_message(turn, entry, f".{entry.id}")
    taken: dict[str, Any] = {
        "cursor": read.cursor,
        "more": read.more,
        "active": read.user_active,
        "ending": ending,
        "question": None,
    }
    if read.connection_changed or turn.request.get("checkConnection"):
        taken["connection"] = _connection(turn, reconnected)
    if read.turn is None:
        return {**taken, "question": opening}  # the opening instruction, when the user has not spoken
    text = _hear_message(turn, read.turn) if read.turn.kind == "message" else _transcribe(turn, read.turn)
    return {**taken, "question": text or None}


def _connection(turn: _Turn, reconnected: bool) -> dict[str, Any]:
    """Whether the session has a client, as its channel state says (the inbox entries only woke it:
    their order across connections is not guaranteed). A client that connected again is told the
    session is ready: no marker and no greeting again (it has them), nothing else to wait for."""
    state = turn.gateway().channel_state(turn.plan.session_id)
    lost_at = state.disconnected_at if state is not None and not state.connections else None
    if reconnected and state is not None and state.connections:
        turn.send([protocol.avatar_state("ready")])
    return {"lostAt": lost_at.isoformat() if lost_at else None}


def _open(turn: _Turn) -> tuple[str | None, str | None]:
    """The session's opening on its first connection: the published readiness, its WebSocket tool
    servers' sockets, then the greeting. Answers why the session must end (a socket that failed with
    ``abortOnFailure``) and the ``initialSpeech`` instruction to answer as the first turn (a system
    line in the conversation), each None when there is none."""
    turn.context.greeted = True
    turn.send(
        [
            protocol.avatar_state("preparing"),
            protocol.session_marker(turn.plan.session_id, now_stamp()),
            protocol.avatar_state("ready"),
        ]
    )
    turn.outbox.drain()  # the client is ready before a tool server's first push can reach it
    if ending := open_tool_sockets(turn.platform, turn.plan, turn.config):
        return ending, None
    greeting = turn.plan.greeting
    if greeting:
        ids = ReplyIds(f"resp_{turn.turn_id}_greeting", f"item_{turn.turn_id}_greeting", None)
        turn.next_item(ids.item_id)
        stream = ReplyStream(turn.send, ids, None, turn.speech(), turn.config.agent_fields().voice_id)
        stream.say([greeting])
        stream.finish()
        turn.remember("assistant", ".greeting", text=greeting)
    instruction = turn.plan.initial_speech
    if not instruction or isinstance(turn.model(), EmbeddedOfflineModel):  # it answers from FAQs only
        return None, None
    opening = f"The session has just started and the user is present. Open the conversation: {instruction}"
    turn.remember("system", ".opening", text=opening)
    return None, opening


def _hear_message(turn: _Turn, entry: InboxEntry, suffix: str = "") -> str:
    """A ``send_message``: a user one is echoed as the user's ``completed`` item; a system one is
    context only (never shown as said)."""
    text = entry.text or ""
    if entry.role == "system":
        turn.remember("system", suffix, text=text)
        return text
    _user_item(turn, text, f"item_{entry.id}")
    turn.remember("user", suffix, text=text)
    return text


def _user_item(turn: _Turn, text: str, item_id: str) -> None:
    previous = turn.next_item(item_id)
    item = protocol.ConversationItem(
        role="user",
        action="completed",
        content=text,
        item_id=item_id,
        previous_item_id=previous,
        timestamp=now_stamp(),
    )
    turn.send([protocol.message(item)])


def _transcribe(turn: _Turn, entry: InboxEntry) -> str:
    """The utterance as text, echoed as the user's ``completed`` item ("" = not understood: the
    published sign that recognition failed)."""
    assert entry.utterance_id is not None
    buffer = UtteranceBuffer.for_service(turn.platform.tables)
    speech = speech_for_key(turn.platform, turn.config.key_provider, turn.secret)
    text = ""
    try:
        pcm = buffer.assemble(turn.plan.session_id, entry.utterance_id)
        if speech is None or not speech.can_transcribe:
            message = "This agent's model provider cannot transcribe speech: send text with send_message."
            turn.send([protocol.error("AudioNotSupported", message)])
        else:
            text = speech.transcribe(pcm, turn.plan.language).strip()
    except (AudioError, ProviderError) as refused:
        turn.send([refused.to_frame()])
    _user_item(turn, text, f"item_{entry.id}")
    if text:
        turn.remember("user", text=text)
    buffer.discard(turn.plan.session_id, entry.utterance_id)
    return text


def _answer(turn: _Turn, question: str) -> dict[str, Any]:
    """One model round: the prompt from the context, the reply streamed, the tool calls planned."""
    plan, config, context = turn.plan, turn.config, turn.context
    agent = config.agent_fields()
    functions = config.function_records()
    retrieved: list[KnowledgePassage] = []
    if agent.knowledge_base_id and question:
        hits = retrieve(
            turn.platform, plan.project_id, agent.knowledge_base_id, plan.key_id, question, PROMPT_PASSAGES
        )
        retrieved = list(passages(hits))
    searched = passages_from_tool_results(turn.request.get("searched") or [])
    citable = [*retrieved, *searched]  # numbered [1]… in this order
    settings = agent.provider_settings
    window = context.conversation()
    turn_request = build_turn_request(
        companion=config.companion(),
        agent=_agent_prompt(agent, context.instructions),
        transcript=to_model_messages(window),
        conversation_summary=window.summary or None,
        faqs=config.faq_entries(),
        memory=config.memory(),
        knowledge=retrieved,
        tools=tool_specs(agent, functions, plan),
        temperature=_first(context.temperature, settings.temperature if settings else None),
        max_output_tokens=settings.max_output_tokens if settings else None,
    )
    ids = ReplyIds(
        f"resp_{turn.turn_id}_{turn.round}", f"item_{turn.turn_id}_{turn.round}", context.last_item_id
    )
    barge_in = BargeIn(turn.inbox, plan.session_id, turn.request.get("turnCursor", ""))
    stream = ReplyStream(turn.send, ids, barge_in, turn.speech(), agent.voice_id)
    calls: list[ToolCallRequest] = []
    citations: list[dict[str, Any]] = []

    def deltas() -> Any:
        mark("model_called", plan.session_id)
        for event in turn.model().stream_turn(turn_request):
            if isinstance(event, TextDelta):
                mark("model_delta", plan.session_id)
                yield event.text
            elif isinstance(event, ToolCallRequest):
                calls.append(event)
            elif isinstance(event, TurnFinished):
                citations.extend(c.to_wire() for c in event.citations)

    try:
        spoken = stream.say(deltas())
    except ProviderError as refused:
        log.warning("model refused session %s turn %s: %s", plan.session_id, turn.turn, refused.code)
        stream.fail(refused)
        return {"toolCalls": [], "error": refused.code, "contextVersion": turn.save()}
    if spoken.interrupted:
        calls = []  # an interrupted reply's tool calls are dropped
    cited: list[dict[str, Any]] = []
    said = bool(spoken.text or not calls)
    if said:
        turn.next_item(ids.item_id)
        cited = citations or [c.to_wire() for c in cited_passages(spoken.text, citable)]
    turn.remember(
        "assistant",
        text=spoken.text,
        tool_calls=[{"call_id": c.call_id, "name": c.name, "arguments": c.arguments} for c in calls],
        citations=stored_citations(cited),
        interrupted=spoken.interrupted,
    )
    # Stored before the client hears that the message is complete: a transcript read after
    # ``completed`` holds it, and the round's writes are done by the time the user speaks again.
    version = turn.save()
    if said:
        stream.finish(cited)
    numbering = KnowledgeNumbering(len(citable) + 1)
    planned = [planned_call(turn.platform, plan, agent, call, functions, numbering) for call in calls]
    implicit = [p for p in planned if p["flow"] == "implicit"]
    if implicit:
        turn.gateway().await_calls(plan.session_id, add=[p["call_id"] for p in implicit])
        turn.send([protocol.function_called(p["call_id"], p["name"], p["arguments"]) for p in implicit])
    return {"toolCalls": planned, "interrupted": spoken.interrupted, "contextVersion": version}


def _agent_prompt(agent: AgentFields, instructions: str | None) -> AgentPrompt:
    """The agent's instructions, unless ``set_settings`` replaced them for this session."""
    prompt = AgentPrompt.from_fields(agent)
    return replace(prompt, instructions=instructions) if instructions else prompt


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)
