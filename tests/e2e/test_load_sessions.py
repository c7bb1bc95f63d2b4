"""Concurrent sessions lose and repeat no reply: benchmarks/load_sessions.py run small (4 sessions x 4
messages at once, a key each) against the shared devhost. Each question is answered once, by its own
echo, in the events and in the stored transcript. The reply times the benchmark prints are not
asserted (no timing in tests)."""

from __future__ import annotations

from benchmarks.load_sessions import echo, run_load
from tests.e2e.builders import new_agent

SESSIONS, MESSAGES = 4, 4


def test_concurrent_sessions_lose_and_duplicate_no_reply(platform, project_key_factory, model):
    model.respond_with(echo)
    first = project_key_factory(provider=model.provider())
    keys = [first] + [
        project_key_factory(
            provider=model.provider(), organization_id=first.organization_id, project_id=first.project_id
        )
        for _ in range(SESSIONS - 1)
    ]
    agent = new_agent(platform, first, inactivity={"timeoutSeconds": 3600, "countdownSeconds": 10})

    result = run_load(platform, [key.headers for key in keys], agent["id"], MESSAGES)

    assert len(result.sessions) == SESSIONS
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.transcript_problems == []
    assert len(result.reply_seconds) == SESSIONS * MESSAGES
