"""The utterance buffer on a real Azurite: order, repeats, discard, the 30-second bound, restarts."""

from __future__ import annotations

import threading

import pytest

from shared.audio import (
    AUDIO_FRAME_TOO_LARGE,
    INVALID_AUDIO,
    INVALID_UTTERANCE,
    MAX_FRAME_BYTES,
    MAX_UTTERANCE_BYTES,
    UTTERANCE_TOO_LONG,
    AudioError,
    UtteranceBuffer,
)

SESSION = "sess-1"


def frame(seq: int, size: int = 3_200) -> bytes:
    """Recognisable PCM: every byte pair says which frame it came from."""
    return bytes([seq % 256, 0]) * (size // 2)


def refusal(call: object, *args: object) -> AudioError:
    with pytest.raises(AudioError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_frames_come_back_in_sequence_order_whatever_order_they_arrived_in(buffer: UtteranceBuffer) -> None:
    for seq in (2, 0, 3, 1):
        assert buffer.append(SESSION, "utt-1", seq, frame(seq)) is True

    assert buffer.assemble(SESSION, "utt-1") == frame(0) + frame(1) + frame(2) + frame(3)
    assert buffer.buffered_bytes(SESSION, "utt-1") == 4 * 3_200


def test_a_repeated_sequence_number_is_ignored_and_the_first_frame_kept(buffer: UtteranceBuffer) -> None:
    buffer.append(SESSION, "utt-1", 0, frame(0))
    buffer.append(SESSION, "utt-1", 1, frame(1))

    assert buffer.append(SESSION, "utt-1", 1, frame(99)) is False

    assert buffer.assemble(SESSION, "utt-1") == frame(0) + frame(1)
    assert buffer.buffered_bytes(SESSION, "utt-1") == 2 * 3_200


def test_a_full_size_frame_is_split_across_properties_and_read_back_whole(buffer: UtteranceBuffer) -> None:
    big = bytes(range(256)) * (MAX_FRAME_BYTES // 256)
    assert len(big) == MAX_FRAME_BYTES

    buffer.append(SESSION, "utt-1", 0, big)
    buffer.append(SESSION, "utt-1", 1, b"\x01\x00")

    assert buffer.assemble(SESSION, "utt-1") == big + b"\x01\x00"


def test_utterances_and_sessions_do_not_see_each_others_frames(buffer: UtteranceBuffer) -> None:
    # "u1-b" and "u10" sort right next to "u1." rows: the range must not take them in.
    buffer.append(SESSION, "u1", 0, frame(1))
    buffer.append(SESSION, "u1-b", 0, frame(2))
    buffer.append(SESSION, "u10", 0, frame(3))
    buffer.append("sess-2", "u1", 0, frame(4))

    assert buffer.assemble(SESSION, "u1") == frame(1)
    assert buffer.assemble(SESSION, "u1-b") == frame(2)
    assert buffer.assemble(SESSION, "u10") == frame(3)
    assert buffer.assemble("sess-2", "u1") == frame(4)


def test_discard_forgets_the_utterance_and_only_it(buffer: UtteranceBuffer) -> None:
    for seq in range(3):
        buffer.append(SESSION, "utt-1", seq, frame(seq))
    buffer.append(SESSION, "utt-2", 0, frame(7))

    buffer.discard(SESSION, "utt-1")
    buffer.discard(SESSION, "utt-1")  # twice is fine

    assert buffer.assemble(SESSION, "utt-1") == b""
    assert buffer.buffered_bytes(SESSION, "utt-1") == 0
    assert buffer.assemble(SESSION, "utt-2") == frame(7)
    # The same id can be used again from scratch.
    assert buffer.append(SESSION, "utt-1", 0, frame(5)) is True
    assert buffer.assemble(SESSION, "utt-1") == frame(5)


def test_frames_survive_a_restart_of_whoever_was_buffering(buffer: UtteranceBuffer) -> None:
    buffer.append(SESSION, "utt-1", 0, frame(0))
    buffer.append(SESSION, "utt-1", 1, frame(1))

    # A new process: nothing shared with the old one but the table.
    restarted = UtteranceBuffer.for_service(buffer.rows._service, buffer.rows.table_name)
    restarted.append(SESSION, "utt-1", 2, frame(2))

    assert restarted.assemble(SESSION, "utt-1") == frame(0) + frame(1) + frame(2)


def test_a_frame_past_30_seconds_is_refused_and_the_utterance_so_far_is_kept(buffer: UtteranceBuffer) -> None:
    full_frames = MAX_UTTERANCE_BYTES // MAX_FRAME_BYTES  # 14 frames of 64 KiB
    for seq in range(full_frames):
        buffer.append(SESSION, "utt-1", seq, bytes(MAX_FRAME_BYTES))
    room = MAX_UTTERANCE_BYTES - full_frames * MAX_FRAME_BYTES
    buffer.append(SESSION, "utt-1", full_frames, bytes(room))  # exactly 30 s

    error = refusal(buffer.append, SESSION, "utt-1", full_frames + 1, b"\x00\x00")

    assert error.code == UTTERANCE_TOO_LONG
    assert "30 seconds" in error.message
    assert len(buffer.assemble(SESSION, "utt-1")) == MAX_UTTERANCE_BYTES
    assert buffer.buffered_bytes(SESSION, "utt-1") == MAX_UTTERANCE_BYTES
    # The refused frame was not kept: the same seq is refused again, not taken as a repeat.
    assert refusal(buffer.append, SESSION, "utt-1", full_frames + 1, b"\x00\x00").code == UTTERANCE_TOO_LONG


def test_frames_appended_at_the_same_time_are_all_counted(buffer: UtteranceBuffer) -> None:
    errors: list[BaseException] = []

    def send(seq: int) -> None:
        try:
            buffer.append(SESSION, "utt-1", seq, frame(seq, 1_000))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=send, args=(seq,)) for seq in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert buffer.buffered_bytes(SESSION, "utt-1") == 8 * 1_000
    assert buffer.assemble(SESSION, "utt-1") == b"".join(frame(seq, 1_000) for seq in range(8))


def test_bad_frames_and_ids_are_refused_before_anything_is_stored(buffer: UtteranceBuffer) -> None:
    assert (
        refusal(buffer.append, SESSION, "utt-1", 0, bytes(MAX_FRAME_BYTES + 2)).code == AUDIO_FRAME_TOO_LARGE
    )
    assert refusal(buffer.append, SESSION, "utt-1", 0, b"\x00").code == INVALID_AUDIO
    assert refusal(buffer.append, SESSION, "utt.1", 0, b"").code == INVALID_UTTERANCE
    assert refusal(buffer.append, SESSION, "utt-1", -1, b"").code == INVALID_UTTERANCE
    assert refusal(buffer.append, SESSION, "utt-1", 1_000_000, b"").code == INVALID_UTTERANCE

    assert buffer.assemble(SESSION, "utt-1") == b""


def test_store_refuses_what_append_refuses_but_keeps_no_count(buffer: UtteranceBuffer) -> None:
    assert (
        refusal(buffer.store, SESSION, "utt-1", 0, bytes(MAX_FRAME_BYTES + 2)).code == AUDIO_FRAME_TOO_LARGE
    )
    assert refusal(buffer.store, SESSION, "utt-1", -1, b"").code == INVALID_UTTERANCE
    assert refusal(buffer.store, SESSION, "utt-1", 0, b"\x00").code == INVALID_AUDIO
    assert buffer.store(SESSION, "utt-1", 0, frame(0)) is True
    assert buffer.store(SESSION, "utt-1", 0, frame(9)) is False
    assert buffer.assemble(SESSION, "utt-1") == frame(0)
    assert buffer.buffered_bytes(SESSION, "utt-1") == 0
