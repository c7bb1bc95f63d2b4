"""Voice on the WebSocket channel: audio in (buffered, transcribed), audio out sentence by sentence,
barge-in, and an utterance that survives a devhost crash between its frames."""

from __future__ import annotations

import math
import signal
import struct
import time

import requests

from shared.audio.pcm import decode_chunk, encode_chunk, to_wav
from tests.e2e.builders import new_agent
from tests.e2e.session_client import SessionClient, open_connection

T = 30


def _tone(seconds: float, hertz: float = 220.0) -> bytes:
    """Real PCM16 16 kHz mono: a sine tone."""
    count = int(16000 * seconds)
    return struct.pack(
        f"<{count}h", *(int(8000 * math.sin(2 * math.pi * hertz * i / 16000)) for i in range(count))
    )


def _send_utterance(client: SessionClient, pcm: bytes, chunk_bytes: int = 8000) -> None:
    for start in range(0, len(pcm), chunk_bytes):
        client.send({"type": "user.audio", "audio": encode_chunk(pcm[start : start + chunk_bytes])})
    client.send({"type": "user.audio", "audio": "", "final": True})


def test_an_utterance_becomes_a_transcript_and_an_answer_with_audio(platform, model, model_key):
    agent = new_agent(platform, model_key, voiceId="coral")
    model.transcribe_as("What time do you open?")
    model.reply_text("We open at nine.")
    spoken = _tone(0.75)
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        started = client.receive()
        assert (started["type"], started["audio"]) == ("session.started", True)
        _send_utterance(client, spoken)
        frames = client.receive_until("agent.message")
        client.send({"type": "session.end"})
        client.receive_until("session.ended")

    assert frames[0] == {"type": "user.transcript", "text": "What time do you open?"}
    audio = [f for f in frames if f["type"] == "agent.audio"]
    assert audio and all(f["format"] == "pcm16-16khz" for f in audio)
    assert len(b"".join(decode_chunk(f["audio"]) for f in audio)) > 0
    assert model.transcriptions[0].audio == to_wav(spoken)  # every chunk, in order
    assert [(s.input, s.voice) for s in model.speeches] == [("We open at nine.", "coral")]
    assert model.chat_requests[-1].messages[-1]["content"] == "What time do you open?"


def test_the_first_audio_leaves_before_the_last_text_delta_of_a_long_reply(platform, model, model_key):
    agent = new_agent(platform, model_key)
    reply = "The first sentence is short. The second one takes a while. And a third one ends it."
    model.reply_text(reply, chunks=12, chunk_delay=0.15)
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        client.receive()
        client.send({"type": "user.message", "text": "Tell me three things."})
        frames = client.receive_until("agent.message")
        client.send({"type": "session.end"})
        client.receive_until("session.ended")

    kinds = [f["type"] for f in frames]
    last_delta = max(i for i, kind in enumerate(kinds) if kind == "agent.message.delta")
    assert kinds.index("agent.audio") < last_delta
    assert model.speeches[0].input == "The first sentence is short."


def test_a_user_frame_during_a_reply_interrupts_it_and_is_answered_next(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.reply_text("One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten.", chunks=20, chunk_delay=0.2)
    model.reply_text("Sure, stopping.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        client.receive()
        client.send({"type": "user.message", "text": "Count to ten."})
        client.receive_until("agent.message.delta")
        client.send({"type": "user.message", "text": "Stop!"})
        interrupted = client.receive_until("agent.message")[-1]
        answer = client.receive_until("agent.message")[-1]
        client.send({"type": "session.end"})
        client.receive_until("session.ended")

    assert (
        interrupted["interrupted"] is True
        and interrupted["text"] != "One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten."
    )
    assert answer["text"] == "Sure, stopping."
    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=model_key.headers, timeout=T
    ).json()
    lines = [(line["role"], line["interrupted"]) for line in session["transcript"]]
    assert lines == [("user", False), ("assistant", True), ("user", False), ("assistant", False)]


def test_without_speech_the_session_says_so_and_bad_audio_gets_error_frames(platform, project_key):
    agent = new_agent(platform, project_key)  # a hosted key on the embedded model: no speech
    with SessionClient(open_connection(platform, project_key, agent["id"])) as client:
        assert client.receive()["audio"] is False
        client.send({"type": "user.audio", "audio": "not base64!"})
        assert client.receive()["code"] == "InvalidAudio"
        client.send({"type": "user.audio", "audio": encode_chunk(_tone(0.2)), "final": True})
        assert client.receive()["code"] == "AudioNotSupported"
        client.send({"type": "session.end"})
        client.receive_until("session.ended")


def test_an_utterance_survives_a_devhost_crash_between_its_frames(own_platform_factory, model, model_key):
    host = own_platform_factory()
    agent = new_agent(host, model_key)
    model.transcribe_as("Hello after the crash.")
    model.reply_text("Hello again.")
    first, second = _tone(0.3, 200.0), _tone(0.3, 300.0)
    answer = open_connection(host, model_key, agent["id"])
    with SessionClient(answer) as client:
        client.receive()
        client.send({"type": "user.audio", "audio": encode_chunk(first)})
        # The chunk is stored when Web PubSub delivers it; a wake-up only comes with the final frame.
        time.sleep(0.5)
    host.kill(signal.SIGKILL)
    host.start()
    with SessionClient(answer) as client:
        client.send({"type": "user.audio", "audio": encode_chunk(second), "final": True})
        frames = client.receive_until("agent.message")
        client.send({"type": "session.end"})
        client.receive_until("session.ended")
    assert frames[0]["text"] == "Hello after the crash."
    assert model.transcriptions[0].audio == to_wav(first + second)


def test_when_speech_fails_the_reply_goes_on_as_text_and_the_client_is_told(platform, model, model_key):
    agent = new_agent(platform, model_key)
    model.fail_audio(404, message="No speech model here.")
    model.reply_text("First part. Second part.")
    with SessionClient(open_connection(platform, model_key, agent["id"])) as client:
        client.receive()
        client.send({"type": "user.message", "text": "Hello?"})
        frames = client.receive_until("agent.message")
        client.send({"type": "session.end"})
        client.receive_until("session.ended")
    assert frames[-1]["text"] == "First part. Second part."
    errors = [f for f in frames if f["type"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "model_not_found"
    assert not any(f["type"] == "agent.audio" for f in frames)
