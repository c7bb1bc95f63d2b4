"""Durable state survives a host crash: orchestrations resume after the host starts again.

Durable Functions persists orchestration state in the task hub, so a process crash loses no
progress: pending durable timers still fire and waits for external events still receive the
event ("Durable orchestrations", "Timers in Durable Functions", "Handling external events").
"""

from __future__ import annotations

import signal

import requests

from tests.devhost.helpers import (
    DevHost,
    event_url,
    start_orchestration,
    wait_for_status,
    wait_for_terminal,
)


def _rebased(host: DevHost, started: dict) -> dict:
    return {key: host.rebase(value) if key != "id" else value for key, value in started.items()}


def _run_restart_scenario(host: DevHost, sig: int) -> None:
    timer = start_orchestration(host, "timer_then_activity", body={"seconds": 3})
    waiting = start_orchestration(host, "wait_for_go")
    wait_for_status(
        timer["statusQueryGetUri"],
        lambda s: s.get("customStatus") == "waiting for timer",
        "the timer orchestration to schedule its durable timer",
        host=host,
    )
    wait_for_status(
        waiting["statusQueryGetUri"],
        lambda s: s.get("customStatus") == "waiting for Go",
        "the event orchestration to wait for Go",
        host=host,
    )

    host.kill(sig)
    host.restart_on_new_port()
    timer = _rebased(host, timer)
    waiting = _rebased(host, waiting)

    timer_status = wait_for_terminal(timer["statusQueryGetUri"], host=host)
    assert timer_status["runtimeStatus"] == "Completed", timer_status
    assert timer_status["output"] == "Hello after the timer!"
    assert timer_status["customStatus"] == "timer fired"

    still_waiting = requests.get(waiting["statusQueryGetUri"], timeout=30)
    assert still_waiting.status_code == 202
    assert still_waiting.json()["runtimeStatus"] == "Running"
    assert still_waiting.json()["customStatus"] == "waiting for Go"

    raised = requests.post(event_url(waiting, "Go"), json={"name": "after restart"}, timeout=30)
    assert raised.status_code == 202, raised.text
    event_status = wait_for_terminal(waiting["statusQueryGetUri"], host=host)
    assert event_status["runtimeStatus"] == "Completed", event_status
    assert event_status["output"] == {
        "received": {"name": "after restart"},
        "greeting": "Hello after restart!",
    }


def test_restart_after_sigkill_resumes_pending_timer_and_event_wait(restartable_samples_host):
    _run_restart_scenario(restartable_samples_host, signal.SIGKILL)


def test_restart_after_sigterm_resumes_pending_timer_and_event_wait(restartable_samples_host):
    _run_restart_scenario(restartable_samples_host, signal.SIGTERM)


def test_completed_instances_are_still_queryable_after_restart(restartable_samples_host):
    host = restartable_samples_host
    started = start_orchestration(host, "hello_sequence")
    before = wait_for_terminal(started["statusQueryGetUri"], host=host)

    host.kill(signal.SIGKILL)
    host.restart_on_new_port()

    after = requests.get(host.rebase(started["statusQueryGetUri"]), timeout=30)
    assert after.status_code == 200
    body = after.json()
    assert body["runtimeStatus"] == "Completed", body
    assert body["output"] == before["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    assert body["createdTime"] == before["createdTime"]
