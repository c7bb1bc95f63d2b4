"""Suspend and resume through the Durable HTTP API: a suspended instance holds its work."""

import requests

from tests.devhost.helpers import event_url, start_orchestration, wait_for_status, wait_for_terminal


def test_suspended_instance_keeps_events_until_resumed_then_completes(samples_host):
    started = start_orchestration(samples_host, "wait_for_go")
    status_url = started["statusQueryGetUri"]
    wait_for_status(
        status_url, lambda s: s["customStatus"] == "waiting for Go", "the wait", host=samples_host
    )

    suspend = started["suspendPostUri"].replace("{text}", "maintenance")
    assert requests.post(suspend, timeout=30).status_code == 202
    wait_for_status(status_url, lambda s: s["runtimeStatus"] == "Suspended", "suspension", host=samples_host)

    assert requests.post(event_url(started, "Go"), json={"name": "Oslo"}, timeout=30).status_code == 202
    still = requests.get(status_url, timeout=30).json()
    assert still["runtimeStatus"] == "Suspended"
    assert still["customStatus"] == "waiting for Go"

    resume = started["resumePostUri"].replace("{text}", "done")
    assert requests.post(resume, timeout=30).status_code == 202
    finished = wait_for_terminal(status_url, host=samples_host)
    assert finished["runtimeStatus"] == "Completed"
    assert finished["output"] == {"received": {"name": "Oslo"}, "greeting": "Hello Oslo!"}


def test_suspending_a_finished_instance_answers_gone(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    suspend = started["suspendPostUri"].replace("{text}", "late")
    assert requests.post(suspend, timeout=30).status_code == 410
