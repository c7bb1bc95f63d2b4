"""The platform's share of a phone turn (issue 15, turn mode), with a model that answers at once.

Runs the local stack (Azurite, the devhost with its ACS stand-in) and a zero-latency scripted model;
a caller dials an agent's bound number through the stand-in's control API and says TURNS lines, one at a
time, each when the agent listens. Prints:

- the platform's share of a phone turn: from the stand-in posting ``RecognizeCompleted`` (its record's
  ``postedAt``) to the reply's first play request reaching it (``requestedAt`` of the first source
  played after: ``play`` of its first sentence, or the recognition whose prompt it is): p50 / p95;
- the same turn seen by the caller: from the control API's ``say`` to the record showing the reply
  (so with the stand-in's own dispatch and the control API polling, ~2 ms);
- episodes of the session's orchestrator per phone turn (after the turn's last episode).

Run: ``.venv/bin/python benchmarks/phone_turn.py [TURNS]`` (default 50).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.local_stack import create_agent, create_project_key, local_stack, percentiles  # noqa: E402
from tests.devhost.acs_world import AcsControl  # noqa: E402
from tests.fakes.scripted_openai import ScriptedOpenAI  # noqa: E402
from tests.fakes.storage_counter import episodes_of  # noqa: E402

T = 30
CALLER, NUMBER = "+15551239000", "+14445559000"
REPLY = "Thanks, noted."


def _until(read: Any, done: Any, what: str, poll: float = 0.002) -> Any:
    deadline = time.monotonic() + T
    while time.monotonic() < deadline:
        value = read()
        if done(value):
            return value
        time.sleep(poll)
    raise RuntimeError(f"timed out waiting for {what}")


def _listening(record: dict[str, Any]) -> bool:
    return bool(record["recognitions"]) and record["recognitions"][-1]["outcome"] == "queued"


def _recognized_at(record: dict[str, Any]) -> float:
    """When the stand-in posted the call's latest RecognizeCompleted (epoch seconds)."""
    posted = [e for e in record["events"] if e["type"].endswith(".RecognizeCompleted")]
    return float(posted[-1]["postedAt"])


def _settled_episodes(host: Any, session_id: str) -> int:
    last = -1
    while True:
        now = episodes_of(host, session_id)
        if now == last:
            return now
        last = now
        time.sleep(0.2)


def main(turns: int) -> None:
    with tempfile.TemporaryDirectory() as scratch, ScriptedOpenAI() as model:
        model.always_text(REPLY, chunks=1)
        with local_stack(Path(scratch)) as host:
            key = create_project_key(host, model.provider())
            agent_id = create_agent(host, key)
            bound = requests.put(
                host.url(f"/public/agents/{agent_id}/channels/sip"),
                json={"phoneNumbers": [NUMBER]},
                headers=key.headers,
                timeout=T,
            )
            bound.raise_for_status()
            acs = AcsControl(host)
            call_id = acs.place(CALLER, NUMBER)["id"]
            _until(lambda: acs.call(call_id), _listening, "the call to listen", poll=0.02)
            sessions = requests.get(
                host.url("/public/sessions"), params={"agentId": agent_id}, headers=key.headers, timeout=T
            ).json()
            session_id = (sessions.get("items") or sessions.get("data"))[0]["id"]
            shares, at_caller, episodes = [], [], []
            before = _settled_episodes(host, session_id)
            for turn in range(turns):
                heard = len(acs.call(call_id)["played"])
                started = time.perf_counter()
                acs.say(call_id, f"Line number {turn}.")
                record = _until(
                    lambda: acs.call(call_id), lambda r, seen=heard: len(r["played"]) > seen, "the reply"
                )
                at_caller.append(time.perf_counter() - started)
                shares.append(record["played"][heard]["requestedAt"] - _recognized_at(record))
                _until(lambda: acs.call(call_id), _listening, "the next recognition", poll=0.01)
                after = _settled_episodes(host, session_id)
                episodes.append(after - before)
                before = after
                assert record["played"][heard]["text"] == REPLY
            acs.act(call_id, "hang-up")
    p50, p95 = percentiles(shares)
    print(f"phone turns: {turns} (zero-latency model, the devhost's ACS stand-in)")
    print(f"RecognizeCompleted posted -> first play request received: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    p50, p95 = percentiles(at_caller)
    print(f"at the caller (say -> the reply in the call's record): p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    mean = statistics.mean(episodes)
    print(f"episodes per phone turn: {mean:.2f} (min {min(episodes)}, max {max(episodes)})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
