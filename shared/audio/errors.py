"""How audio from a client is refused: an ``AudioError`` whose ``code`` and ``message`` go straight into
the session's ``error`` frame (a bad frame is refused and the session goes on)."""

from __future__ import annotations

from typing import Any

# Error codes (the ``code`` of an ``error`` frame).
INVALID_AUDIO = "InvalidAudio"  # not base64, an odd byte count, a WAV we cannot read
AUDIO_FRAME_TOO_LARGE = "AudioFrameTooLarge"  # one frame beyond ``MAX_FRAME_BYTES``
UTTERANCE_TOO_LONG = "UtteranceTooLong"  # the utterance beyond ``MAX_UTTERANCE_SECONDS``
INVALID_UTTERANCE = "InvalidUtterance"  # an utterance id or sequence number we cannot store


class AudioError(Exception):
    """Audio that is refused. ``message`` is written for the client and holds no audio."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (durable activities may raise it)
        return (AudioError, (self.code, self.message))

    def to_frame(self) -> dict[str, Any]:
        """The session's ``error`` event for this refusal."""
        return {"event": "error", "data": {"code": self.code, "message": self.message}}

    def __repr__(self) -> str:
        return f"AudioError(code={self.code!r}, message={self.message!r})"
