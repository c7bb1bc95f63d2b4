"""Durable entities: a counter signalled and read by a client, called and signalled by an orchestrator.

"Durable entities" (Azure docs): operations on one entity run one after another; ``signal_entity``
is one-way, ``call_entity`` answers the operation's result (or raises its error in the
orchestrator); ``read_entity_state`` reads the last committed state. The orchestrator's history
holds an ``EventSent`` per request and an ``EventRaised`` per answer, as the extension writes them.
"""

from __future__ import annotations

import pytest
import requests

from tests.devhost.entity_helpers import (
    ENTITIES_APP,
    read_through_client,
    run_orchestration,
    signal_through_client,
    unique_key,
    wait_for_entity_state,
)
from tests.devhost.helpers import DURABLE_WEBHOOKS, DevHost, start_orchestration, wait_for_terminal


@pytest.fixture(scope="module")
def host(devhost_factory) -> DevHost:
    return devhost_factory(ENTITIES_APP, "entities-counter")


def test_client_signals_and_reads_a_counter(host):
    key = unique_key("client")
    assert read_through_client(host, "Counter", key) == {"exists": False, "state": None}

    for amount in (5, 3, 4):
        signal_through_client(host, "Counter", key, "add", amount)

    assert wait_for_entity_state(host, "Counter", key, 12) == {"exists": True, "state": 12}
    # Entity names are case-insensitive: the scheduler id is @counter@key.
    assert read_through_client(host, "COUNTER", key) == {"exists": True, "state": 12}


def test_orchestrator_calls_and_signals_a_counter(host):
    key = unique_key("orchestrator")
    started = start_orchestration(host, "count_through_calls", body={"key": key})
    status = wait_for_terminal(started["statusQueryGetUri"], host=host, showHistory="true")

    assert status["runtimeStatus"] == "Completed", status
    # The signal (add 10) was sent before the "get" call, so the call sees it.
    assert status["output"] == {
        "first": 2,
        "afterSignal": 12,
        "refused": "Counter has no operation 'explode'",
    }
    kinds = [e["EventType"] for e in status["historyEvents"]]
    assert kinds.count("EventSent") == 4  # add, the signal, get, explode
    assert kinds.count("EventRaised") == 3  # one answer per call, none for the signal
    assert wait_for_entity_state(host, "Counter", key, 12)["state"] == 12


def test_a_failed_operation_leaves_the_state_and_the_next_operations_run(host):
    key = unique_key("failing")
    signal_through_client(host, "Counter", key, "add", 1)
    signal_through_client(host, "Counter", key, "explode")
    signal_through_client(host, "Counter", key, "add", 1)

    assert wait_for_entity_state(host, "Counter", key, 2)["state"] == 2


def test_deleting_an_entity_removes_its_state(host):
    key = unique_key("deleted")
    signal_through_client(host, "Counter", key, "add", 7)
    wait_for_entity_state(host, "Counter", key, 7)

    signal_through_client(host, "Counter", key, "delete")
    signal_through_client(host, "Counter", key, "add", 1)

    # Deleted, then created again by the next operation: it starts from nothing.
    assert wait_for_entity_state(host, "Counter", key, 1)["state"] == 1


def test_calling_an_entity_the_app_does_not_define_fails_the_orchestration(host):
    """As the extension: the call is refused while the orchestrator's actions are replayed, so the
    orchestration fails (the orchestrator's ``except`` never sees it)."""
    status = run_orchestration(host, "call_unknown_entity", {})

    assert status["runtimeStatus"] == "Failed", status
    assert status["output"] == (
        "Orchestrator function 'call_unknown_entity' failed: The function 'nobody' doesn't exist, is "
        "disabled, or is not an entity function. Additional info: The following are the known entity "
        "functions: 'account', 'counter'."
    )


def test_orchestration_ids_may_not_start_with_at(host):
    """The extension keeps ``@name@key`` ids for entities: starting such an orchestration is a 400."""
    response = requests.post(
        host.url(f"{DURABLE_WEBHOOKS}/orchestrators/count_through_calls/@counter@x"),
        headers=host.admin_headers(),
        json={"key": "x"},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["Message"] == "Orchestration instance ids must not start with @."

