"""What a session's turns run with, read once per session and kept in one blob per session.

The first turn of a session gathers its configuration (agent, companion, FAQs, functions, the key's
provider, the user's memory: nine Table reads) into a snapshot; every later turn reads one blob and
writes it back with the recent conversation window and the ``set_settings`` overrides. So a turn's
storage cost does not grow with the session, and an agent edit applies from the next session on.
The transcript stays complete in its table (``sessiontranscripts``); this is only what the prompt needs.

Blob ``sessions/<session id>/context.json`` in container ``sessioncontext``. One writer at a time: the
session's orchestrator runs one model round at a time. Each write answers the blob's ETag, which the
orchestrator hands to the next round: a worker that wrote that very version keeps it in memory
(``_Recent``) and reads nothing, any other worker (or a version it does not hold) reads the blob.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from pydantic import BaseModel, Field

from shared.agents.models import AgentFields, AgentRecord
from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyRecord
from shared.catalog.tables import AGENTS
from shared.companions.store import find_companion
from shared.faqs.models import FAQ_ITEMS, FaqItemRecord
from shared.functions.models import FunctionRecord
from shared.functions.store import functions
from shared.memory.folding import prompt_notes
from shared.memory.store import load_memory
from shared.models import (
    AssistantMessage,
    CompanionPrompt,
    FaqEntry,
    Message,
    SystemMessage,
    ToolCallRequest,
    ToolMessage,
    UserMessage,
)
from shared.models.prompt import MemoryNotes
from shared.models.window import ConversationWindow
from shared.platform import Platform
from shared.sessions.lifecycle import SessionPlan
from shared.sessions.records import TranscriptEntry
from shared.storage import NotFound

CONTEXT_CONTAINER = "sessioncontext"


class SessionConfig(BaseModel):
    """The snapshot taken at a session's first turn."""

    agent: dict[str, Any]  # AgentFields as JSON
    companion_name: str | None = None
    companion_personality: str | None = None
    companion_instructions: str | None = None
    faqs: list[tuple[str, str]] = Field(default_factory=list)
    functions: list[dict[str, Any]] = Field(default_factory=list)  # FunctionRecord JSON
    key_provider: dict[str, Any] = Field(default_factory=dict)
    sealed_provider_secret: str | None = None
    key_record_id: str = ""
    memory_summary: str | None = None
    memory_facts: list[str] = Field(default_factory=list)
    # A WebSocket tool server of the session asked for the conversation (receiveMessages).
    conversation_listeners: bool = False

    def agent_fields(self) -> AgentFields:
        return AgentFields.model_validate(self.agent, by_name=True)

    def companion(self) -> CompanionPrompt:
        return CompanionPrompt(self.companion_name, self.companion_personality, self.companion_instructions)

    def faq_entries(self) -> list[FaqEntry]:
        return [FaqEntry(question, answer) for question, answer in self.faqs]

    def function_records(self) -> dict[str, FunctionRecord]:
        records = (FunctionRecord.model_validate(f) for f in self.functions)
        return {record.name: record for record in records}

    def memory(self) -> MemoryNotes | None:
        if not self.memory_summary and not self.memory_facts:
            return None
        return MemoryNotes(self.memory_summary, tuple(self.memory_facts))


class SessionContext(BaseModel):
    config: SessionConfig
    window: str = ""  # ConversationWindow JSON
    instructions: str | None = None  # set_settings overrides
    temperature: float | None = None
    last_item_id: str | None = None  # the conversation's newest item (previous_item_id of the next)
    greeted: bool = False
    # The round that wrote this context, and its round fields as they were before that round ran: a
    # host that died after the write but before the orchestrator heard of the round runs it again,
    # from there (its window lines are not appended twice).
    round_key: str = ""
    before_round: dict[str, Any] = Field(default_factory=dict)

    def conversation(self) -> ConversationWindow:
        return ConversationWindow.from_json(self.window)

    def starting(self, round_key: str) -> SessionContext:
        """This context as round ``round_key`` starts: a re-run of it starts where its first run did."""
        if round_key and self.round_key == round_key and self.before_round:
            return self.model_copy(update=self.before_round)
        fields = self.model_dump(include=set(_ROUND_FIELDS))
        return self.model_copy(update={"round_key": round_key, "before_round": fields})


_ROUND_FIELDS = ("window", "instructions", "temperature", "last_item_id", "greeted")


def _name(session_id: str) -> str:
    return f"sessions/{session_id}/context.json"


class _Recent:
    """The context versions this worker wrote last, by session (a bounded LRU): the bytes written and
    their ETag. Only a version the orchestrator names is taken from here, so a round that ran on
    another worker, or a write that was never confirmed (a crashed round), makes the next one read."""

    SIZE = 256  # sessions; a context is at most a few tens of KB

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[str, bytes]] = OrderedDict()

    def get(self, session_id: str, version: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(session_id)
            return entry[1]

    def put(self, session_id: str, version: str, data: bytes) -> None:
        with self._lock:
            self._entries[session_id] = (version, data)
            self._entries.move_to_end(session_id)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._entries.pop(session_id, None)


_recent = _Recent()


def load_context(
    platform: Platform, plan: SessionPlan, version: str = "", round_key: str = ""
) -> SessionContext:
    """The session's context at ``version`` (the ETag its last round wrote; "" before the first
    write) as round ``round_key`` starts; on its first turn, the snapshot of its configuration."""
    held = _recent.get(plan.session_id, version) if version else None
    if held is not None:
        return SessionContext.model_validate_json(held).starting(round_key)
    store = platform.blob_store(CONTEXT_CONTAINER)
    try:
        found = SessionContext.model_validate_json(store.get(_name(plan.session_id)).data)
    except NotFound:
        found = SessionContext(config=snapshot(platform, plan))
    return found.starting(round_key)


def save_context(platform: Platform, plan: SessionPlan, context: SessionContext) -> str:
    """Write the context; answers its version, for the next round's ``load_context``."""
    data = context.model_dump_json().encode()
    version = platform.blob_store(CONTEXT_CONTAINER).put(_name(plan.session_id), data, "application/json")
    _recent.put(plan.session_id, version, data)
    return version


def discard_context(platform: Platform, plan: SessionPlan) -> None:
    _recent.drop(plan.session_id)
    platform.blob_store(CONTEXT_CONTAINER).delete(_name(plan.session_id))


def snapshot(platform: Platform, plan: SessionPlan) -> SessionConfig:
    if plan.inline_agent is not None:
        agent = AgentFields.model_validate(plan.inline_agent, by_name=True)
    else:
        assert plan.agent_id is not None
        agent = platform.repository(AGENTS, AgentRecord).get(plan.project_id, plan.agent_id).entity
    key = platform.repository(API_KEYS_TABLE, ApiKeyRecord).get(plan.project_id, plan.key_id).entity
    companion = CompanionPrompt.from_record(find_companion(plan.project_id, agent.companion_id))
    chosen_functions = set(agent.functions)
    function_records = (
        [f for f in functions().list_all(plan.project_id) if f.id in chosen_functions]
        if chosen_functions
        else []
    )
    chosen_faqs = set(agent.faq_collections)
    faq_items = platform.repository(FAQ_ITEMS, FaqItemRecord).list_all(plan.project_id) if chosen_faqs else []
    memory = None
    if plan.memory_enabled and plan.external_client_id and plan.companion_id:
        memory = prompt_notes(load_memory(plan.project_id, plan.companion_id, plan.external_client_id))
    return SessionConfig(
        agent=agent.model_dump(mode="json", include=set(AgentFields.model_fields)),
        companion_name=companion.name,
        companion_personality=companion.personality,
        companion_instructions=companion.instructions,
        faqs=[(i.question, i.answer) for i in faq_items if i.collection_id in chosen_faqs],
        functions=[f.model_dump(mode="json") for f in function_records],
        key_provider=key.provider,
        sealed_provider_secret=key.sealed_provider_secret,
        key_record_id=key.id,
        memory_summary=memory.summary if memory else None,
        memory_facts=list(memory.facts) if memory else [],
    )


def model_messages(entry: TranscriptEntry) -> list[Message]:
    """A transcript line as the model reads it (a tool line holds one result per call)."""
    if entry.role == "user":
        return [UserMessage(entry.text)]
    if entry.role == "system":
        return [SystemMessage(entry.text)]
    if entry.role == "assistant":
        calls = tuple(ToolCallRequest(c["call_id"], c["name"], c["arguments"]) for c in entry.tool_calls)
        return [AssistantMessage(entry.text or None, calls)]
    results: list[Message] = []
    for outcome in entry.tool_outcomes:
        failed = outcome.get("error") is not None
        content = {"error": outcome["error"]} if failed else outcome.get("result")
        results.append(ToolMessage.result(outcome["call_id"], content, is_error=failed))
    return results
