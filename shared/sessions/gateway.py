"""How client frames reach a session, from any channel (Web PubSub, the REST session endpoints):
stored in the session's inbox, then one ``inbox`` wake-up event for its orchestrator."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from pydantic import BaseModel

from shared import durable_names as names
from shared.api_errors import conflict, not_found
from shared.audio.pcm import decode_chunk
from shared.audio.utterance import UtteranceBuffer
from shared.concurrency import update_with_retry
from shared.platform import get_platform
from shared.sessions.frames import (
    ClientConnected,
    ClientFrame,
    EndSession,
    ToolResult,
    UserAudio,
    UserMessage,
)
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, new_entry
from shared.sessions.records import SESSIONS_TABLE, SessionRecord
from shared.storage import AlreadyExists, NotFound, TableRepository

SESSION_INDEX_TABLE = "sessionindex"

RaiseEvent = Callable[[str, str], None]  # (instance id, event name)


class SessionIndexEntry(BaseModel):
    """Session id -> project: a channel knows the session, not its project."""

    id: str
    project_id: str


class OpenUtterance(BaseModel):
    """The utterance a session's audio chunks go to until a ``final`` frame closes it, and the
    sequence number of its next chunk (claimed with the row's ETag, so chunks keep their order)."""

    id: str  # always OPEN_UTTERANCE_ROW
    utterance_id: str
    next_seq: int = 0


OPEN_UTTERANCE_ROW = "open"
OPEN_UTTERANCES_TABLE = "sessionutterances"


class SessionGateway:
    def __init__(
        self,
        sessions: TableRepository[SessionRecord],
        index: TableRepository[SessionIndexEntry],
        inbox: TableRepository[InboxEntry],
        raise_event: RaiseEvent,
        open_utterances: TableRepository[OpenUtterance] | None = None,
        audio: UtteranceBuffer | None = None,
    ) -> None:
        self._sessions = sessions
        self._index = index
        self._inbox = inbox
        self._raise_event = raise_event
        self._open_utterances = open_utterances
        self._audio = audio

    def active_session(self, session_id: str, project_id: str | None = None) -> SessionRecord:
        """The session if it is active (and in ``project_id`` when given): else 404, or 409 when ended."""
        try:
            project = project_id or self._index.get(session_id, session_id).entity.project_id
            record = self._sessions.get(project, session_id).entity
        except (NotFound, ValueError):
            raise not_found("Session", session_id) from None
        if record.status != "active":
            raise conflict("SessionEnded", f"Session '{session_id}' has ended.")
        return record

    def deliver(self, session_id: str, frame: ClientFrame, project_id: str | None = None) -> None:
        """Into the session's inbox, then a wake-up (audio chunks only count as user activity: the
        session wakes for the ``final`` one). Raises ``AudioError`` for audio beyond the limits."""
        self.active_session(session_id, project_id)
        if isinstance(frame, UserAudio):
            entry = self._buffer_audio(session_id, frame)
            self._inbox.create(session_id, entry)
            if entry.kind == "audio":
                return
        else:
            self._inbox.create(session_id, _entry_for(frame))
        self._raise_event(session_id, names.INBOX_EVENT)

    def _buffer_audio(self, session_id: str, frame: UserAudio) -> InboxEntry:
        assert self._open_utterances is not None and self._audio is not None, "a gateway without audio"
        pcm = decode_chunk(frame.audio) if frame.audio else b""
        utterance_id, seq = self._claim_seq(session_id)
        if pcm:
            self._audio.append(session_id, utterance_id, seq, pcm)
        if not frame.final:
            return new_entry("audio")
        self._open_utterances.delete(session_id, OPEN_UTTERANCE_ROW)
        return new_entry("audio_final", utterance_id=utterance_id)

    def _claim_seq(self, session_id: str) -> tuple[str, int]:
        """The open utterance (opened now if none) and the next chunk's sequence number."""
        assert self._open_utterances is not None
        repository = self._open_utterances
        utterance_id = f"u{time.time_ns()}{secrets.token_hex(3)}"
        try:
            repository.create(
                session_id, OpenUtterance(id=OPEN_UTTERANCE_ROW, utterance_id=utterance_id, next_seq=1)
            )
            return utterance_id, 0
        except AlreadyExists:
            pass  # open already: claim its next sequence number
        claimed = update_with_retry(
            repository,
            session_id,
            None,
            lambda: repository.get(session_id, OPEN_UTTERANCE_ROW),
            lambda open_: open_.model_copy(update={"next_seq": open_.next_seq + 1}),
            "utterance",
        )
        return claimed.entity.utterance_id, claimed.entity.next_seq - 1


def session_gateway(raise_event: RaiseEvent) -> SessionGateway:
    """The gateway over the platform's tables; ``raise_event`` comes from the trigger's durable client."""
    platform = get_platform()
    return SessionGateway(
        platform.repository(SESSIONS_TABLE, SessionRecord),
        platform.repository(SESSION_INDEX_TABLE, SessionIndexEntry),
        platform.repository(INBOX_TABLE, InboxEntry),
        raise_event,
        platform.repository(OPEN_UTTERANCES_TABLE, OpenUtterance),
        UtteranceBuffer.for_service(platform.tables),
    )


def _entry_for(frame: ClientFrame) -> InboxEntry:
    if isinstance(frame, UserMessage):
        return new_entry("user_message", text=frame.text)
    if isinstance(frame, ToolResult):
        return new_entry("tool_result", call_id=frame.call_id, result=frame.result, is_error=frame.is_error)
    if isinstance(frame, ClientConnected):
        return new_entry("connected")
    assert isinstance(frame, EndSession)
    return new_entry("end")
