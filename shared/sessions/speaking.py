"""A session's voice, and the user's right to interrupt it.

Replies are spoken sentence by sentence as the text streams (``speak``); a user frame that arrives
while the agent is still replying cancels the rest of that reply (``BargeIn``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.audio.pcm import encode_chunk, split_frames
from shared.models import SpeechProvider
from shared.sessions import frames
from shared.sessions.inbox import USER_ACTIVITY, InboxEntry, read_after
from shared.storage import TableRepository

# Audio frames stay well under Web PubSub's message size and a client's frame limit.
AUDIO_FRAME_BYTES = 32 * 1024

Send = Callable[[list[dict[str, Any]]], None]


def speak(speech: SpeechProvider, voice: str, turn_id: str, text: str, send: Send) -> None:
    """Synthesise one piece of text and send it as ``agent.audio`` frames."""
    pcm = speech.synthesize(text, voice)
    if pcm:
        send(
            [
                frames.agent_audio(turn_id, encode_chunk(chunk))
                for chunk in split_frames(pcm, AUDIO_FRAME_BYTES)
            ]
        )


class BargeIn:
    """Has the user said anything since the turn began (after ``cursor`` in the inbox)? Asked often
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
            self.heard = any(entry.kind in USER_ACTIVITY for entry in entries)
        return self.heard
