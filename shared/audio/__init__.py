"""Session audio: the PCM16 16 kHz mono format both ways (``pcm``), refusals as ``error`` frames
(``errors``), and utterances buffered in Table storage until they close (``utterance``)."""

from shared.audio.errors import (
    AUDIO_FRAME_TOO_LARGE,
    INVALID_AUDIO,
    INVALID_UTTERANCE,
    UTTERANCE_TOO_LONG,
    AudioError,
)
from shared.audio.pcm import (
    BYTES_PER_SECOND,
    FORMAT_NAME,
    MAX_FRAME_BYTES,
    MAX_UTTERANCE_BYTES,
    MAX_UTTERANCE_SECONDS,
    SAMPLE_RATE,
    decode_chunk,
    duration_seconds,
    encode_chunk,
    from_wav,
    resample,
    split_frames,
    to_wav,
)
from shared.audio.utterance import UTTERANCE_TABLE, AudioRow, UtteranceBuffer

__all__ = [
    "AUDIO_FRAME_TOO_LARGE",
    "BYTES_PER_SECOND",
    "FORMAT_NAME",
    "INVALID_AUDIO",
    "INVALID_UTTERANCE",
    "MAX_FRAME_BYTES",
    "MAX_UTTERANCE_BYTES",
    "MAX_UTTERANCE_SECONDS",
    "SAMPLE_RATE",
    "UTTERANCE_TABLE",
    "UTTERANCE_TOO_LONG",
    "AudioError",
    "AudioRow",
    "UtteranceBuffer",
    "decode_chunk",
    "duration_seconds",
    "encode_chunk",
    "from_wav",
    "resample",
    "split_frames",
    "to_wav",
]
