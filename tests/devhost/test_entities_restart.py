"""Durable entities survive a host crash, as orchestrations do: an entity's state, the requests on
their way to it and an orchestration waiting between two calls all resume after a restart."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
import requests

from tests.devhost.entity_helpers import (
    ENTITIES_APP,
    entity_api_url,
    read_through_client,
    signal_through_client,
    unique_key,
    wait_for_entity_state,
)
from tests.devhost.helpers import DevHost, event_url, start_orchestration, wait_for_status, wait_for_terminal


@pytest.fixture
def host(tmp_path) -> Iterator[DevHost]:
    with DevHost(app_dir=ENTITIES_APP, data_dir=tmp_path / "data", log_dir=tmp_path / "logs") as host:
        yield host


def test_entities_and_their_callers_resume_after_sigkill(host):
    kept, timed, called = unique_key("kept"), unique_key("timed"), unique_key("called")
    signal_through_client(host, "Counter", kept, "add", 7)
    wait_for_entity_state(host, "Counter", kept, 7)
    timer = start_orchestration(host, "signal_after_timer", body={"key": timed, "seconds": 3})
    caller = start_orchestration(host, "call_wait_call", body={"key": called})
    wait_for_status(
        timer["statusQueryGetUri"], lambda s: s.get("customStatus") == "timer set", "the timer", host=host
    )
    wait_for_status(
        caller["statusQueryGetUri"],
        lambda s: s.get("customStatus") == "waiting for Go",
        "the first call to be answered",
        host=host,
    )

    host.kill(signal.SIGKILL)
    host.restart_on_new_port()

    assert read_through_client(host, "Counter", kept) == {"exists": True, "state": 7}
    read = requests.get(entity_api_url(host, "Counter", kept), headers=host.admin_headers(), timeout=30)
    assert read.json() == 7

    # The timer fires after the restart and its signal reaches the entity.
    timer_status = wait_for_terminal(host.rebase(timer["statusQueryGetUri"]), host=host)
    assert timer_status["output"] == "signalled"
    assert wait_for_entity_state(host, "Counter", timed, 1)["state"] == 1

    raised = requests.post(host.rebase(event_url(caller, "Go")), json=None, timeout=30)
    assert raised.status_code == 202, raised.text
    caller_status = wait_for_terminal(host.rebase(caller["statusQueryGetUri"]), host=host)
    assert caller_status["runtimeStatus"] == "Completed", caller_status
    assert caller_status["output"] == [1, 2]
    assert read_through_client(host, "Counter", called) == {"exists": True, "state": 2}


def test_requests_queued_before_a_crash_are_applied_once(host):
    key = unique_key("queued")
    for _ in range(20):
        signal_through_client(host, "Counter", key, "add", 1)
    host.kill(signal.SIGKILL)
    host.restart_on_new_port()

    # Every accepted signal was stored before its 202; each batch commits with the state, so none
    # is lost and none counted twice, whatever the crash interrupted.
    assert wait_for_entity_state(host, "Counter", key, 20)["state"] == 20
    signal_through_client(host, "Counter", key, "add", 1)
    assert wait_for_entity_state(host, "Counter", key, 21)["state"] == 21
