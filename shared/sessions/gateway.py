"""How client commands reach a session, from any channel (Web PubSub, the REST session endpoints).

Each session has one channel-state row (table ``sessionindex``, partition = row = the session id): its
project, whether it is live, and its listening state (server turn detection over the microphone stream
and the utterance being heard), and its client connections. One point read of it answers "which
session, and is it live?" for every frame; audio chunks change it with its ETag, so chunks keep their
order and a devhost crash between two chunks loses nothing (the utterance's audio is in Table storage
as it arrives). Connections are counted in it by id (changed with its ETag on connect and disconnect
only, never on the way of a frame), so a reconnecting session hears only that its last one went.

Commands go to the session's inbox, then one ``inbox`` event carrying the entry as its payload.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared import durable_names as names
from shared.api_errors import ApiError, conflict, not_found
from shared.audio.pcm import decode_chunk
from shared.audio.turn_detection import DetectionStep, DetectorState, TurnDetectionSettings, detect
from shared.audio.utterance import UtteranceBuffer
from shared.concurrency import update_with_retry
from shared.platform import get_platform
from shared.sessions import admission
from shared.sessions.inbox import INBOX_TABLE, InboxEntry, new_entry
from shared.sessions.protocol import (
    Command,
    SendAudio,
    SendFunctionOutput,
    SendMessage,
    SetSettings,
)
from shared.storage import NotFound, Stored, TableRepository
from shared.turn_trace import mark

SESSION_INDEX_TABLE = "sessionindex"

# The handler's thread waits on one call while another runs (``_enqueue_while_checking``).
_side_by_side = ThreadPoolExecutor(max_workers=8, thread_name_prefix="gateway-storage")

RaiseEvent = Callable[[str, str, Any], None]  # (instance id, event name, payload)


class SessionIndexEntry(BaseModel):
    """A session's channel state: a channel knows the session, not its project."""

    id: str
    project_id: str
    live: bool = True
    turn_detection: dict[str, Any] = {}
    detector: str = ""  # DetectorState JSON ("" = fresh)
    utterance_id: str | None = None  # the utterance being heard, if any
    next_seq: int = 0
    awaited_calls: list[str] = []  # implicit function calls whose output the client owes
    connections: list[str] = []  # the client connections open now (Web PubSub connection ids)
    # Whether a lost connection may be replaced (the transport reconnects: webrtc); None until a
    # connection said so.
    reconnects: bool | None = None
    disconnected_at: datetime | None = None  # since when a reconnecting session has had no connection
    reconnect_key: str = ""  # the SHA-256 digest of the reconnect key its socket's holder was sent


@dataclass(frozen=True)
class Delivered:
    """What the channel tells the client at once (``speech_started``), beyond the session's events."""

    speech_started: bool = False


class SessionGateway:
    def __init__(
        self,
        index: TableRepository[SessionIndexEntry],
        inbox: TableRepository[InboxEntry],
        raise_event: RaiseEvent,
        audio: UtteranceBuffer,
    ) -> None:
        self._index = index
        self._inbox = inbox
        self._raise_event = raise_event
        self._audio = audio

    def live_session(self, session_id: str, project_id: str | None = None) -> Stored[SessionIndexEntry]:
        """The session's channel state if it is live (and in ``project_id`` when given): else 404, or
        409 ``SessionEnded``."""
        try:
            stored = self._index.get(session_id, session_id)
        except (NotFound, ValueError):
            raise not_found("Session", session_id) from None
        if project_id is not None and stored.entity.project_id != project_id:
            raise not_found("Session", session_id)
        if not stored.entity.live:
            raise conflict("SessionEnded", f"Session '{session_id}' has ended.")
        return stored

    def deliver(self, session_id: str, command: Command, project_id: str | None = None) -> Delivered:
        """Into the session's inbox, then a wake-up. Audio goes through turn detection first: only the
        start of speech (barge-in) and the end of an utterance reach the inbox. Raises ``AudioError``
        for audio that is not base64 PCM16."""
        if isinstance(command, SendAudio):
            return self._hear(session_id, decode_chunk(command.audio), project_id)
        if isinstance(command, SendFunctionOutput):
            self._claim_call(session_id, command.call_id, project_id)
        elif project_id is None and not isinstance(command, SetSettings):
            self._enqueue_while_checking(session_id, _entry_for(command))
            return Delivered()
        else:
            self.live_session(session_id, project_id)
        if isinstance(command, SetSettings) and command.turn_detection is not None:
            self._change_turn_detection(session_id, command.turn_detection.model_dump(exclude_none=True))
            if command.instructions is None and command.temperature is None:
                return Delivered()
        self._enqueue(session_id, _entry_for(command), wake=True)
        return Delivered()

    def _enqueue_while_checking(self, session_id: str, entry: InboxEntry) -> None:
        """The live check and the inbox write side by side, one storage round trip instead of two on
        the way of every typed message. Only without ``project_id``: the channel itself vouches for
        the session id (a signed Web PubSub connection, an ACS callback, a tool socket), so the entry
        can only land in the sender's own session. When the check fails (not live, or storage), the
        entry is taken back before the failure is answered: a command that was refused is never
        answered later."""
        written = _side_by_side.submit(self._inbox.create, session_id, entry)
        try:
            self.live_session(session_id)
        except BaseException:
            # The failure is the answer; an entry that could not be taken back sits in a partition
            # no orchestrator reads any more, or is read by one that is live after all.
            with contextlib.suppress(Exception):
                written.result()
                self._inbox.delete(session_id, entry.id)
            raise
        written.result()
        mark("inbox_written", session_id)
        self._wake(session_id, entry)

    def _enqueue(self, session_id: str, entry: InboxEntry, wake: bool) -> None:
        self._inbox.create(session_id, entry)
        mark("inbox_written", session_id)
        if wake:
            self._wake(session_id, entry)

    def _wake(self, session_id: str, entry: InboxEntry) -> None:
        """The ``inbox`` event naming ``entry``, once it is in the inbox."""
        self._raise_event(session_id, names.INBOX_EVENT, entry.to_event())
        mark("event_raised", session_id)

    def _hear(self, session_id: str, pcm: bytes, project_id: str | None) -> Delivered:
        """One microphone chunk through turn detection (a chunk may close one utterance and open the
        next: what follows an utterance's end is heard again)."""
        started = False
        while True:
            step, utterance_id, seq = self._hear_step(session_id, pcm, project_id)
            if utterance_id is not None and step.audio:
                self._audio.store(session_id, utterance_id, seq, step.audio)
            if step.speech_started:
                started = True
                self._enqueue(session_id, new_entry("speech_start"), wake=False)
            if step.speech_ended and utterance_id is not None:
                self._enqueue(session_id, new_entry("utterance", utterance_id=utterance_id), wake=True)
            if not step.rest:
                return Delivered(speech_started=started)
            pcm = step.rest

    def _hear_step(
        self, session_id: str, pcm: bytes, project_id: str | None
    ) -> tuple[DetectionStep, str | None, int]:
        """``detect`` under the channel state's ETag (another chunk of this session heard meanwhile:
        this one is heard after it): the step, the utterance its audio belongs to and that audio's
        sequence number in it."""
        heard: list[tuple[DetectionStep, str | None, int]] = []  # the attempt that was written: the last

        def hear(state: SessionIndexEntry) -> SessionIndexEntry:
            settings = TurnDetectionSettings.from_wire(state.turn_detection)
            detector = DetectorState.from_json(state.detector) if state.detector else DetectorState()
            step = detect(detector, pcm, settings)
            utterance_id, seq = state.utterance_id, state.next_seq
            if step.speech_started:
                utterance_id, seq = f"u{time.time_ns()}{secrets.token_hex(3)}", 0
            heard.append((step, utterance_id, seq))
            return state.model_copy(
                update={
                    "detector": step.state.to_json(),
                    "utterance_id": None if step.speech_ended else utterance_id,
                    "next_seq": 0 if step.speech_ended else seq + (1 if step.audio else 0),
                }
            )

        self._change(session_id, hear, project_id)
        return heard[-1]

    def await_calls(self, session_id: str, add: Sequence[str] = (), drop: Sequence[str] = ()) -> None:
        """The implicit calls the client owes an output for: ``add`` when they are sent, ``drop`` when
        they timed out (a late output is then refused, as one for an unknown call)."""

        def change(state: SessionIndexEntry) -> SessionIndexEntry:
            kept = [c for c in state.awaited_calls if c not in drop]
            return state.model_copy(update={"awaited_calls": [*kept, *(c for c in add if c not in kept)]})

        self._change(session_id, change)

    def _claim_call(self, session_id: str, call_id: str, project_id: str | None) -> None:
        def claim(state: SessionIndexEntry) -> SessionIndexEntry:
            if call_id not in state.awaited_calls:
                raise conflict(
                    "UnknownFunctionCall",
                    f"No function call '{call_id}' is waiting for an output "
                    "(unknown, already answered, or timed out).",
                )
            return state.model_copy(
                update={"awaited_calls": [c for c in state.awaited_calls if c != call_id]}
            )

        self._change(session_id, claim, project_id)

    def admit(
        self, session_id: str, connection_id: str, still_open: Callable[[str], bool], offered_key: str = ""
    ) -> list[str]:
        """A client asks to connect: it takes the session's one slot, or is refused (409
        ``SessionConnected``) while another connection is open, unless it offers the session's reconnect
        key (``shared.sessions.admission``). Answers the open connections it displaced (to be closed)."""
        displaced: list[list[str]] = []  # the attempt written: the last

        def take(state: SessionIndexEntry) -> SessionIndexEntry:
            taken = admission.admit(
                session_id, state.connections, connection_id, still_open, state.reconnect_key, offered_key
            )
            displaced.append(taken.displaced)
            return state.model_copy(update={"connections": taken.connections})

        self._change(session_id, take)
        return displaced[-1]

    def client_connected(
        self, session_id: str, connection_id: str, reconnects: bool, still_open: Callable[[str], bool]
    ) -> str | None:
        """A client connection opened: counted (admitted here if its connect was not seen, or lost the
        slot to a racing connect: 409), then a ``connected`` entry (the first opens the session; a later
        one is told the session is ready, and ends a reconnecting session's wait). Answers the new
        reconnect key for the connection's holder when the session reconnects (webrtc), else None."""
        key, digest = admission.new_reconnect_key() if reconnects else (None, "")

        def add(state: SessionIndexEntry) -> SessionIndexEntry:
            admitted = (
                state.connections
                if connection_id in state.connections
                else admission.admit(session_id, state.connections, connection_id, still_open).connections
            )
            update = {
                "connections": admitted,
                "reconnects": reconnects,
                "disconnected_at": None,
                "reconnect_key": digest,
            }
            return state.model_copy(update=update)

        self._change(session_id, add)
        self._enqueue(session_id, new_entry("connected"), wake=True)
        return key

    def client_disconnected(
        self, session_id: str, connection_id: str, reconnects: Callable[[str], bool]
    ) -> None:
        """A client connection closed. A session that does not reconnect ends (the client's end: closing
        the socket ends a WebSocket session, as published); one that does hears it (``disconnected``)
        only when its last connection is gone, and waits for a new one. ``reconnects(project_id)`` says
        which, for a session none of whose connections was counted yet. A connection never admitted
        (refused, or replaced) changes nothing: it cannot end the session of the one that holds it."""
        counted = self.channel_state(session_id)
        if counted is None or connection_id not in counted.connections:
            return
        heard: list[tuple[bool, bool]] = []  # (reconnects, the last one went): the attempt written

        def drop(state: SessionIndexEntry) -> SessionIndexEntry:
            waits = state.reconnects if state.reconnects is not None else reconnects(state.project_id)
            left = [c for c in state.connections if c != connection_id]
            lost = waits and not left and state.disconnected_at is None
            heard.append((waits, lost))
            since = datetime.now(UTC) if lost else state.disconnected_at
            return state.model_copy(
                update={"connections": left, "reconnects": waits, "disconnected_at": since}
            )

        self._change(session_id, drop)
        waits, lost = heard[-1]
        if not waits:
            self._enqueue(session_id, new_entry("end"), wake=True)
        elif lost:
            self._enqueue(session_id, new_entry("disconnected"), wake=True)

    def channel_state(self, session_id: str) -> SessionIndexEntry | None:
        """The session's channel state as stored (live or not), None if there is none."""
        try:
            return self._index.get(session_id, session_id).entity
        except (NotFound, ValueError):
            return None

    def close(self, session_id: str) -> None:
        """The channel refuses the session's frames from now on; closing it again changes nothing."""
        try:
            self._change(session_id, lambda state: state.model_copy(update={"live": False}))
        except ApiError as refused:
            if refused.code not in ("SessionNotFound", "SessionEnded"):
                raise

    def _change(
        self,
        session_id: str,
        change: Callable[[SessionIndexEntry], SessionIndexEntry],
        project_id: str | None = None,
    ) -> None:
        """Read the live session's channel state, change it, write it with its ETag (again on a race)."""
        update_with_retry(
            self._index,
            session_id,
            None,
            lambda: self.live_session(session_id, project_id),
            change,
            "session's channel state",
        )

    def _change_turn_detection(self, session_id: str, change: dict[str, Any]) -> None:
        def apply(state: SessionIndexEntry) -> SessionIndexEntry:
            current = TurnDetectionSettings.from_wire(state.turn_detection)
            updated = TurnDetectionSettings.from_wire(change, base=current)
            return state.model_copy(update={"turn_detection": updated.to_wire()})

        self._change(session_id, apply)


def session_gateway(raise_event: RaiseEvent) -> SessionGateway:
    """The gateway over the platform's tables; ``raise_event`` comes from the trigger's durable client."""
    platform = get_platform()
    return SessionGateway(
        platform.repository(SESSION_INDEX_TABLE, SessionIndexEntry),
        platform.repository(INBOX_TABLE, InboxEntry),
        raise_event,
        UtteranceBuffer.for_service(platform.tables),
    )


def _entry_for(command: Command) -> InboxEntry:
    if isinstance(command, SendMessage):
        return new_entry(
            "message",
            role=command.role,
            text=command.text.strip(),
            trigger_response=command.trigger_response,
            delay=command.delay,
        )
    if isinstance(command, SendFunctionOutput):
        return new_entry("tool_result", call_id=command.call_id, result=command.output, delay=command.delay)
    if isinstance(command, SetSettings):
        settings = command.model_dump(include={"instructions", "temperature"}, exclude_none=True)
        return new_entry("settings", settings=settings)
    return new_entry("end")  # EndSession: the client's end
