"""The audio of an utterance being spoken, kept in Table storage until it is closed.

Frames of one utterance can reach different instances (or the same devhost before and after a restart),
so nothing is held in memory: each frame is one entity, and closing the utterance reads them all back.

Table ``sessionaudio``, partition = the session id:

- ``<utterance id>.<seq:06d>``: one frame, its PCM in up to two binary properties of 32 KiB (the
  service's limit is 64 KiB per property; a frame is at most ``MAX_FRAME_BYTES`` = 64 KiB, so two parts
  always fit, with room to spare under the 1 MiB entity limit).
- ``<utterance id>``: the head, holding how many bytes the utterance has so far. It is written with its
  ETag (read, add, conditional replace; again on a conflict), so frames handled at the same time by two
  instances are both counted and the ``MAX_UTTERANCE_SECONDS`` bound holds without reading every frame
  back on each append.

A frame is stored first, then counted: a repeated ``seq`` finds its row taken and is ignored (first
write wins) without touching the count; a frame that would take the utterance past the bound is removed
again and refused. Should the process stop between the two writes, the frame is kept but not counted;
``assemble`` checks the real length, so the bound still holds when the utterance closes.

Abandoned utterances (a client that never sends ``final``) stay until ``discard``: the session removes
its open utterance when it ends.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from azure.data.tables import TableServiceClient
from pydantic import BaseModel, ConfigDict

from shared.audio.errors import AUDIO_FRAME_TOO_LARGE, INVALID_UTTERANCE, AudioError
from shared.audio.pcm import MAX_FRAME_BYTES, check_pcm, check_utterance_length
from shared.storage import AlreadyExists, ConcurrencyConflict, NotFound, TableRepository

UTTERANCE_TABLE = "sessionaudio"
PART_BYTES = 32 * 1024  # one binary property at most (the service allows 64 KiB)
MAX_SEQ = 999_999  # six digits in the row key keep RowKey order = seq order
_UTTERANCE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # no '.': it separates the id from the seq
_MAX_ATTEMPTS = 20  # conditional writes of the head before giving up (as shared.concurrency does)

assert 2 * PART_BYTES >= MAX_FRAME_BYTES, "a frame must fit in the two parts of its row"


class AudioRow(BaseModel):
    """One row of the table: a frame (``kind="frame"``) or an utterance's head (``kind="head"``).
    PCM parts are stored as binary properties (their JSON form, never used for storage, is base64)."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    id: str  # the RowKey
    kind: Literal["frame", "head"]
    utterance_id: str
    seq: int = -1  # frames only
    size: int = 0  # a frame's bytes; the head's total
    part0: bytes | None = None
    part1: bytes | None = None
    updated_at: datetime

    @property
    def pcm(self) -> bytes:
        return (self.part0 or b"") + (self.part1 or b"")


class UtteranceBuffer:
    """Frames of open utterances, per session, in Table storage (see the module's note)."""

    def __init__(self, rows: TableRepository[AudioRow]) -> None:
        self.rows = rows

    @classmethod
    def for_service(cls, service: TableServiceClient, table_name: str = UTTERANCE_TABLE) -> UtteranceBuffer:
        return cls(TableRepository(service, table_name, AudioRow))

    def append(self, session_id: str, utterance_id: str, seq: int, pcm: bytes) -> bool:
        """Keep frame ``seq`` of the utterance. False when that ``seq`` was already kept (the repeat is
        ignored). Raises ``AudioError``: ``AudioFrameTooLarge``, ``InvalidAudio`` (half a sample),
        ``UtteranceTooLong`` (the frame is not kept; the frames before it are), ``InvalidUtterance``."""
        if not self.store(session_id, utterance_id, seq, pcm):
            return False
        try:
            self._count(session_id, utterance_id, len(pcm))
        except Exception:
            self.rows.delete(session_id, frame_row_id(utterance_id, seq))
            raise
        return True

    def store(self, session_id: str, utterance_id: str, seq: int, pcm: bytes) -> bool:
        """Keep frame ``seq`` without counting it in the head: for a caller that bounds the utterance
        itself (server turn detection ends an utterance at ``MAX_UTTERANCE_SECONDS``). False when that
        ``seq`` was already kept. Raises ``AudioError``: ``AudioFrameTooLarge``, ``InvalidAudio``,
        ``InvalidUtterance``."""
        _check_utterance_id(utterance_id)
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
            raise AudioError(INVALID_UTTERANCE, f"An audio frame's sequence number is 0 to {MAX_SEQ}.")
        if len(pcm) > MAX_FRAME_BYTES:
            raise AudioError(
                AUDIO_FRAME_TOO_LARGE, f"An audio frame holds at most {MAX_FRAME_BYTES} bytes of PCM."
            )
        check_pcm(pcm)
        row = AudioRow(
            id=frame_row_id(utterance_id, seq),
            kind="frame",
            utterance_id=utterance_id,
            seq=seq,
            size=len(pcm),
            part0=pcm[:PART_BYTES] or None,
            part1=pcm[PART_BYTES:] or None,
            updated_at=_now(),
        )
        try:
            self.rows.create(session_id, row)
        except AlreadyExists:
            return False
        return True

    def assemble(self, session_id: str, utterance_id: str) -> bytes:
        """The utterance's PCM: its frames in ``seq`` order (a missing ``seq`` is skipped). Raises
        ``AudioError(UtteranceTooLong)`` if it is longer than the bound."""
        frames = sorted(self._frames(session_id, utterance_id), key=lambda row: row.seq)
        pcm = b"".join(row.pcm for row in frames)
        check_utterance_length(len(pcm))
        return pcm

    def buffered_bytes(self, session_id: str, utterance_id: str) -> int:
        """The bytes counted for the utterance so far (0 when none)."""
        _check_utterance_id(utterance_id)
        try:
            return self.rows.get(session_id, utterance_id).entity.size
        except NotFound:
            return 0

    def discard(self, session_id: str, utterance_id: str) -> None:
        """Forget the utterance: its frames, then its head. Discarding twice is not an error."""
        for row in self._frames(session_id, utterance_id):
            self.rows.delete(session_id, row.id)
        self.rows.delete(session_id, utterance_id)

    # ------------------------------------------------------------------------------------ internals

    def _frames(self, session_id: str, utterance_id: str) -> list[AudioRow]:
        _check_utterance_id(utterance_id)
        # '/' follows '.' in code point order: this range is exactly "<utterance id>.*".
        return self.rows.list_all(
            session_id,
            filter="RowKey ge @first and RowKey lt @after and kind eq 'frame'",
            parameters={"first": f"{utterance_id}.", "after": f"{utterance_id}/"},
        )

    def _count(self, session_id: str, utterance_id: str, size: int) -> None:
        """Add ``size`` to the head's total (conditional writes), or refuse it beyond the bound."""
        for _ in range(_MAX_ATTEMPTS):
            try:
                stored = self.rows.get(session_id, utterance_id)
            except NotFound:
                check_utterance_length(size)
                head = AudioRow(
                    id=utterance_id, kind="head", utterance_id=utterance_id, size=size, updated_at=_now()
                )
                try:
                    self.rows.create(session_id, head)
                    return
                except AlreadyExists:
                    continue
            total = stored.entity.size + size
            check_utterance_length(total)
            try:
                self.rows.update(
                    session_id,
                    stored.entity.model_copy(update={"size": total, "updated_at": _now()}),
                    stored.etag,
                )
                return
            except (ConcurrencyConflict, NotFound):
                continue
        raise ConcurrencyConflict(f"Utterance {utterance_id!r} is being written by too many at once.")


def frame_row_id(utterance_id: str, seq: int) -> str:
    return f"{utterance_id}.{seq:06d}"


def _check_utterance_id(utterance_id: str) -> None:
    if not isinstance(utterance_id, str) or not _UTTERANCE_ID.fullmatch(utterance_id):
        raise AudioError(INVALID_UTTERANCE, "An utterance id is 1 to 128 letters, digits, '-' or '_'.")


def _now() -> datetime:
    return datetime.now(UTC)
