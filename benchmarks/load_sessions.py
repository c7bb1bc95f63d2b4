"""N concurrent sessions x M typed messages over the published WebSocket protocol, against the local
stack (Azurite, the devhost with its Web PubSub stand-in) and a zero-latency scripted model that
answers each message with its own text ("echo: …"), so every reply names its question.

Prints p50 / p95 reply time (from ``send_message`` to the assistant's ``completed`` message), the
devhost's resident memory after the run and its peak (VmRSS / VmHWM), and the replies lost (a message
with no reply) or duplicated (a question answered twice, in the events or in the stored transcript).
The last two must be 0: tests/e2e/test_load_sessions.py runs ``run_load`` small and asserts it.

Run: ``.venv/bin/python benchmarks/load_sessions.py [SESSIONS] [MESSAGES]`` (default 8 x 10).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.local_stack import create_agent, create_project_keys, local_stack, percentiles  # noqa: E402
from tests.e2e.session_client import SessionClient  # noqa: E402
from tests.fakes.scripted_openai import RecordedRequest, ScriptedOpenAI, TextReply  # noqa: E402

T = 30
REPLY_TIMEOUT_S = 60


def echo(request: RecordedRequest) -> TextReply:
    """The model's answer names the question, so a reply is matched to what it answers."""
    return TextReply(f"echo: {request.messages[-1]['content']}")


@dataclass
class SessionOutcome:
    session_id: str
    reply_seconds: list[float] = field(default_factory=list)
    lost: int = 0  # messages with no reply
    duplicated: int = 0  # replies to a question already answered
    transcript_problems: list[str] = field(default_factory=list)


@dataclass
class LoadResult:
    sessions: list[SessionOutcome]

    @property
    def lost(self) -> int:
        return sum(s.lost for s in self.sessions)

    @property
    def duplicated(self) -> int:
        return sum(s.duplicated for s in self.sessions)

    @property
    def transcript_problems(self) -> list[str]:
        return [problem for s in self.sessions for problem in s.transcript_problems]

    @property
    def reply_seconds(self) -> list[float]:
        return [seconds for s in self.sessions for seconds in s.reply_seconds]


def connect(base: Any, headers: dict[str, str], agent_id: str) -> dict[str, Any]:
    """A websocket connection answer; waits out the connection rate (1 per 5 s per key) if it must."""
    for _ in range(20):
        answer = requests.post(
            base.url(f"/public/agents/{agent_id}/connections"),
            json={"channelType": "websocket"},
            headers=headers,
            timeout=T,
        )
        if answer.status_code == 201:
            connection: dict[str, Any] = answer.json()
            return connection
        if answer.status_code != 429:
            raise RuntimeError(f"could not connect: {answer.status_code} {answer.text}")
        time.sleep(float(answer.headers.get("Retry-After", "1")))
    raise RuntimeError("could not connect: still rate-limited")


def one_session(
    base: Any, headers: dict[str, str], agent_id: str, index: int, messages: int
) -> SessionOutcome:
    answer = connect(base, headers, agent_id)
    outcome = SessionOutcome(answer["connection"]["id"])
    questions = [f"session {index} message {n}" for n in range(messages)]
    answered: Counter[str] = Counter()
    with SessionClient(answer) as client:
        client.receive_until("avatar_state_changed", state="ready")
        for question in questions:
            sent = time.monotonic()
            client.say(question)
            try:
                # Replies to earlier questions arriving late count too (as duplicates if repeated).
                while True:
                    reply = client.reply(timeout=REPLY_TIMEOUT_S)["content"]
                    answered[reply] += 1
                    if reply == f"echo: {question}":
                        outcome.reply_seconds.append(time.monotonic() - sent)
                        break
            except TimeoutError:
                pass
        client.end()
    outcome.lost = sum(1 for q in questions if answered[f"echo: {q}"] == 0)
    outcome.duplicated = sum(count - 1 for count in answered.values() if count > 1)
    outcome.transcript_problems = transcript_problems(base, headers, outcome.session_id, questions)
    return outcome


def transcript_problems(
    base: Any, headers: dict[str, str], session_id: str, questions: list[str]
) -> list[str]:
    """The stored conversation holds each question and its answer once, in order."""
    session = requests.get(base.url(f"/public/sessions/{session_id}"), headers=headers, timeout=T).json()
    stored = [item["text"] for item in session["conversation"]["items"]]
    expected = [text for q in questions for text in (q, f"echo: {q}")]
    return [] if stored == expected else [f"{session_id}: stored {stored}, expected {expected}"]


def run_load(base: Any, keys: list[dict[str, str]], agent_id: str, messages: int) -> LoadResult:
    """One concurrent session per key (each key connects once: no wait on the connection rate)."""
    with ThreadPoolExecutor(len(keys)) as pool:
        futures = [
            pool.submit(one_session, base, headers, agent_id, index, messages)
            for index, headers in enumerate(keys)
        ]
        return LoadResult([future.result() for future in futures])


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in KiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def main(sessions: int, messages: int) -> None:
    with tempfile.TemporaryDirectory() as scratch, ScriptedOpenAI() as model:
        model.respond_with(echo)
        settings = {"OMNI_MAX_CONCURRENT_SESSIONS_PER_TRANSPORT": str(sessions)}
        with local_stack(Path(scratch) / "stack", **settings) as host:
            # A key per session, of one project: each connects once (1 connection per 5 s per key).
            keys = create_project_keys(host, model.provider(), sessions)
            agent_id = create_agent(host, keys[0])
            assert host.process is not None
            before = memory_kib(host.process.pid)
            started = time.monotonic()
            result = run_load(host, [key.headers for key in keys], agent_id, messages)
            wall = time.monotonic() - started
            after = memory_kib(host.process.pid)

    p50, p95 = percentiles(result.reply_seconds) if result.reply_seconds else (float("nan"), float("nan"))
    figures = {
        "sessions": sessions,
        "messages_per_session": messages,
        "replies": len(result.reply_seconds),
        "lost": result.lost,
        "duplicated": result.duplicated,
        "transcript_problems": len(result.transcript_problems),
        "reply_p50_ms": p50,
        "reply_p95_ms": p95,
        "wall_s": wall,
        "host_rss_before_mib": before["VmRSS"] / 1024,
        "host_rss_after_mib": after["VmRSS"] / 1024,
        "host_rss_peak_mib": after["VmHWM"] / 1024,
    }
    print(
        f"{sessions} sessions x {messages} messages: reply p50 {p50:.0f} ms, p95 {p95:.0f} ms; "
        f"lost {result.lost}, duplicated {result.duplicated}, "
        f"transcript problems {len(result.transcript_problems)}; "
        f"host RSS {figures['host_rss_before_mib']:.0f} -> {figures['host_rss_after_mib']:.0f} MiB "
        f"(peak {figures['host_rss_peak_mib']:.0f})"
    )
    for problem in result.transcript_problems[:5]:
        print("  " + problem)
    print(json.dumps(figures))


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 8,
        int(sys.argv[2]) if len(sys.argv) > 2 else 10,
    )
