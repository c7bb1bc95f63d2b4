"""What the platform adds to a conversation turn, with a model that answers at once (published protocol).

Runs the local stack (Azurite, the devhost with its Web PubSub stand-in) and a zero-latency scripted
OpenAI-compatible model; latency on a plain stack, the counts on a second one whose storage goes through
a counting proxy. Prints, from one run:

- text turns (``send_message`` -> first assistant ``delta``): p50 / p95 over TURNS turns of one session;
- the local floor: a frame through the Web PubSub stand-in to the event handler, which answers at once
  (an unknown command, answered with an ``error`` event), and back; the platform's share = turn p50 - floor;
- turns 181-200 p50 / turns 3-20 p50 (flat latency over a long session);
- episodes of the session's orchestrator per text turn (work items: each one write of the task hub, one
  dispatch in Azure), its function's runs per text turn (one more where an execution continues as new),
  and storage operations per text turn (counted);
- speech: the last audio chunk of an utterance (speech, then the silence that ends it) -> the first
  ``audio_received``: p50 / p95 over AUDIO_TURNS utterances;
- 20 sessions x 10 messages at once: reply p50 / one session's p50;
- the devhost's CPU time per text turn (all its threads, from ``/proc``): the turn is CPU-bound in one
  Python process, so SESSIONS busy sessions wait about SESSIONS x that time for each other;
- the whole machine's CPU time per text turn (``/proc/stat``: the devhost, Azurite, the client) and the
  bound it sets: SESSIONS turns at once take at least SESSIONS x that / cores, so their p50 cannot
  come closer to one session's than that ratio, however the work is spread;
- where a text turn's time goes, hop by hop (p50 of each hop over the same turns, from the marks that
  ``shared/turn_trace.py`` writes when ``OMNI_TURN_TRACE`` is set, as it is on this devhost: about ten
  appends to a file per turn).

Run: ``.venv/bin/python benchmarks/turn_overhead.py [TURNS]`` (default 200; at least 200).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.local_stack import (  # noqa: E402
    Key,
    counted_local_stack,
    create_agent,
    create_project_key,
    local_stack,
    percentiles,
)
from shared.audio.pcm import encode_chunk  # noqa: E402
from shared.audio.turn_detection import DetectorState, TurnDetectionSettings, detect  # noqa: E402
from shared.turn_trace import TRACE_SETTING, read_trace  # noqa: E402
from tests.devhost.helpers import DevHost  # noqa: E402
from tests.e2e.session_client import SessionClient  # noqa: E402
from tests.fakes.scripted_openai import ScriptedOpenAI  # noqa: E402
from tests.fakes.storage_counter import StorageCounter, episodes_of, settled  # noqa: E402

T = 30
AUDIO_TURNS = 30
COUNTED_TURNS = 30
SESSIONS, MESSAGES = 20, 10
SPEECH = REPO_ROOT / "tests/fixtures/speech/what_are_your_hours.pcm"
CHUNK = 3200  # 100 ms of PCM16 16 kHz


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


def _cpu_seconds(host: DevHost) -> float:
    """User and system CPU time so far of the devhost process and its worker processes
    (``FUNCTIONS_WORKER_PROCESS_COUNT``), from Linux ``/proc``."""
    assert host.process is not None
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that just ended
            continue
        pid, parent = int(stat.parent.name), int(fields[1])
        if host.process.pid in (pid, parent):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine so far, every core (Linux ``/proc/stat``): the devhost,
    Azurite and this client together, and whatever else runs."""
    fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _first_delta(client: SessionClient, text: str, times: list[tuple[float, float]] | None = None) -> float:
    """The time from ``send_message`` to the first assistant delta; ``times`` gets both as unix times."""
    sent, sent_at = time.perf_counter(), time.time()
    client.say(text)
    client.receive_until("message_received", role="assistant", action="delta")
    elapsed = time.perf_counter() - sent
    if times is not None:
        times.append((sent_at, time.time()))
    client.reply()
    return elapsed


# A text turn's hops, in order: (the mark that ends the hop, what the hop is).
HOPS = [
    ("frame_received", "client -> Web PubSub stand-in -> channel trigger"),
    ("inbox_written", "channel trigger: session check, inbox write"),
    ("event_raised", "raise the inbox event"),
    ("round_started", "dispatch, episode 1, activity start"),
    ("question_taken", "model turn: inbox and context read"),
    ("model_called", "model turn: the prompt built"),
    ("model_delta", "model call -> first event (openai SDK)"),
    ("frames_sent", "first delta: the send queue and the REST send"),
    ("client", "stand-in -> client socket"),
]


def _breakdown(trace: Path, session_id: str, times: list[tuple[float, float]]) -> list[tuple[str, float]]:
    """p50 of each hop in ms over the turns in ``times`` (the first mark of each hop after the previous
    one)."""
    marks = [(stamp, hop) for stamp, session, hop in read_trace(str(trace)) if session == session_id]
    spans: dict[str, list[float]] = {hop: [] for hop, _ in HOPS}
    for sent_at, delta_at in times:
        previous = sent_at
        for hop, _ in HOPS:
            if hop == "client":
                stamp: float | None = delta_at
            else:
                stamp = next((s for s, h in marks if h == hop and previous <= s <= delta_at), None)
            if stamp is None:
                break
            spans[hop].append(stamp - previous)
            previous = stamp
    return [(label, percentiles(spans[hop])[0] if spans[hop] else float("nan")) for hop, label in HOPS]


def _floor(client: SessionClient, count: int = 200) -> float:
    """ms, p50"""
    times = []
    for _ in range(count):
        sent = time.perf_counter()
        client.send({"type": "benchmark_ping", "data": {}})
        client.receive_until("error")
        times.append(time.perf_counter() - sent)
    return percentiles(times)[0]


class Microphone:
    """Streams PCM at the microphone's pace and runs the same turn detector over the same stream as the
    server (a pure function), so it knows which chunk ends each utterance."""

    def __init__(self, client: SessionClient) -> None:
        self._client = client
        self._state = DetectorState()
        self._settings = TurnDetectionSettings()

    def utterance(self, speech: bytes) -> float:
        """Send ``speech`` then silence until the utterance ends; answers when its last chunk was sent."""
        chunks = [speech[i : i + CHUNK] for i in range(0, len(speech), CHUNK)]
        while True:
            chunk = chunks.pop(0) if chunks else bytes(CHUNK)
            self._client.command("send_audio", audio=encode_chunk(chunk))
            sent = time.perf_counter()
            if self._ends(chunk):
                return sent
            time.sleep(CHUNK / 32000)

    def _ends(self, pcm: bytes) -> bool:
        ended = False
        while True:  # as the gateway does: what follows an utterance's end is heard again
            step = detect(self._state, pcm, self._settings)
            self._state, ended = step.state, ended or step.speech_ended
            if not step.rest:
                return ended
            pcm = step.rest


def _speech_turn(client: SessionClient, microphone: Microphone, speech: bytes) -> float:
    """The time from the utterance's last chunk to the first ``audio_received``."""
    last_chunk = microphone.utterance(speech)
    while client.receive()["event"] != "audio_received":
        pass
    elapsed = time.perf_counter() - last_chunk
    client.receive_until("message_received", role="assistant", action="completed")
    return elapsed


def _concurrent(host: DevHost, provider: dict[str, str]) -> float:
    """Each session of its own project (keys are rate-limited to one connection per 5 s)."""
    clients = []
    for _ in range(SESSIONS):
        key = create_project_key(host, provider)
        clients.append(_connect(host, key, create_agent(host, key), modality="text"))

    def talk(client: SessionClient) -> list[float]:
        return [_first_delta(client, f"Concurrent message {n}.") for n in range(MESSAGES)]

    with ThreadPoolExecutor(SESSIONS) as pool:
        results = [t for times in pool.map(talk, clients) for t in times]
    for client in clients:
        client.end()
        client.close()
    return percentiles(results)[0]


def main(turns: int) -> None:
    with tempfile.TemporaryDirectory() as scratch, ScriptedOpenAI() as model:
        model.always_text("Noted.")
        provider = model.provider()
        # Latency on the plain stack; counts on a second one whose storage goes through a counting
        # proxy (the proxy's own time would distort the latency).
        trace = Path(scratch) / "turns.trace"
        with local_stack(Path(scratch) / "plain", **{TRACE_SETTING: str(trace)}) as host:
            key = create_project_key(host, provider)
            agent_id = create_agent(host, key)
            with _connect(host, key, agent_id, modality="text") as client:
                floor = _floor(client)
                cpu_before, machine_before = _cpu_seconds(host), _machine_cpu_seconds()
                times: list[tuple[float, float]] = []
                latencies = [
                    _first_delta(client, f"Message number {turn}.", times) for turn in range(1, turns + 1)
                ]
                hops = _breakdown(trace, client.session_id, times[2:])
                time.sleep(0.5)  # the last round's end
                cpu_ms = (_cpu_seconds(host) - cpu_before) / turns * 1000
                machine_ms = (_machine_cpu_seconds() - machine_before) / turns * 1000
                client.end()
            speech = SPEECH.read_bytes()
            with _connect(host, key, agent_id) as client:
                microphone = Microphone(client)
                audio = [_speech_turn(client, microphone, speech) for _ in range(AUDIO_TURNS)]
                client.end()
            one = percentiles(latencies)[0]
            many = _concurrent(host, provider)
        with counted_local_stack(Path(scratch) / "counted") as (host, counter):
            episodes, invocations, operations = _counted_turns(host, counter, provider)

    p50, p95 = percentiles(latencies)
    early, late = percentiles(latencies[2:20])[0], percentiles(latencies[180:200])[0]  # ms
    audio_p50, audio_p95 = percentiles(audio)
    figures = {
        "turns": turns,
        "turn_p50_ms": p50,
        "turn_p95_ms": p95,
        "floor_p50_ms": floor,
        "platform_share_ms": p50 - floor,
        "late_over_early": late / early,
        "episodes_per_text_turn": statistics.mean(episodes),
        "invocations_per_text_turn": statistics.mean(invocations),
        "storage_operations_per_text_turn": statistics.mean(operations),
        "storage_operations_max": max(operations),
        "speech_end_to_audio_p50_ms": audio_p50,
        "speech_end_to_audio_p95_ms": audio_p95,
        "concurrent_over_single_p50": many / one,
        "host_cpu_ms_per_text_turn": cpu_ms,
        "machine_cpu_ms_per_text_turn": machine_ms,
        "cores": os.cpu_count(),
    }
    # With a model that answers at once a turn is CPU work only: SESSIONS turns at once need SESSIONS x
    # the machine's CPU per turn, spread over its cores at best, against one turn's latency.
    bound = SESSIONS * machine_ms / (os.cpu_count() or 1) / one
    figures["concurrent_over_single_bound"] = bound
    print(f"text turns ({turns}): send_message -> first delta p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"local floor (frame -> handler -> frame) p50 {floor:.1f} ms; platform share {p50 - floor:.1f} ms")
    print(f"turns 181-200 p50 / turns 3-20 p50: {late:.1f} / {early:.1f} ms = {late / early:.2f}")
    print(
        f"episodes per text turn ({COUNTED_TURNS} turns, counted): {figures['episodes_per_text_turn']:.2f}; "
        f"orchestrator runs per text turn: {figures['invocations_per_text_turn']:.2f}"
    )
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
    print(f"devhost CPU per text turn: {cpu_ms:.1f} ms ({SESSIONS} x that: {SESSIONS * cpu_ms:.0f} ms)")
    print(
        f"machine CPU per text turn (all processes, {os.cpu_count()} cores): {machine_ms:.1f} ms; "
        f"so {SESSIONS} at once cannot come closer to one session's p50 than "
        f"{SESSIONS} x {machine_ms:.1f} / {os.cpu_count()} / {one:.1f} = {bound:.1f}"
    )
    print("where a text turn's time goes (p50 of each hop):")
    for label, ms in hops:
        print(f"  {ms:6.1f} ms  {label}")
    figures["hops_p50_ms"] = dict(hops)
    print(json.dumps(figures))


def _counted_turns(
    host: DevHost, counter: StorageCounter, provider: dict[str, str]
) -> tuple[list[int], list[int], list[int]]:
    """Episodes, orchestrator runs and storage operations of each text turn after the first two, once
    the turn's last episode has finished (the counts stop moving)."""
    key = create_project_key(host, provider)
    episodes, invocations, operations = [], [], []
    with _connect(host, key, create_agent(host, key), modality="text") as client:
        before = settled(host, client.session_id, counter)
        runs_before = episodes_of(host, client.session_id, "invocations")
        for turn in range(1, COUNTED_TURNS + 1):
            _first_delta(client, f"Message number {turn}.")
            after = settled(host, client.session_id, counter)
            runs = episodes_of(host, client.session_id, "invocations")
            if turn > 2:
                episodes.append(after[0] - before[0])
                invocations.append(runs - runs_before)
                operations.append(
                    sum(counter.since(before[1]).values()) - sum(counter.since(after[1]).values())
                )
            before, runs_before = after, runs
        client.end()
    return episodes, invocations, operations


if __name__ == "__main__":
    main(max(200, int(sys.argv[1])) if len(sys.argv) > 1 else 200)
