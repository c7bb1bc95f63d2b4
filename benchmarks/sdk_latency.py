"""The Web SDK's voice latency in a real browser, beside a plain WebSocket client's, from one run.

Runs the local stack (Azurite, the devhost with its Web PubSub stand-in, the built web/dist) and a
zero-latency scripted OpenAI-compatible model (it transcribes every utterance and answers "Noted.",
spoken as a tone). Prints p50 / p95 over TURNS spoken turns of one session each way:

- **SDK**: headless Chromium, a page of another origin that uses only ``/sdk/v1/omniagent.js``; the fake
  microphone plays a WAV looping one phrase (what_are_your_hours.pcm) between silences, so every loop is
  a turn. From the end of the phrase's speech samples as the SDK captured them (the page watches the
  ``send_audio`` frames the SDK sends: the last non-zero sample of each phrase, at its capture time) to
  the first agent audio played after it (the AudioContext start time of the first scheduled source,
  mapped to the wall clock: the SDK's ``stats.playbackStartedAt``).
- **WebSocket**: the same PCM sent as a microphone would (40 ms chunks, each when it has been
  "captured"), over a raw socket (tests/e2e/session_client.py). From the end of the speech samples to the
  first ``audio_received`` (received, not played: a raw client has no playback).

Both include the server's end-of-turn silence window (turn detection's ``silence_duration_ms``, 500 ms by
default). The ratio is SDK / WebSocket; the difference is the SDK's capture, its socket path in the
browser and playback scheduling.

Run: ``.venv/bin/python benchmarks/sdk_latency.py [TURNS]`` (default 20; needs ``./dev web`` built).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import sync_playwright

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.local_stack import (  # noqa: E402
    Key,
    create_agent,
    create_project_key,
    local_stack,
    percentiles,
)
from shared.audio.pcm import encode_chunk  # noqa: E402
from tests.devhost.helpers import DevHost  # noqa: E402
from tests.e2e.browser import chromium_executable, fake_microphone_wav  # noqa: E402
from tests.e2e.session_client import SessionClient, token_of  # noqa: E402
from tests.e2e.web_sdk_pages import SdkPageServer, open_sdk_page  # noqa: E402
from tests.fakes.scripted_openai import ScriptedOpenAI  # noqa: E402

T = 30
RATE = 16_000
CHUNK_SAMPLES = 640  # 40 ms, as the SDK sends
SPEECH = REPO_ROOT / "tests/fixtures/speech/what_are_your_hours.pcm"
LEAD_S, TRAIL_S = 1.0, 3.5  # a loop: silence, the phrase, silence (longer than a turn's reply)

# Runs in the page before the SDK: notes, for every send_audio frame the SDK sends, the capture time
# of its last sample and where its last voiced sample is (the fake microphone's silence is zeros; the
# browser's noise suppression and gain control may leave a trace of noise, far below speech).
_TAP = """
const QUIET = 64;
window.speechEnds = [];
window.audioFrames = 0;
let speaking = false, lastVoiced = 0;
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (frame) {
  const now = performance.timeOrigin + performance.now();
  try {
    const command = JSON.parse(frame);
    if (command.type === "send_audio") {
      window.audioFrames += 1;
      const bytes = Uint8Array.from(atob(command.data.audio), (c) => c.charCodeAt(0));
      const pcm = new Int16Array(bytes.buffer);
      let last = -1;
      for (let i = pcm.length - 1; i >= 0; i--) if (Math.abs(pcm[i]) > QUIET) { last = i; break; }
      if (last >= 0) { speaking = true; lastVoiced = now - ((pcm.length - 1 - last) / 16000) * 1000; }
      else if (speaking) { speaking = false; window.speechEnds.push(lastVoiced); }
    }
  } catch (error) { /* not a command */ }
  return send.call(this, frame);
};
"""


def _connection(host: DevHost, key: Key, agent_id: str, channel_type: str) -> dict[str, Any]:
    for _ in range(20):  # the published rate limit: 1 connection request per 5 s per key
        answer = requests.post(
            host.url(f"/public/agents/{agent_id}/connections"),
            json={"channelType": channel_type},
            headers=key.headers,
            timeout=T,
        )
        if answer.status_code == 201:
            connection: dict[str, Any] = answer.json()
            return connection
        time.sleep(float(answer.headers.get("Retry-After", "1")))
    raise RuntimeError(f"could not connect: {answer.status_code} {answer.text}")


def _websocket_turns(host: DevHost, key: Key, agent_id: str, turns: int) -> list[float]:
    """Each turn: silence, the phrase, silence until the reply's first audio; at the microphone's pace."""
    speech = SPEECH.read_bytes()
    pcm = bytes(int(LEAD_S * RATE) * 2) + speech + bytes(int(TRAIL_S * RATE) * 2)
    speech_end = int(LEAD_S * RATE) * 2 + len(speech)
    chunk = CHUNK_SAMPLES * 2
    latencies = []
    with SessionClient(_connection(host, key, agent_id, "websocket")) as client:
        client.receive_until("avatar_state_changed", state="ready")
        for _ in range(turns):
            started = time.time()
            first_audio = None
            for index, offset in enumerate(range(0, len(pcm), chunk)):
                # a chunk leaves when its last sample has been "captured"
                time.sleep(max(0.0, started + (index + 1) * CHUNK_SAMPLES / RATE - time.time()))
                client.command("send_audio", audio=encode_chunk(pcm[offset : offset + chunk]))
                while first_audio is None and offset >= speech_end:
                    try:
                        frame = client.receive(timeout=0.001)
                    except TimeoutError:
                        break
                    if frame["event"] == "audio_received":
                        first_audio = time.time()
            while first_audio is None:
                if client.receive()["event"] == "audio_received":
                    first_audio = time.time()
            client.receive_until("message_received", role="assistant", action="completed")
            latencies.append(first_audio - (started + speech_end / 2 / RATE))
        client.end()
    return latencies


def _sdk_turns(host: DevHost, key: Key, agent_id: str, turns: int, scratch: Path) -> list[float]:
    wav = fake_microphone_wav(scratch / "loop.wav", SPEECH.name, LEAD_S, TRAIL_S)
    token = _connection(host, key, agent_id, "webrtc")["token"]
    assert token_of({"token": token})["channelType"] == "webrtc"
    with sync_playwright() as driver, SdkPageServer() as pages:
        browser = driver.chromium.launch(
            executable_path=chromium_executable(),
            headless=True,
            args=[
                "--no-sandbox",
                "--autoplay-policy=no-user-gesture-required",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
            ],
        )
        page = open_sdk_page(browser, pages, host, token, prelude=_TAP)
        wait_s = turns * (LEAD_S + SPEECH.stat().st_size / 2 / RATE + TRAIL_S) + 30
        page.wait_for_function(
            f"() => window.speechEnds.length > {turns} && "
            f"window.agent.stats.playbackStartedAt.filter((t) => t > window.speechEnds[{turns - 1}]).length",
            timeout=wait_s * 1000,
        )
        ends: list[float] = page.evaluate("() => window.speechEnds")
        starts: list[float] = page.evaluate("() => [...window.agent.stats.playbackStartedAt]")
        page.evaluate("() => window.agent.destroy()")
        browser.close()
    latencies = []
    for end in ends[:turns]:
        played = [start for start in starts if start > end]
        latencies.append((played[0] - end) / 1000)
    return latencies


def main(turns: int) -> None:
    if not (REPO_ROOT / "web/dist/sdk/v1/omniagent.js").is_file():
        raise SystemExit("The Web SDK is not built: run ./dev web first.")
    with tempfile.TemporaryDirectory() as scratch, ScriptedOpenAI() as model:
        model.always_text("Noted.")
        model.transcribe_as("What are your hours on Saturday?")
        provider = model.provider()
        with local_stack(Path(scratch) / "stack") as host:
            key = create_project_key(host, provider)
            agent_id = create_agent(host, key)
            websocket = _websocket_turns(host, key, agent_id, turns)
            sdk = _sdk_turns(host, key, agent_id, turns, Path(scratch))

    sdk_p50, sdk_p95 = percentiles(sdk)
    ws_p50, ws_p95 = percentiles(websocket)
    figures = {
        "turns": turns,
        "sdk_speech_end_to_played_p50_ms": sdk_p50,
        "sdk_speech_end_to_played_p95_ms": sdk_p95,
        "websocket_speech_end_to_audio_p50_ms": ws_p50,
        "websocket_speech_end_to_audio_p95_ms": ws_p95,
        "sdk_over_websocket_p50": sdk_p50 / ws_p50,
    }
    print(
        f"SDK (browser, {turns} turns): end of speech -> first audio played "
        f"p50 {sdk_p50:.0f} ms, p95 {sdk_p95:.0f} ms"
    )
    print(
        f"WebSocket client ({turns} turns): end of speech -> first audio_received "
        f"p50 {ws_p50:.0f} ms, p95 {ws_p95:.0f} ms"
    )
    print(f"SDK / WebSocket p50: {sdk_p50 / ws_p50:.2f} (SDK +{sdk_p50 - ws_p50:.0f} ms)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main(max(3, int(sys.argv[1])) if len(sys.argv) > 1 else 20)
