"""A session's inbox: what clients sent, in arrival order, in Table storage.

Channels append here and then raise one ``inbox`` wake-up event; the orchestrator reads everything
after its cursor. Storage, not event payloads, carries the frames because the Python SDK keeps only
the last of several same-named events that arrive while the orchestrator is busy: wake-ups may
merge, frames may not be lost. Reads are idempotent (by cursor), so a re-run activity is harmless.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from shared.storage import TableRepository

INBOX_TABLE = "sessioninbox"

# ``audio``: a chunk of an open utterance (user activity, no wake-up); ``audio_final``: an utterance
# closed, to transcribe (its chunks are in the utterance buffer).
EntryKind = Literal["connected", "user_message", "audio", "audio_final", "tool_result", "end"]
USER_ACTIVITY = frozenset({"user_message", "audio", "audio_final", "end"})


class InboxEntry(BaseModel):
    id: str  # sortable: arrival time in ns, then randomness against ties
    kind: EntryKind
    text: str | None = None
    call_id: str | None = None
    utterance_id: str | None = None
    result: Any = None
    is_error: bool = False
    reason: str | None = None  # an ``end`` the platform asks for (``billing``); None: the client's
    received_at: datetime


def new_entry(kind: EntryKind, **fields: Any) -> InboxEntry:
    entry_id = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
    return InboxEntry(id=entry_id, kind=kind, received_at=datetime.now(UTC), **fields)


def read_after(inbox: TableRepository[InboxEntry], session_id: str, cursor: str) -> list[InboxEntry]:
    if cursor:
        return inbox.list_all(session_id, "RowKey gt @cursor", {"cursor": cursor})
    return inbox.list_all(session_id)
