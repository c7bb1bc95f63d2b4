"""What the platform adds to a conversation turn, with a model that answers at once.

Runs the local stack (Azurite, devhost with its Web PubSub stand-in) and a zero-latency scripted
OpenAI-compatible model, opens one WebSocket session and sends TURNS user messages. Prints, from one
run:

- the time from sending a ``user.message`` frame to receiving the first ``agent.message.delta``
  (p50 and p95 over all turns);
- orchestrator replays per turn (devhost counts the SDK's replays of the session instance);
- the SDK's replay time per episode at turn 500 divided by that at turn 5 (continue_as_new keeps the
  history bounded, so this stays near 1 instead of growing with the conversation);
- with zero-latency scripted transcription and speech too, the time from the ``final`` audio frame of
  an utterance to the first ``agent.audio`` frame (p50 and p95 over AUDIO_TURNS utterances).

Run: ``.venv/bin/python benchmarks/turn_overhead.py [TURNS]`` (default 500; at least 200).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.local_stack import Key, create_project_key, local_stack  # noqa: E402
from shared.audio.pcm import encode_chunk  # noqa: E402
from tests.devhost.helpers import DevHost  # noqa: E402
from tests.e2e.session_client import SessionClient, open_connection  # noqa: E402
from tests.fakes.scripted_openai import ScriptedOpenAI  # noqa: E402

T = 30
AUDIO_TURNS = 100


def _create_key(host: DevHost, model: ScriptedOpenAI) -> Key:
    provider = {
        "type": "openai-compatible",
        "baseUrl": model.base_url,
        "model": "gpt-scripted",
        "transcriptionModel": "whisper-1",
        "speechModel": "tts-1",
    }
    return create_project_key(host, provider)


def _replays(host: DevHost, session_id: str) -> dict[str, float]:
    answer = requests.get(host.url(f"/admin/durable/instances/{session_id}/replays"), timeout=T)
    return answer.json() if answer.status_code == 200 else {"episodes": 0, "sdkSeconds": 0.0}


def main(turns: int) -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        ScriptedOpenAI() as model,
        local_stack(Path(scratch)) as host,
    ):
        model.always_text("Noted.")
        key = _create_key(host, model)
        companion = requests.post(
            host.url("/public/companions"),
            json={"description": "A benchmark."},
            headers=key.headers,
            timeout=T,
        ).json()
        agent = requests.post(
            host.url("/public/agents"),
            headers=key.headers,
            timeout=T,
            json={
                "companionId": companion["id"],
                "voiceId": "alloy",
                "providerSettings": {},
                "inactivity": {"timeoutSeconds": 3600, "countdownSeconds": 10},
            },
        ).json()
        latencies, replays_per_turn, replay_seconds = [], [], []
        with SessionClient(open_connection(host, key, agent["id"])) as client:
            client.receive()  # session.started
            for turn in range(1, turns + 1):
                before = _replays(host, client.session_id)
                sent = time.perf_counter()
                client.send({"type": "user.message", "text": f"Message number {turn}."})
                while client.receive()["type"] != "agent.message.delta":
                    pass
                latencies.append(time.perf_counter() - sent)
                client.receive_until("agent.message")
                # The turn's last episode ends after its final frame: wait until it is counted.
                time.sleep(0.02)
                after = _replays(host, client.session_id)
                episodes = after["episodes"] - before["episodes"]
                replays_per_turn.append(episodes)
                replay_seconds.append((after["sdkSeconds"] - before["sdkSeconds"]) / max(episodes, 1))
            utterance = encode_chunk(bytes(6400))  # 0.2 s of PCM16 16 kHz silence
            audio_latencies = []
            for _ in range(AUDIO_TURNS):
                client.send({"type": "user.audio", "audio": utterance})
                sent = time.perf_counter()
                client.send({"type": "user.audio", "audio": "", "final": True})
                while client.receive()["type"] != "agent.audio":
                    pass
                audio_latencies.append(time.perf_counter() - sent)
                client.receive_until("agent.message")

    p50, p95 = _percentiles(latencies)
    audio_p50, audio_p95 = _percentiles(audio_latencies)
    early, late = replay_seconds[4], replay_seconds[turns - 1]
    print(f"turns: {turns}")
    print(f"user.message -> first agent.message.delta: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(
        f"orchestrator replays per turn: mean {statistics.mean(replays_per_turn):.2f}, "
        f"max {max(replays_per_turn)}"
    )
    print(
        f"SDK replay time per episode: turn 5 {early * 1000:.2f} ms, turn {turns} {late * 1000:.2f} ms, "
        f"ratio {late / early:.2f}"
    )
    print(
        f"final audio frame -> first agent.audio ({AUDIO_TURNS} utterances): "
        f"p50 {audio_p50:.1f} ms, p95 {audio_p95:.1f} ms"
    )


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(value * 1000 for value in seconds)
    return ms[len(ms) // 2], ms[max(0, int(len(ms) * 0.95) - 1)]


if __name__ == "__main__":
    main(max(200, int(sys.argv[1])) if len(sys.argv) > 1 else 500)
