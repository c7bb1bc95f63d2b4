"""Turn detection on real speech (espeak-ng fixtures, see tests/fixtures/speech/README.md), no mocks.

Sizes and positions are counted in bytes and stream milliseconds, never in wall-clock time."""

from __future__ import annotations

import json
import random
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shared.audio.pcm import BYTES_PER_SECOND, MAX_UTTERANCE_BYTES
from shared.audio.turn_detection import (
    FRAME_BYTES,
    MAX_STATE_CHARS,
    DetectionStep,
    DetectorState,
    TurnDetectionSettings,
    detect,
    detect_all,
)

SPEECH = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
HOURS = (SPEECH / "what_are_your_hours.pcm").read_bytes()  # 1.618 s
TABLE = (SPEECH / "can_i_book_a_table.pcm").read_bytes()  # 1.508 s
DEFAULTS = TurnDetectionSettings()
FRAME_MS = 20


def silence(ms: int) -> bytes:
    return bytes(ms * BYTES_PER_SECOND // 1000)


def hiss(ms: int, level: int, seed: int = 7) -> bytes:
    """Steady microphone noise: Gaussian, ``level`` the standard deviation in sample units."""
    rng = random.Random(seed)
    count = ms * BYTES_PER_SECOND // 1000 // 2
    return array("h", (max(-32768, min(32767, round(rng.gauss(0, level)))) for _ in range(count))).tobytes()


def ms(nbytes: int) -> float:
    return nbytes * 1000 / BYTES_PER_SECOND


@dataclass
class Run:
    """What a caller saw over a whole stream: boundaries in stream ms, and each utterance's audio."""

    starts: list[int] = field(default_factory=list)  # where each utterance's audio begins (padding included)
    ends: list[int] = field(default_factory=list)
    utterances: list[bytes] = field(default_factory=list)
    trailing: list[int] = field(default_factory=list)
    largest_state: int = 0
    open_audio: bytearray = field(default_factory=bytearray)


def stream(pcm: bytes, settings: TurnDetectionSettings = DEFAULTS, sizes: list[int] | None = None) -> Run:
    """Feed ``pcm`` in chunks (20 ms, or ``sizes`` in turn) the way the stateless trigger does: the state
    is loaded from its JSON before each chunk and saved as JSON after it."""
    run, saved, offset, turn = Run(), DetectorState().to_json(), 0, 0
    while offset < len(pcm):
        size = sizes[turn % len(sizes)] if sizes else FRAME_BYTES
        chunk, offset, turn = pcm[offset : offset + size], offset + size, turn + 1
        state = DetectorState.from_json(saved)
        for step in detect_all(state, chunk, settings):
            record(run, step)
        saved = step.state.to_json()
        assert DetectorState.from_json(saved) == step.state
        run.largest_state = max(run.largest_state, len(saved))
    return run


def record(run: Run, step: DetectionStep) -> None:
    assert step.audio or not step.speech_started
    if step.speech_started:
        assert not run.open_audio
        run.starts.append(step.state.utterance_start_ms)
    run.open_audio += step.audio
    if step.speech_ended:
        run.ends.append(step.state.position_ms)
        run.utterances.append(bytes(run.open_audio))
        run.trailing.append(step.trailing_silence_bytes)
        run.open_audio.clear()


@pytest.mark.parametrize(
    "audio",
    [silence(3000), hiss(3000, 100), hiss(3000, 300)],
    ids=["digital", "hiss-50dBFS", "hiss-40dBFS"],
)
@pytest.mark.parametrize("threshold", [0.1, 0.5, 0.9])
def test_silence_and_steady_noise_never_start_a_turn(audio: bytes, threshold: float) -> None:
    run = stream(audio, TurnDetectionSettings(threshold=threshold))
    assert run.starts == [] and run.ends == [] and not run.open_audio


def test_louder_noise_needs_a_higher_threshold() -> None:
    noisy_room = hiss(3000, 1000)  # -30 dBFS
    assert stream(noisy_room, TurnDetectionSettings(threshold=0.1)).starts  # mode 0 takes it for speech
    assert not stream(noisy_room, TurnDetectionSettings(threshold=0.5)).starts
    assert not stream(noisy_room, TurnDetectionSettings(threshold=0.9)).starts


def test_short_clicks_do_not_start_a_turn() -> None:
    click = array("h", [20000 if (i // 8) % 2 else -20000 for i in range(FRAME_BYTES // 2)]).tobytes()
    burst = HOURS[19200 : 19200 + 2 * FRAME_BYTES]  # 40 ms cut out of a word
    run = stream(silence(500) + click + silence(700) + burst + silence(700))
    assert run.starts == []


def test_one_question_in_20ms_chunks_is_one_utterance_with_its_padding() -> None:
    pcm = silence(1000) + HOURS + silence(1000)
    run = stream(pcm)
    assert len(run.starts) == len(run.ends) == 1
    (start,), (end,), (utterance,), (trailing,) = run.starts, run.ends, run.utterances, run.trailing
    assert start == 1000 - DEFAULTS.prefix_padding_ms  # the padding before the first voiced frame
    # The utterance is exactly the stream between its boundaries...
    assert utterance == pcm[start * 32 : end * 32]
    # ...that is the speech, the padding and the closing silence (webrtcvad hangs on ~100 ms past it).
    assert trailing == DEFAULTS.silence_duration_ms * 32
    spoken = ms(len(utterance) - trailing) - DEFAULTS.prefix_padding_ms
    assert ms(len(HOURS)) - 40 <= spoken <= ms(len(HOURS)) + 160


def test_any_chunking_gives_the_same_boundaries_and_audio() -> None:
    pcm = silence(700) + HOURS + silence(900) + TABLE + silence(1000)
    reference = stream(pcm)
    assert len(reference.starts) == len(reference.ends) == 2
    rng = random.Random(20240611)
    for _ in range(4):
        sizes = [rng.choice([1, 3, 639, 641, 1001, rng.randint(1, 9000), 65536]) for _ in range(60)]
        run = stream(pcm, sizes=sizes)
        # Frames sit at fixed stream offsets, so the boundaries are exact, not merely within a frame.
        assert run.starts == reference.starts and run.ends == reference.ends
        assert run.utterances == reference.utterances


def test_a_short_utterance_inside_one_big_chunk_starts_and_ends_in_one_step() -> None:
    pcm = silence(300) + TABLE + silence(800) + b"tail"
    step = detect(DetectorState(), pcm, DEFAULTS)
    assert step.speech_started and step.speech_ended
    assert step.state.pending == b"" and step.rest.endswith(b"tail")
    assert len(step.rest) == len(pcm) - step.state.position_ms * 32  # all after the closing frame
    then = detect(step.state, step.rest, DEFAULTS)  # the caller feeds the unread rest back
    assert not then.speech_started and not then.audio and then.rest == b""


def test_two_utterances_in_one_chunk_come_as_two_steps() -> None:
    pcm = silence(500) + HOURS + silence(1000) + TABLE + silence(1000)
    steps = detect_all(DetectorState(), pcm, DEFAULTS)
    run = Run()
    for step in steps:
        record(run, step)
    reference = stream(pcm)
    assert (run.starts, run.ends) == (reference.starts, reference.ends)
    assert run.utterances == reference.utterances
    assert [s.speech_started for s in steps] == [True, True, False]
    assert steps[-1].state.position_ms == ms(len(pcm)) // FRAME_MS * FRAME_MS


def test_a_longer_silence_duration_ends_the_turn_later() -> None:
    pcm = silence(500) + HOURS + silence(1500)
    quick = stream(pcm, TurnDetectionSettings(silence_duration_ms=500))
    patient = stream(pcm, TurnDetectionSettings(silence_duration_ms=1000))
    assert len(quick.ends) == len(patient.ends) == 1
    assert patient.ends[0] - quick.ends[0] == 500
    assert len(patient.utterances[0]) - len(quick.utterances[0]) == 500 * 32


def test_a_pause_shorter_than_the_silence_duration_does_not_split_the_turn() -> None:
    pcm = silence(500) + HOURS + silence(400) + TABLE + silence(1200)
    together = stream(pcm, TurnDetectionSettings(silence_duration_ms=500))
    assert len(together.starts) == len(together.ends) == 1
    assert ms(len(together.utterances[0])) >= ms(len(HOURS) + len(TABLE)) + 400
    split = stream(pcm, TurnDetectionSettings(silence_duration_ms=200))
    assert len(split.starts) == len(split.ends) == 2
    # The second utterance's padding never reaches back into the first one.
    assert split.starts[1] >= split.ends[0]
    assert sum(map(len, split.utterances)) <= len(pcm)


def test_an_endless_turn_is_cut_at_the_utterance_bound() -> None:
    speech = HOURS * 20  # 32 s without a pause
    run = stream(speech + silence(1000), sizes=[65536])
    assert len(run.utterances[0]) == MAX_UTTERANCE_BYTES


@pytest.mark.parametrize("prefix", [0, 300, 5000])
def test_the_state_stays_small_whatever_the_settings(prefix: int) -> None:
    settings = TurnDetectionSettings(prefix_padding_ms=prefix, silence_duration_ms=10000)
    run = stream(silence(1000) + HOURS + silence(1000) + hiss(2000, 300), settings, sizes=[FRAME_BYTES - 2])
    assert run.starts
    assert run.largest_state <= MAX_STATE_CHARS < 40_000


@pytest.mark.parametrize(
    ("threshold", "mode"), [(0, 0), (0.24, 0), (0.25, 1), (0.49, 1), (0.5, 2), (0.74, 2), (0.75, 3), (1, 3)]
)
def test_threshold_picks_the_webrtcvad_mode(threshold: float, mode: int) -> None:
    assert TurnDetectionSettings(threshold=threshold).aggressiveness == mode


def test_settings_from_the_published_object() -> None:
    assert TurnDetectionSettings.from_wire(None) == TurnDetectionSettings(0.5, 300, 500)
    assert TurnDetectionSettings.from_wire({}) == DEFAULTS
    wire = {"threshold": 0.9, "prefix_padding_ms": 400, "silence_duration_ms": 500}
    recommended = TurnDetectionSettings.from_wire(wire)
    assert recommended.to_wire() == wire and json.loads(json.dumps(recommended.to_wire())) == wire
    # A partial update replaces only the fields it gives; null leaves a field as it was.
    patched = TurnDetectionSettings.from_wire({"silence_duration_ms": 800, "threshold": None}, recommended)
    assert patched == TurnDetectionSettings(0.9, 400, 800)
    assert TurnDetectionSettings.from_wire({"threshold": 1, "prefix_padding_ms": 250.0}).to_wire() == {
        "threshold": 1.0, "prefix_padding_ms": 250, "silence_duration_ms": 500,
    }


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ({"threshold": 1.5}, "turnDetection.threshold must be a number from 0 to 1"),
        ({"threshold": -0.1}, "turnDetection.threshold"),
        ({"threshold": "0.5"}, "turnDetection.threshold"),
        ({"threshold": True}, "turnDetection.threshold"),
        ({"threshold": float("nan")}, "turnDetection.threshold"),
        ({"prefix_padding_ms": -1}, "turnDetection.prefix_padding_ms must be a whole number"),
        ({"prefix_padding_ms": 5001}, "from 0 to 5000"),
        ({"prefix_padding_ms": 300.5}, "turnDetection.prefix_padding_ms"),
        ({"silence_duration_ms": "500"}, "turnDetection.silence_duration_ms"),
        ({"silence_duration_ms": 10001}, "from 0 to 10000"),
        ({"silenceDurationMs": 500}, "unknown fields: silenceDurationMs"),
        ([0.5, 300, 500], "turnDetection must be an object"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(wire: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TurnDetectionSettings.from_wire(wire)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"v": 2}',
        DetectorState().to_json().replace('"position_ms":0', '"position_ms":-20'),
        DetectorState().to_json().replace('"pending":""', '"pending":"%%%"'),
        DetectorState(pending=b"\0" * FRAME_BYTES).to_json(),
        DetectorState(history=b"\0" * 10).to_json(),
    ],
)
def test_a_damaged_state_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="turn detection state"):
        DetectorState.from_json(text)
