"""What the platform adds to a conversation turn, with a model that answers at once (published protocol).

Runs the local stack (Azurite behind a counting proxy, the devhost with its Web PubSub stand-in) and a
zero-latency scripted OpenAI-compatible model. Prints, from one run:

- text turns (``send_message`` -> first assistant ``delta``): p50 / p95 over TURNS turns of one session;
- the local floor: a frame through the Web PubSub stand-in to the event handler, which answers at once
  (an unknown command, answered with an ``error`` event), and back; the platform's share = turn p50 - floor;
- turns 181-200 p50 / turns 3-20 p50 (flat latency over a long session);
- episodes of the session's orchestrator per text turn, and storage operations per text turn (counted);
- speech: the last audio chunk of an utterance (speech, then the silence that ends it) -> the first
  ``audio_received``: p50 / p95 over AUDIO_TURNS utterances;
- 20 sessions x 10 messages at once: reply p50 / one session's p50.

Run: ``.venv/bin/python benchmarks/turn_overhead.py [TURNS]`` (default 200; at least 200).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.local_stack import Key, counted_local_stack, create_project_key  # noqa: E402
from shared.audio.pcm import encode_chunk  # noqa: E402
from tests.devhost.helpers import DevHost  # noqa: E402
from tests.e2e.session_client import SessionClient  # noqa: E402
from tests.fakes.scripted_openai import ScriptedOpenAI  # noqa: E402

T = 30
AUDIO_TURNS = 30
SESSIONS, MESSAGES = 20, 10
SPEECH = REPO_ROOT / "tests/fixtures/speech/what_are_your_hours.pcm"
CHUNK = 3200  # 100 ms of PCM16 16 kHz


def _agent(host: DevHost, key: Key) -> str:
    companion = requests.post(
        host.url("/public/companions"), json={"description": "A benchmark."}, headers=key.headers, timeout=T
    ).json()
    body = {
        "companionId": companion["id"],
        "voiceId": "alloy",
        "providerSettings": {},
        "inactivity": {"timeoutSeconds": 3600, "countdownSeconds": 10},
    }
    return str(
        requests.post(host.url("/public/agents"), headers=key.headers, json=body, timeout=T).json()["id"]
    )


def _connect(host: DevHost, key: Key, agent_id: str, **body: str) -> SessionClient:
    for _ in range(20):  # the published rate limit: 1 connection request per 5 s per key
        answer = requests.post(
            host.url(f"/public/agents/{agent_id}/connections"),
            json={"channelType": "websocket", **body},
            headers=key.headers,
            timeout=T,
        )
        if answer.status_code == 201:
            client = SessionClient(answer.json())
            client.receive_until("avatar_state_changed", state="ready")
            return client
        time.sleep(float(answer.headers.get("Retry-After", "1")))
    raise RuntimeError(f"could not connect: {answer.status_code} {answer.text}")


def _first_delta(client: SessionClient, text: str) -> float:
    sent = time.perf_counter()
    client.say(text)
    client.receive_until("message_received", role="assistant", action="delta")
    elapsed = time.perf_counter() - sent
    client.reply()
    return elapsed


def _episodes(host: DevHost, session_id: str) -> int:
    answer = requests.get(host.url(f"/admin/durable/instances/{session_id}/replays"), timeout=T)
    return int(answer.json()["episodes"]) if answer.status_code == 200 else 0


def _floor(client: SessionClient, count: int = 200) -> float:
    """ms, p50"""
    times = []
    for _ in range(count):
        sent = time.perf_counter()
        client.send({"type": "benchmark_ping", "data": {}})
        client.receive_until("error")
        times.append(time.perf_counter() - sent)
    return _percentiles(times)[0]


def _speech_turn(client: SessionClient, speech: bytes) -> float:
    for offset in range(0, len(speech), CHUNK):
        client.command("send_audio", audio=encode_chunk(speech[offset : offset + CHUNK]))
    silence = encode_chunk(bytes(CHUNK))
    sent = 0.0
    for _ in range(6):  # 600 ms of silence: the 500 ms window ends the utterance in its last chunk
        sent = time.perf_counter()
        client.command("send_audio", audio=silence)
    while True:
        frame = client.receive()
        if frame["event"] == "audio_received":
            elapsed = time.perf_counter() - sent
            break
    client.receive_until("message_received", role="assistant", action="completed")
    return elapsed


def _concurrent(host: DevHost, provider: dict[str, str]) -> float:
    """Each session of its own project (keys are rate-limited to one connection per 5 s)."""
    clients = []
    for _ in range(SESSIONS):
        key = create_project_key(host, provider)
        clients.append(_connect(host, key, _agent(host, key), modality="text"))

    def talk(client: SessionClient) -> list[float]:
        return [_first_delta(client, f"Concurrent message {n}.") for n in range(MESSAGES)]

    with ThreadPoolExecutor(SESSIONS) as pool:
        results = [t for times in pool.map(talk, clients) for t in times]
    for client in clients:
        client.end()
        client.close()
    return _percentiles(results)[0]


def main(turns: int) -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        ScriptedOpenAI() as model,
        counted_local_stack(Path(scratch)) as (host, counter),
    ):
        model.always_text("Noted.")
        provider = {
            "type": "openai-compatible",
            "baseUrl": model.base_url,
            "model": "gpt-scripted",
            "transcriptionModel": "whisper-1",
            "speechModel": "tts-1",
        }
        key = create_project_key(host, provider)
        agent_id = _agent(host, key)
        latencies, episodes, operations = [], [], []
        with _connect(host, key, agent_id, modality="text") as client:
            floor = _floor(client)
            for turn in range(1, turns + 1):
                before_episodes, before_ops = _episodes(host, client.session_id), counter.snapshot()
                latencies.append(_first_delta(client, f"Message number {turn}."))
                time.sleep(0.05)  # the turn's last episode ends after its last event
                episodes.append(_episodes(host, client.session_id) - before_episodes)
                operations.append(sum(counter.since(before_ops).values()))
            client.end()
        with _connect(host, key, agent_id) as client:
            speech = SPEECH.read_bytes()
            audio = [_speech_turn(client, speech) for _ in range(AUDIO_TURNS)]
            client.end()
        one = _percentiles(latencies)[0]
        many = _concurrent(host, provider)

    p50, p95 = _percentiles(latencies)
    early, late = _percentiles(latencies[2:20])[0], _percentiles(latencies[180:200])[0]  # ms
    audio_p50, audio_p95 = _percentiles(audio)
    figures = {
        "turns": turns,
        "turn_p50_ms": p50,
        "turn_p95_ms": p95,
        "floor_p50_ms": floor,
        "platform_share_ms": p50 - floor,
        "late_over_early": late / early,
        "episodes_per_text_turn": statistics.mean(episodes[2:]),
        "storage_operations_per_text_turn": statistics.mean(operations[2:]),
        "storage_operations_max": max(operations[2:]),
        "speech_end_to_audio_p50_ms": audio_p50,
        "speech_end_to_audio_p95_ms": audio_p95,
        "concurrent_over_single_p50": many / one,
    }
    print(f"text turns ({turns}): send_message -> first delta p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"local floor (frame -> handler -> frame) p50 {floor:.1f} ms; platform share {p50 - floor:.1f} ms")
    print(f"turns 181-200 p50 / turns 3-20 p50: {late:.1f} / {early:.1f} ms = {late / early:.2f}")
    print(f"episodes per text turn: {figures['episodes_per_text_turn']:.2f}")
    mean_ops, max_ops = figures["storage_operations_per_text_turn"], figures["storage_operations_max"]
    print(f"storage operations per text turn: mean {mean_ops:.1f}, max {max_ops}")
    print(
        f"last audio chunk -> first audio_received ({AUDIO_TURNS} utterances): "
        f"p50 {audio_p50:.1f} ms, p95 {audio_p95:.1f} ms"
    )
    print(
        f"{SESSIONS} sessions x {MESSAGES} messages at once: "
        f"p50 {many:.1f} ms / one session {one:.1f} ms = {many / one:.2f}"
    )
    print(json.dumps(figures))


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(value * 1000 for value in seconds)
    return ms[len(ms) // 2], ms[max(0, int(len(ms) * 0.95) - 1)]


if __name__ == "__main__":
    main(max(200, int(sys.argv[1])) if len(sys.argv) > 1 else 200)
