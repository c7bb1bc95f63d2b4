"""Voice on the WebSocket channel, as a microphone sends it: a continuous ``send_audio`` stream with no
end marker; the server's turn detection hears where an utterance starts (``speech_started``) and ends
(after ``silence_duration_ms`` of silence), transcribes it and answers it aloud; speech during a reply
cuts it short (barge-in); an utterance survives a devhost crash between its chunks.

The speech is real (tests/fixtures/speech, espeak-ng); the scripted model transcribes every utterance
as the text the test sets and speaks a 440 Hz tone per character."""

from __future__ import annotations

import signal
from typing import Any

from shared.audio.pcm import BYTES_PER_SECOND, decode_chunk, encode_chunk
from tests.devhost.helpers import REPO_ROOT
from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, events_named, fields_of, message_of, open_connection
from tests.fakes.scripted_openai import SPEECH_RATE, speech_pcm

SPEECH = REPO_ROOT / "tests" / "fixtures" / "speech"
HOURS = (SPEECH / "what_are_your_hours.pcm").read_bytes()  # "What are your hours on Saturday?", 1.618 s
TABLE = (SPEECH / "can_i_book_a_table.pcm").read_bytes()  # "Can I book a table for two?", 1.508 s
CHUNK = BYTES_PER_SECOND * 40 // 1000  # 40 ms of microphone audio per send_audio
WAV_HEADER = 44
PREFIX_PADDING, SILENCE_DURATION = 0.3, 0.5  # the turn detection defaults (seconds)
# webrtcvad holds its verdict ~100 ms past a sound, and the utterance keeps its closing silence: an
# utterance's audio is its speech + the prefix padding + the silence window, give or take this much.
SLACK = int(0.3 * BYTES_PER_SECOND)


def _silence(seconds: float) -> bytes:
    return bytes(int(seconds * BYTES_PER_SECOND) // 2 * 2)


def _stream(client: SessionClient, pcm: bytes) -> None:
    """``pcm`` as a microphone sends it: small chunks, no marker at the end."""
    for start in range(0, len(pcm), CHUNK):
        client.command("send_audio", audio=encode_chunk(pcm[start : start + CHUNK]))


def _speak(client: SessionClient, pcm: bytes, after: float = 1.0) -> None:
    """A spoken phrase: a little room noise before it (silence), the phrase, then the mic stays on."""
    _stream(client, _silence(0.4) + pcm + _silence(after))


def _expected_wav_bytes(speech_bytes: int, silence_duration: float = SILENCE_DURATION) -> int:
    return WAV_HEADER + int((PREFIX_PADDING + silence_duration) * BYTES_PER_SECOND) + speech_bytes


def _opened(client: SessionClient) -> None:
    client.receive_until("avatar_state_changed", state="ready")


def _until_reply_ends(client: SessionClient) -> list[dict[str, Any]]:
    """Events up to the end of the next spoken reply: its assistant completed / cancelled message and
    its ``talk_state_changed`` ``ended`` (whichever comes last)."""
    frames: list[dict[str, Any]] = []
    while True:
        frame = client.receive()
        frames.append(frame)
        fields = fields_of(frame)
        done = frame["event"] == "message_received" and fields.get("role") == "assistant"
        if done and fields.get("action") in ("completed", "cancelled", "failed"):
            break
    if not any(f["event"] == "talk_state_changed" and f["data"]["state"] == "ended" for f in frames):
        frames += client.receive_until("talk_state_changed", state="ended")
    return frames


def _messages(frames: list[dict[str, Any]], role: str, action: str) -> list[dict[str, Any]]:
    return [
        message_of(f)
        for f in events_named(frames, "message_received")
        if message_of(f).get("role") == role and message_of(f).get("action") == action
    ]


def _labels(frames: list[dict[str, Any]]) -> list[str]:
    """Each event as a short label: ``user completed``, ``talk started``, ``audio_received``, ..."""
    labels = []
    for frame in frames:
        fields = fields_of(frame)
        if frame["event"] == "message_received":
            labels.append(f"{fields.get('role') or fields.get('type')} {fields.get('action') or ''}".strip())
        elif frame["event"] == "talk_state_changed":
            labels.append(f"talk {fields['state']}")
        else:
            labels.append(frame["event"])
    return labels


def test_streamed_speech_without_a_marker_is_transcribed_and_answered_aloud(platform, model, model_key):
    agent = new_agent(platform, model_key, voiceId="coral")
    model.transcribe_as("What are your hours on Saturday?")
    model.reply_text("We open at nine.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _opened(client)
        _speak(client, HOURS)
        frames = _until_reply_ends(client)
        client.end()

    labels = [label for label in _labels(frames) if label != "assistant delta"]
    first_audio = labels.index("audio_received")
    assert labels[:first_audio] == ["speech_started", "user completed", "talk preparing", "talk started"]
    assert set(labels[first_audio:-2]) == {"audio_received"}
    assert labels[-2:] == ["assistant completed", "talk ended"]
    assert _messages(frames, "user", "completed")[0]["content"] == "What are your hours on Saturday?"
    answer = _messages(frames, "assistant", "completed")[0]
    assert answer["content"] == "We open at nine."
    audio = events_named(frames, "audio_received")
    assert {(a["data"]["response_id"], a["data"]["item_id"]) for a in audio} == {
        (answer["response_id"], answer["item_id"])
    }
    spoken = b"".join(decode_chunk(a["data"]["audio"]) for a in audio)  # the scripted tone, at 16 kHz
    assert abs(len(spoken) - len(speech_pcm("We open at nine.")) * 16000 // SPEECH_RATE) <= 8
    assert [(s.input, s.voice) for s in model.speeches] == [("We open at nine.", "coral")]

    (heard,) = model.transcriptions  # one utterance, every chunk of it
    assert heard.audio[:4] == b"RIFF"
    assert abs(len(heard.audio) - _expected_wav_bytes(len(HOURS))) <= SLACK
    assert model.chat_requests[-1].messages[-1]["content"] == "What are your hours on Saturday?"


def test_speech_during_a_spoken_reply_cancels_it_and_the_new_utterance_is_answered(
    platform, model, model_key
):
    agent = new_agent(platform, model_key)
    model.transcribe_as("Can I book a table for two?")
    counting = " ".join(f"Number {n} is here." for n in range(1, 31))
    model.reply_text(counting, chunks=60, chunk_delay=0.2)
    model.reply_text("Yes, at eight.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _opened(client)
        _speak(client, HOURS)
        before = client.receive_until("audio_received")  # the agent is speaking
        _speak(client, TABLE)
        during = client.receive_until("message_received", role="assistant", action="cancelled")
        after = _until_reply_ends(client)
        client.end()

    talking = before[-1]["data"]["response_id"]
    cancelled = message_of(during[-1])
    assert (cancelled["response_id"], cancelled["reason"]) == (talking, "turn_detected")
    assert cancelled["content"] != counting and counting.startswith(cancelled["content"])
    assert "speech_started" in _labels(during)
    assert not [a for a in events_named(after, "audio_received") if a["data"]["response_id"] == talking]
    assert all(m["response_id"] != talking for m in _messages(after, "assistant", "delta"))
    users = _messages(before + during + after, "user", "completed")
    assert [u["content"] for u in users] == ["Can I book a table for two?"] * 2
    answer = _messages(after, "assistant", "completed")[0]
    assert answer["content"] == "Yes, at eight." and answer["response_id"] != talking
    assert events_named(after, "audio_received")
    assert len(model.transcriptions) == 2
    assert abs(len(model.transcriptions[1].audio) - _expected_wav_bytes(len(TABLE))) <= SLACK


def test_set_settings_silence_duration_decides_whether_a_pause_ends_the_utterance(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.transcribe_as("What are your hours on Saturday? Can I book a table for two?")
    model.always_text("Noted.")
    paused = HOURS + _silence(0.8) + TABLE
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _opened(client)
        # The default window (500 ms): the 800 ms pause ends the first utterance.
        _speak(client, paused)
        frames = client.receive_until("message_received", role="user", action="completed")
        frames += client.receive_until("message_received", role="user", action="completed")
        frames += _until_reply_ends(client)
        assert client.ask("Anything else?") == "Noted."  # everything before it was taken
        assert len(model.transcriptions) == 2

        client.command("set_settings", turn_detection={"silence_duration_ms": 1500})
        _speak(client, paused, after=2.0)
        frames = client.receive_until("message_received", role="user", action="completed")
        frames += _until_reply_ends(client)
        assert client.ask("Is that all?") == "Noted."
        client.end()

    assert len(model.transcriptions) == 3  # one utterance holding both phrases and the pause
    both = len(HOURS) + int(0.8 * BYTES_PER_SECOND) + len(TABLE)
    assert abs(len(model.transcriptions[2].audio) - _expected_wav_bytes(both, 1.5)) <= SLACK
    assert len(_messages(frames, "user", "completed")) == 1


def test_an_utterance_survives_a_devhost_crash_between_its_chunks(own_platform_factory, model, model_key):
    host = own_platform_factory()
    agent = new_agent(host, model_key)
    model.transcribe_as("What are your hours on Saturday?")
    model.reply_text("We open at nine.")
    half = len(HOURS) // 2 // CHUNK * CHUNK
    answer = open_connection(host, model_key, agent["id"])
    with SessionClient(answer) as client:
        _opened(client)
        _stream(client, _silence(0.4) + HOURS[:half])
        # Each connection's frames are handled in order: the answer to a bad command says every
        # chunk before it is stored.
        client.command("no_such_command")
        heard = client.receive_until("error", code="UnknownCommand")
        assert "speech_started" in _labels(heard)
    host.kill(signal.SIGKILL)
    host.start()  # the same port and data dir: the token's URL still points here
    with SessionClient(answer) as client:  # the same token, a new connection
        _stream(client, HOURS[half:] + _silence(1.0))
        frames = client.receive_until("message_received", role="assistant", action="completed")
        client.end()

    assert _messages(frames, "user", "completed")[0]["content"] == "What are your hours on Saturday?"
    assert _messages(frames, "assistant", "completed")[0]["content"] == "We open at nine."
    (heard_audio,) = model.transcriptions  # the whole utterance: both halves, nothing twice
    assert abs(len(heard_audio.audio) - _expected_wav_bytes(len(HOURS))) <= SLACK


def test_a_text_modality_session_answers_speech_and_text_without_talking(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.transcribe_as("What are your hours on Saturday?")
    model.always_text("We open at nine.")
    with SessionClient(open_connection(platform, model_key, agent["id"], modality="text")) as client:
        _opened(client)
        _speak(client, HOURS)
        spoken = client.receive_until("message_received", role="assistant", action="completed")
        assert client.ask("And on Sunday?") == "We open at nine."
        client.end()
        frames = client.seen

    assert _messages(spoken, "user", "completed")[0]["content"] == "What are your hours on Saturday?"
    assert len(_messages(frames, "assistant", "completed")) == 2
    assert not events_named(frames, "talk_state_changed") and not events_named(frames, "audio_received")
    assert len(model.transcriptions) == 1 and model.speeches == []


def test_the_first_audio_leaves_before_the_last_text_delta_of_a_long_reply(platform, model, model_key):
    agent = new_agent(platform, model_key)
    reply = "The first sentence is short. The second one takes a while. And a third one ends it."
    model.reply_text(reply, chunks=12, chunk_delay=0.15)
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _opened(client)
        client.say("Tell me three things.")
        frames = _until_reply_ends(client)
        client.end()

    labels = _labels(frames)
    last_delta = max(i for i, label in enumerate(labels) if label == "assistant delta")
    assert labels.index("audio_received") < last_delta
    assert model.speeches[0].input == "The first sentence is short."


def test_a_typed_message_during_a_reply_cancels_it_and_is_answered_next(platform, model, model_key):
    agent = new_agent(platform, model_key)
    counting = "One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten."
    model.reply_text(counting, chunks=20, chunk_delay=0.2)
    model.reply_text("Sure, stopping.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _opened(client)
        client.say("Count to ten.")
        client.receive_until("message_received", role="assistant", action="delta")
        client.say("Stop!")
        cancelled = message_of(
            client.receive_until("message_received", role="assistant", action="cancelled")[-1]
        )
        answer = client.reply()
        client.end()

    assert cancelled["reason"] == "turn_detected" and cancelled["content"] != counting
    assert answer["content"] == "Sure, stopping."
    assert [m["content"] for m in model.chat_requests[-1].messages[1:]][-1] == "Stop!"


def test_without_speech_the_session_says_so_and_bad_audio_gets_error_events(platform, project_key):
    agent = new_agent(platform, project_key)  # a hosted key on the embedded model: no speech
    with SessionClient(open_connection(platform, project_key, agent["id"])) as client:
        _opened(client)
        client.command("send_audio", audio="not base64!")
        assert client.receive_until("error")[-1]["data"]["code"] == "InvalidAudio"
        _speak(client, HOURS)
        frames = client.receive_until("error", code="AudioNotSupported")
        frames += client.receive_until("message_received", role="user", action="completed")
        client.end()
    assert "speech_started" in _labels(frames)
    assert _messages(frames, "user", "completed")[0]["content"] == ""  # not understood


def test_when_speech_fails_the_reply_goes_on_as_text_and_the_client_is_told(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.fail_audio(404, message="No speech model here.")
    model.reply_text("First part. Second part.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        _opened(client)
        client.say("Hello?")
        frames = _until_reply_ends(client)
        client.end()
    assert _messages(frames, "assistant", "completed")[0]["content"] == "First part. Second part."
    errors = events_named(frames, "error")
    assert len(errors) == 1 and errors[0]["data"]["code"] == "model_not_found"
    assert not events_named(frames, "audio_received")
