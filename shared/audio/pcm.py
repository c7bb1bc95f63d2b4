"""The session's audio format, both ways: base64 PCM16, 16 kHz, mono (signed 16-bit little-endian).

- ``decode_chunk`` reads one client frame and refuses what it cannot be: not base64, an odd byte count
  (half a sample), more than ``MAX_FRAME_BYTES`` decoded.
- ``to_wav`` wraps PCM in a WAV header for the transcription upload (the endpoints want a file format).
- ``from_wav`` reads a provider's WAV back into our format. Decision: **resample, do not refuse**. OpenAI's
  speech endpoint answers 24 kHz and OpenAI-compatible servers answer what their voice was trained at
  (22.05 kHz, 24 kHz, 44.1 kHz...), so refusing other rates would leave most providers mute. What is
  refused, clearly, is what cannot be converted without guessing: compressed or float samples, widths
  other than 16 bits. Stereo (or more) is averaged down to mono.
- ``resample`` is linear interpolation over ``array('h')``, no ``audioop`` (deprecated in 3.11, gone in
  3.13) and no numpy. Going down in rate it first runs a [1/4, 1/2, 1/4] smoothing pass, a cheap
  anti-alias filter: it removes the source's Nyquist frequency and damps what would fold back (at 24 ->
  16 kHz, the 8 kHz content to a quarter). Good enough for speech; not a studio resampler.

Plain functions over bytes, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import sys
import wave
from array import array

from shared.audio.errors import AUDIO_FRAME_TOO_LARGE, INVALID_AUDIO, UTTERANCE_TOO_LONG, AudioError

SAMPLE_RATE = 16_000  # Hz
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes: signed 16-bit, little-endian
BYTES_PER_SECOND = SAMPLE_RATE * CHANNELS * SAMPLE_WIDTH  # 32,000
FORMAT_NAME = "pcm16-16khz"  # the audio of ``send_audio`` and ``audio_received``

MAX_FRAME_BYTES = 64 * 1024  # one decoded frame at most (2.048 s)
MAX_UTTERANCE_SECONDS = 30
MAX_UTTERANCE_BYTES = MAX_UTTERANCE_SECONDS * BYTES_PER_SECOND  # 960,000
# The longest base64 text that can decode to MAX_FRAME_BYTES (checked before decoding anything).
_MAX_FRAME_BASE64 = 4 * -(-MAX_FRAME_BYTES // 3)

_MIN_WAV_RATE, _MAX_WAV_RATE = 4_000, 384_000
_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_UNKNOWN_SIZE = 0xFFFFFFFF  # what streaming writers put in the RIFF and data sizes


def decode_chunk(base64_text: str) -> bytes:
    """One client frame's audio: the PCM bytes of ``base64_text`` (standard alphabet, padded; blanks
    around it are ignored). An empty string is no audio (a frame that only says ``final``).

    Raises ``AudioError``: ``AudioFrameTooLarge`` beyond ``MAX_FRAME_BYTES`` decoded, ``InvalidAudio``
    for text that is not base64 or bytes that are not whole 16-bit samples."""
    if not isinstance(base64_text, str):
        raise AudioError(INVALID_AUDIO, "The audio must be a base64 string of PCM16 16 kHz mono samples.")
    text = base64_text.strip()
    if len(text) > _MAX_FRAME_BASE64:
        raise _frame_too_large((len(text) // 4) * 3)
    try:
        pcm = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:  # ValueError: non-ASCII characters
        raise AudioError(
            INVALID_AUDIO, "The audio is not valid base64 (standard alphabet, with '=' padding)."
        ) from error
    if len(pcm) > MAX_FRAME_BYTES:
        raise _frame_too_large(len(pcm))
    check_pcm(pcm)
    return pcm


def encode_chunk(pcm: bytes) -> str:
    """PCM bytes as the base64 text of an ``audio_received`` event."""
    return base64.b64encode(pcm).decode("ascii")


def check_pcm(pcm: bytes) -> bytes:
    """Whole 16-bit samples, or ``AudioError(InvalidAudio)``."""
    if len(pcm) % SAMPLE_WIDTH:
        raise AudioError(
            INVALID_AUDIO,
            f"The audio has {len(pcm)} bytes: PCM16 needs an even number (2 bytes per sample).",
        )
    return pcm


def duration_seconds(pcm: bytes) -> float:
    """How long ``pcm`` (16 kHz mono PCM16) plays."""
    return len(pcm) / BYTES_PER_SECOND


def check_utterance_length(total_bytes: int) -> None:
    """The ``MAX_UTTERANCE_SECONDS`` rule: raises ``AudioError(UtteranceTooLong)`` beyond it."""
    if total_bytes > MAX_UTTERANCE_BYTES:
        raise AudioError(
            UTTERANCE_TOO_LONG,
            f"The utterance is longer than {MAX_UTTERANCE_SECONDS} seconds; close it with final: true "
            "sooner (the audio so far was dropped).",
        )


def split_frames(pcm: bytes, max_bytes: int = MAX_FRAME_BYTES) -> list[bytes]:
    """``pcm`` in pieces of at most ``max_bytes`` (even), for ``audio_received`` events."""
    step = max(SAMPLE_WIDTH, max_bytes - max_bytes % SAMPLE_WIDTH)
    return [pcm[start : start + step] for start in range(0, len(pcm), step)]


# ------------------------------------------------------------------------------------------ WAV


def to_wav(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    """``pcm`` (mono PCM16 at ``sample_rate``) as a WAV file."""
    check_pcm(pcm)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(CHANNELS)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(sample_rate)
        writer.writeframes(pcm)
    return buffer.getvalue()


def from_wav(wav: bytes) -> bytes:
    """A WAV file's audio as 16 kHz mono PCM16: down-mixed and resampled as needed.

    Reads the RIFF chunks itself (``wave`` refuses the 0xFFFFFFFF sizes that streaming servers write):
    an unknown or overlong ``data`` size means "to the end". Raises ``AudioError(InvalidAudio)`` for
    what is not a readable 16-bit PCM WAV."""
    rate, channels, data = _read_wav(wav)
    samples = _samples(data)
    if channels > 1:
        samples = _downmix(samples, channels)
    return _to_bytes(resample_samples(samples, rate, SAMPLE_RATE))


def wav_format(wav: bytes) -> tuple[int, int, int]:
    """``(sample_rate, channels, frame_count)`` of a 16-bit PCM WAV (for checks and tests)."""
    rate, channels, data = _read_wav(wav)
    return rate, channels, len(data) // (SAMPLE_WIDTH * channels)


def _read_wav(wav: bytes) -> tuple[int, int, bytes]:
    if len(wav) < 12 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise _bad_wav("it is not a RIFF/WAVE file")
    position = 12
    format_: tuple[int, int, int] | None = None  # rate, channels, bits
    while position + 8 <= len(wav):
        chunk_id = wav[position : position + 4]
        (size,) = struct.unpack_from("<I", wav, position + 4)
        body_start = position + 8
        if chunk_id == b"fmt ":
            format_ = _read_format(wav[body_start : body_start + size])
        elif chunk_id == b"data":
            if format_ is None:
                raise _bad_wav("its data comes before its format")
            rate, channels, _bits = format_
            end = len(wav) if size == _UNKNOWN_SIZE else min(len(wav), body_start + size)
            data = wav[body_start:end]
            frame = SAMPLE_WIDTH * channels
            return rate, channels, data[: len(data) - len(data) % frame]
        position = body_start + size + (size & 1)  # chunks are padded to even sizes
    raise _bad_wav("it has no audio data")


def _read_format(body: bytes) -> tuple[int, int, int]:
    if len(body) < 16:
        raise _bad_wav("its format chunk is too short")
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
        (tag,) = struct.unpack_from("<H", body, 24)  # the sub-format GUID starts with the format tag
    if tag != _WAVE_FORMAT_PCM:
        raise _bad_wav(f"its samples are not integer PCM (format {tag:#06x})")
    if bits != 16:
        raise _bad_wav(f"its samples are {bits}-bit; only 16-bit PCM is read")
    if not 1 <= channels <= 8:
        raise _bad_wav(f"it has {channels} channels")
    if not _MIN_WAV_RATE <= rate <= _MAX_WAV_RATE:
        raise _bad_wav(f"its sample rate {rate} Hz is out of range")
    return rate, channels, bits


def _bad_wav(why: str) -> AudioError:
    return AudioError(INVALID_AUDIO, f"The provider's audio could not be read: {why}.")


# ------------------------------------------------------------------------------------------ resampling


def resample(pcm: bytes, from_rate: int, to_rate: int = SAMPLE_RATE) -> bytes:
    """Mono PCM16 ``pcm`` at ``from_rate`` as mono PCM16 at ``to_rate``: ``len * to // from`` samples
    (rounded down), linear interpolation, smoothed first when going down (see the module's note)."""
    check_pcm(pcm)
    return _to_bytes(resample_samples(_samples(pcm), from_rate, to_rate))


def resample_samples(samples: array[int], from_rate: int, to_rate: int) -> array[int]:
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError("sample rates must be positive")
    if from_rate == to_rate or not samples:
        return samples
    if to_rate < from_rate:
        samples = _smooth(samples)
    count = len(samples) * to_rate // from_rate
    last = len(samples) - 1
    out = array("h", bytes(count * SAMPLE_WIDTH))
    for index in range(count):
        # Exact position index * from / to as a whole part and a fraction over to_rate.
        whole, rest = divmod(index * from_rate, to_rate)
        left = samples[whole]
        if rest == 0 or whole >= last:
            out[index] = left
        else:
            out[index] = left + ((samples[whole + 1] - left) * rest) // to_rate
    return out


def _smooth(samples: array[int]) -> array[int]:
    """The [1/4, 1/2, 1/4] filter (edges repeat their sample), rounded, within int16."""
    if len(samples) < 3:
        return samples
    padded = [samples[0], *samples, samples[-1]]
    return array(
        "h", [(padded[i - 1] + 2 * padded[i] + padded[i + 1] + 2) >> 2 for i in range(1, len(padded) - 1)]
    )


def _downmix(samples: array[int], channels: int) -> array[int]:
    frames = len(samples) // channels
    return array("h", [sum(samples[f * channels : (f + 1) * channels]) // channels for f in range(frames)])


def _samples(pcm: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _to_bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def _frame_too_large(size: int) -> AudioError:
    return AudioError(
        AUDIO_FRAME_TOO_LARGE,
        f"An audio frame holds at most {MAX_FRAME_BYTES} bytes of PCM "
        f"({MAX_FRAME_BYTES / BYTES_PER_SECOND:g} s at 16 kHz); this one has about {size}. "
        "Send shorter frames.",
    )
