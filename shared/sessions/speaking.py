"""The agent's side of a turn on the wire: a reply streamed as published events, its voice, and the
user's right to interrupt it.

A reply is ``talk_state_changed`` ``preparing`` → assistant ``message_received`` ``delta``s (and, when
the session speaks, ``started`` and each sentence's ``audio_received`` as soon as the sentence is
complete) → assistant ``completed`` → ``ended``. A user command that interrupts (``InboxEntry.
interrupts``: speech, a message that is not ``delay``ed) cuts it short: the assistant message is
``cancelled`` with ``reason: turn_detected`` and none of its audio follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.audio.pcm import encode_chunk, split_frames
from shared.models import ProviderError, SpeechProvider, split_sentences
from shared.sessions import protocol
from shared.sessions.inbox import InboxEntry, read_after
from shared.storage import TableRepository

# Audio frames stay well under Web PubSub's message size and a client's frame limit.
AUDIO_FRAME_BYTES = 32 * 1024

Send = Callable[[list[dict[str, Any]]], None]


def now_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BargeIn:
    """Has the user interrupted since the turn began (after ``cursor`` in the inbox)? Asked often
    while a reply streams, it reads storage at most every ``every`` calls unless forced."""

    def __init__(
        self, inbox: TableRepository[InboxEntry], session_id: str, cursor: str, every: int = 8
    ) -> None:
        self._inbox = inbox
        self._session_id = session_id
        self._cursor = cursor
        self._every = every
        self._calls = 0
        self.heard = False

    def check(self, force: bool = False) -> bool:
        if self.heard:
            return True
        self._calls += 1
        if force or self._calls % self._every == 0:
            entries = read_after(self._inbox, self._session_id, self._cursor)
            self.heard = any(entry.interrupts() for entry in entries)
        return self.heard


@dataclass(frozen=True)
class ReplyIds:
    response_id: str
    item_id: str
    previous_item_id: str | None


@dataclass
class Spoken:
    """What was said: the text the client received, and whether it was cut short."""

    parts: list[str] = field(default_factory=list)
    interrupted: bool = False
    muted: ProviderError | None = None  # speech failed: the text went on without audio

    @property
    def text(self) -> str:
        return "".join(self.parts)


class ReplyStream:
    """Puts one reply on the wire (see the module's note)."""

    def __init__(
        self,
        send: Send,
        ids: ReplyIds,
        barge_in: BargeIn | None,
        speech: SpeechProvider | None = None,
        voice: str = "",
    ) -> None:
        self._send = send
        self._ids = ids
        self._barge_in = barge_in
        self._speech = speech if speech is not None and speech.can_synthesize else None
        self._voice = voice
        self._talking = False
        self._talk_open = False  # ``preparing`` sent, ``ended`` not yet
        self.spoken = Spoken()

    def item(self, action: protocol.MessageAction, **fields: Any) -> dict[str, Any]:
        return protocol.message(
            protocol.ConversationItem(
                role="assistant",
                action=action,
                response_id=self._ids.response_id,
                item_id=self._ids.item_id,
                previous_item_id=self._ids.previous_item_id,
                timestamp=now_stamp(),
                **fields,
            )
        )

    def say(self, deltas: Iterable[str]) -> Spoken:
        """Stream ``deltas`` (text pieces, in order) until they end or the user interrupts."""
        if self._speech is not None:
            self._talk_open = True
            self._send([protocol.talk_state("preparing")])
        pieces = self._text(deltas)
        try:
            if self._speech is None:
                for _ in pieces:
                    pass
            else:
                for sentence in split_sentences(pieces):
                    if self._interrupted(force=True):
                        break
                    self._voice_sentence(sentence)
        except BaseException:
            self._end_talk()
            raise
        if not self.spoken.parts:  # nothing said (a reply of tool calls only): no message follows
            self._end_talk()
        return self.spoken

    def _end_talk(self) -> None:
        """``talk_state_changed`` ``ended``, once: after the reply's last message (as published)."""
        if self._talk_open:
            self._talk_open = False
            self._send([protocol.talk_state("ended")])

    def finish(self, citations: list[dict[str, Any]] | None = None) -> None:
        """The reply's last message: ``completed`` (with its citations), or ``cancelled``."""
        if self.spoken.interrupted:
            self._send([self.item("cancelled", content=self.spoken.text, reason="turn_detected")])
        else:
            self._send([self.item("completed", content=self.spoken.text, citations=citations or None)])
        self._end_talk()

    def fail(self, error: ProviderError) -> None:
        self._send([self.item("failed", content=self.spoken.text, error=error.code), error.to_frame()])
        self._end_talk()

    def _text(self, deltas: Iterable[str]) -> Iterator[str]:
        for piece in deltas:
            if self._interrupted():
                return
            self.spoken.parts.append(piece)
            self._send([self.item("delta", content=piece)])
            yield piece

    def _interrupted(self, force: bool = False) -> bool:
        if self._barge_in is not None and self._barge_in.check(force):
            self.spoken.interrupted = True
        return self.spoken.interrupted

    def _voice_sentence(self, sentence: str) -> None:
        if self._speech is None or self.spoken.muted is not None:
            return
        try:
            pcm = self._speech.synthesize(sentence, self._voice)
        except ProviderError as mute:  # the text goes on without audio; the client is told once
            self.spoken.muted = mute
            self._send([mute.to_frame()])
            return
        if not pcm:
            return
        if not self._talking:
            self._talking = True
            self._send([protocol.talk_state("started")])
        ids = self._ids
        self._send(
            [
                protocol.audio(encode_chunk(chunk), ids.response_id, ids.item_id)
                for chunk in split_frames(pcm, AUDIO_FRAME_BYTES)
            ]
        )
