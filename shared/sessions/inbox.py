"""A session's inbox: what clients sent, in arrival order, in Table storage.

Channels append here and then raise one ``inbox`` event whose payload is the entry (a hint: the
orchestrator uses it to know what woke it). The inbox, not the payload, is the truth: the Python SDK
keeps only the last of several same-named events that arrive while the orchestrator is busy, so
payloads may merge, entries may not be lost. The model-turn activity reads everything after the
session's cursor itself (no separate read episode); reads are by cursor, so a re-run is harmless.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from shared.storage import TableRepository

INBOX_TABLE = "sessioninbox"

# ``message``: send_message (user or system); ``speech_start``: the user started speaking (barge-in,
# user activity, no wake-up); ``utterance``: an utterance ended (its audio is in the utterance buffer);
# ``settings``: set_settings' instructions / temperature; ``end``: the client (or the platform) ends it.
# ``connected``: a client connection opened; ``disconnected``: a reconnecting session's last one closed.
# Both only wake the session: its channel state (the live connection ids) says whether it has a client.
EntryKind = Literal[
    "connected", "disconnected", "message", "speech_start", "utterance", "tool_result", "settings", "end"
]


class InboxEntry(BaseModel):
    id: str  # sortable: arrival time in ns, then randomness against ties
    kind: EntryKind
    role: str | None = None  # message: user | system
    text: str | None = None
    trigger_response: bool = True
    delay: bool = False
    call_id: str | None = None
    utterance_id: str | None = None
    result: Any = None
    settings: dict[str, Any] | None = None
    reason: str | None = None  # an ``end`` the platform asks for (``billing``); None: the client's
    received_at: datetime

    def interrupts(self) -> bool:
        """Does this entry cut short a reply in progress (barge-in)? Delayed messages wait for it."""
        if self.kind == "message":
            return not self.delay
        return self.kind in ("speech_start", "utterance", "end")

    def is_user_activity(self) -> bool:
        return self.kind in ("message", "speech_start", "utterance", "end", "tool_result")

    def to_event(self) -> dict[str, Any]:
        """The ``inbox`` event's payload: what the orchestrator needs to know without a read."""
        return {"id": self.id, "kind": self.kind, "callId": self.call_id, "reason": self.reason}


def event_hint(result: Any) -> dict[str, Any]:
    """The ``inbox`` event's payload as the orchestrator receives it. The Python SDK's client posts
    ``json.dumps(data)`` as a JSON string and the Durable extension decodes it once, so in Azure the
    payload arrives as the JSON text (azure-functions-durable-python#295); a wake-up with no payload
    is None. Both come back as the payload's dict."""
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except ValueError:
            return {}
    return result if isinstance(result, dict) else {}


def new_entry(kind: EntryKind, **fields: Any) -> InboxEntry:
    entry_id = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
    return InboxEntry(id=entry_id, kind=kind, received_at=datetime.now(UTC), **fields)


def read_after(inbox: TableRepository[InboxEntry], session_id: str, cursor: str) -> list[InboxEntry]:
    if cursor:
        return inbox.list_all(session_id, "RowKey gt @cursor", {"cursor": cursor})
    return inbox.list_all(session_id)


@dataclass(frozen=True)
class InboxRead:
    """One read of the inbox, cut at the first entry that asks for an answer."""

    before: list[InboxEntry]  # what precedes it: connected, settings, silent messages, speech, end
    turn: InboxEntry | None  # a message with trigger_response, or an utterance
    cursor: str  # the last entry taken (the turn, else the last read)
    more: bool  # entries follow the turn (they are taken next, before the session waits again)

    @property
    def end_reason(self) -> str | None:
        for entry in self.before:
            if entry.kind == "end":
                return entry.reason or "client"
        return None

    @property
    def connection_changed(self) -> bool:
        return any(entry.kind in ("connected", "disconnected") for entry in self.before)

    @property
    def user_active(self) -> bool:
        return any(e.is_user_activity() for e in [*self.before, *([self.turn] if self.turn else [])])


def asks_for_answer(entry: InboxEntry) -> bool:
    return entry.kind == "utterance" or (entry.kind == "message" and entry.trigger_response)


def split_at_turn(entries: list[InboxEntry], cursor: str) -> InboxRead:
    """Entries up to the first that asks for an answer; nothing after an ``end`` is taken (the
    client's end comes after what it sent before it: those turns were answered in earlier reads)."""
    before: list[InboxEntry] = []
    for index, entry in enumerate(entries):
        if asks_for_answer(entry):
            return InboxRead(before, entry, entry.id, more=index + 1 < len(entries))
        before.append(entry)
        if entry.kind == "end":
            return InboxRead(before, None, entry.id, more=False)
    return InboxRead(before, None, entries[-1].id if entries else cursor, more=False)
