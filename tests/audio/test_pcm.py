"""The session's audio format: frame validation and limits, WAV both ways, resampling. No I/O."""

from __future__ import annotations

import base64
import io
import itertools
import math
import struct
import wave

import pytest

from shared.audio import (
    AUDIO_FRAME_TOO_LARGE,
    INVALID_AUDIO,
    MAX_FRAME_BYTES,
    MAX_UTTERANCE_BYTES,
    UTTERANCE_TOO_LONG,
    AudioError,
    decode_chunk,
    duration_seconds,
    encode_chunk,
    from_wav,
    resample,
    split_frames,
    to_wav,
)
from shared.audio.pcm import check_utterance_length, wav_format
from tests.fakes.scripted_openai import pcm_as_wav


def tone(frequency: float, seconds: float, rate: int, amplitude: int = 10_000) -> bytes:
    count = round(seconds * rate)
    return struct.pack(
        f"<{count}h", *(round(amplitude * math.sin(2 * math.pi * frequency * i / rate)) for i in range(count))
    )


def samples(pcm: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(pcm) // 2}h", pcm)


def rising_crossings(pcm: bytes) -> int:
    values = samples(pcm)
    return sum(1 for a, b in itertools.pairwise(values) if a < 0 <= b)


def refusal(call: object, *args: object) -> AudioError:
    with pytest.raises(AudioError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


# ------------------------------------------------------------------------------------------ frames


def test_a_base64_frame_decodes_to_its_pcm_bytes() -> None:
    pcm = tone(440, 0.1, 16_000)

    assert decode_chunk(base64.b64encode(pcm).decode()) == pcm
    assert decode_chunk(encode_chunk(pcm)) == pcm


def test_an_empty_frame_is_no_audio_rather_than_an_error() -> None:
    assert decode_chunk("") == b""


def test_text_that_is_not_base64_is_refused_as_invalid_audio() -> None:
    for text in ("not base64!", "AAA", "AA==AA==", "ÄÖÜ="):
        error = refusal(decode_chunk, text)
        assert error.code == INVALID_AUDIO
        assert error.to_frame() == {
            "event": "error",
            "data": {"code": INVALID_AUDIO, "message": error.message},
        }


def test_an_odd_byte_count_is_half_a_sample_and_refused() -> None:
    error = refusal(decode_chunk, base64.b64encode(b"\x01\x02\x03").decode())

    assert error.code == INVALID_AUDIO
    assert "even" in error.message


def test_a_frame_of_exactly_the_limit_is_accepted_and_one_sample_more_is_refused() -> None:
    assert len(decode_chunk(encode_chunk(bytes(MAX_FRAME_BYTES)))) == MAX_FRAME_BYTES

    error = refusal(decode_chunk, encode_chunk(bytes(MAX_FRAME_BYTES + 2)))
    assert error.code == AUDIO_FRAME_TOO_LARGE
    assert str(MAX_FRAME_BYTES) in error.message


def test_a_huge_frame_is_refused_before_it_is_decoded() -> None:
    error = refusal(decode_chunk, "A" * 10_000_000)

    assert error.code == AUDIO_FRAME_TOO_LARGE


def test_duration_is_bytes_over_32000_per_second() -> None:
    assert duration_seconds(bytes(32_000)) == 1.0
    assert duration_seconds(bytes(8_000)) == 0.25


def test_an_utterance_may_last_30_seconds_and_not_a_sample_more() -> None:
    assert MAX_UTTERANCE_BYTES == 30 * 32_000
    check_utterance_length(MAX_UTTERANCE_BYTES)

    assert refusal(check_utterance_length, MAX_UTTERANCE_BYTES + 2).code == UTTERANCE_TOO_LONG


def test_long_audio_is_split_into_frames_within_the_limit() -> None:
    pcm = bytes(range(256)) * 600  # 153,600 bytes

    frames = split_frames(pcm)

    assert b"".join(frames) == pcm
    assert all(len(frame) <= MAX_FRAME_BYTES and len(frame) % 2 == 0 for frame in frames)
    assert [len(frame) for frame in split_frames(bytes(10), 4)] == [4, 4, 2]


# ------------------------------------------------------------------------------------------ WAV


def test_to_wav_writes_a_16khz_mono_16bit_wav_of_the_same_samples() -> None:
    pcm = tone(300, 0.25, 16_000)

    with wave.open(io.BytesIO(to_wav(pcm))) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (16_000, 1, 2)
        assert reader.readframes(reader.getnframes()) == pcm


def test_a_16khz_wav_round_trips_unchanged() -> None:
    pcm = tone(523, 0.3, 16_000)

    assert from_wav(to_wav(pcm)) == pcm


def test_a_24khz_wav_comes_back_at_16khz_with_two_thirds_of_the_samples_and_the_same_pitch() -> None:
    source = tone(440, 1.0, 24_000)

    pcm = from_wav(pcm_as_wav(source, 24_000))

    assert len(pcm) == len(source) * 2 // 3
    assert duration_seconds(pcm) == pytest.approx(1.0)
    assert rising_crossings(pcm) == pytest.approx(440, abs=2)


def test_an_8khz_wav_is_upsampled_to_twice_the_samples() -> None:
    source = tone(200, 0.5, 8_000)

    pcm = from_wav(pcm_as_wav(source, 8_000))

    assert len(pcm) == 2 * len(source)
    assert rising_crossings(pcm) == pytest.approx(100, abs=2)


def test_a_22050hz_wav_resamples_to_the_right_length() -> None:
    pcm = from_wav(pcm_as_wav(tone(300, 2.0, 22_050), 22_050))

    assert len(pcm) // 2 == 2 * 22_050 * 16_000 // 22_050
    assert rising_crossings(pcm) == pytest.approx(600, abs=3)


def test_a_stereo_wav_is_averaged_to_mono() -> None:
    left, right = 1000, 3000
    frames = struct.pack("<8h", *(left, right) * 4)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(16_000)
        writer.writeframes(frames)

    assert samples(from_wav(buffer.getvalue())) == (2000,) * 4


def test_a_streamed_wav_with_unknown_sizes_is_read_to_its_end() -> None:
    source = tone(440, 0.5, 16_000)

    assert from_wav(pcm_as_wav(source, 16_000, unknown_size=True)) == source
    assert wav_format(pcm_as_wav(source, 24_000, unknown_size=True)) == (24_000, 1, len(source) // 2)


def test_wavs_that_are_not_16bit_pcm_are_refused_clearly() -> None:
    eight_bit = io.BytesIO()
    with wave.open(eight_bit, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(1)
        writer.setframerate(16_000)
        writer.writeframes(b"\x80" * 100)
    float_wav = bytearray(to_wav(bytes(8)))
    float_wav[20:22] = struct.pack("<H", 3)  # WAVE_FORMAT_IEEE_FLOAT

    for data, why in (
        (eight_bit.getvalue(), "8-bit"),
        (bytes(float_wav), "not integer PCM"),
        (b"ID3\x04mp3 bytes", "not a RIFF/WAVE"),
        (to_wav(b"")[:36], "no audio data"),
    ):
        error = refusal(from_wav, data)
        assert error.code == INVALID_AUDIO
        assert why in error.message


def test_resampling_keeps_silence_silent_and_the_same_rate_unchanged() -> None:
    assert resample(bytes(4_800), 24_000) == bytes(3_200)
    pcm = tone(100, 0.1, 16_000)
    assert resample(pcm, 16_000, 16_000) == pcm


def test_downsampling_damps_what_would_alias() -> None:
    # 11 kHz at 24 kHz is above the 8 kHz Nyquist of 16 kHz: it must come out much quieter.
    near_nyquist = tone(11_000, 0.2, 24_000, amplitude=10_000)
    speech_band = tone(1_000, 0.2, 24_000, amplitude=10_000)

    def peak(pcm: bytes) -> int:
        return max(abs(value) for value in samples(pcm))

    assert peak(resample(near_nyquist, 24_000)) < 1_500
    assert peak(resample(speech_band, 24_000)) > 9_000
