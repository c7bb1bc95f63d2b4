"""A phone reply spoken sentence by sentence as the model streams it (plain bookkeeping, no I/O).

Each whole sentence of an assistant reply is played as soon as the next one has begun (so a sentence
is only played once its end is certain); the last sentence waits for the reply's ``completed`` and is
the prompt of the recognition that hears the caller's answer (barge-in applies to it). A reply of one
sentence is therefore one recognition with that sentence as its prompt. The replies being streamed are
kept per process (a model round sends its frames from one process), at most ``MAX_REPLIES``. Citation
markers (``[1]``, ``[1, 3]``) are not read out: on the phone they would be spoken as numbers.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from shared.models.sentences import split_sentences

MAX_REPLIES = 256
# The answer's citation markers, as ``shared.models.prompt.cited_passages`` reads them.
_CITATION = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def speakable(sentence: str) -> str:
    """The sentence as the caller hears it: without citation markers."""
    return _CITATION.sub("", sentence).strip()


def _spoken(sentences: list[str]) -> list[str]:
    return [line for line in map(speakable, sentences) if line]


@dataclass
class ReplyInProgress:
    text: str = ""
    played: int = 0  # sentences played so far
    call: Any = None  # the call it is spoken on, read once per reply


@dataclass(frozen=True)
class ReplyEnd:
    """What is left to say when the reply is complete."""

    sentences: list[str]  # to play before the last one
    prompt: str | None  # the last sentence: the recognition's prompt (None: nothing left)
    played_before: int  # sentences already played while it streamed
    call: Any = None


@dataclass
class StreamedReplies:
    _replies: OrderedDict[tuple[str, str], ReplyInProgress] = field(default_factory=OrderedDict)

    def get(self, session_id: str, item_id: str) -> ReplyInProgress:
        key = (session_id, item_id)
        reply = self._replies.get(key)
        if reply is None:
            reply = self._replies[key] = ReplyInProgress()
            while len(self._replies) > MAX_REPLIES:
                self._replies.popitem(last=False)
        return reply

    def add(self, session_id: str, item_id: str, piece: str) -> list[str]:
        """The sentences to play now that ``piece`` has arrived (in order; usually none or one)."""
        reply = self.get(session_id, item_id)
        reply.text += piece
        whole = list(split_sentences([reply.text]))[:-1]  # the last may not be over yet
        ready = whole[reply.played :]
        reply.played += len(ready)
        return _spoken(ready)

    def finish(self, session_id: str, item_id: str, content: str) -> ReplyEnd:
        reply = self._replies.pop((session_id, item_id), None) or ReplyInProgress()
        rest = _spoken(list(split_sentences([content]))[reply.played :])
        if not rest:
            return ReplyEnd([], None, reply.played, reply.call)
        return ReplyEnd(rest[:-1], rest[-1], reply.played, reply.call)
