"""Durable entities: bank accounts, the documentation's example of state that must not race.

Operations on one entity never overlap, so many concurrent deposits all count; a transfer
orchestration withdraws (the account refuses an overdraft, the error reaches the orchestrator)
and then deposits. Critical sections (``context.lock``) are not part of the Python SDK: an
orchestrator that tries one fails, naming the missing ``lock``, on devhost as on ``func start``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.devhost.entity_helpers import (
    ENTITIES_APP,
    read_through_client,
    run_orchestration,
    signal_through_client,
    unique_key,
    wait_for_entity_state,
)
from tests.devhost.helpers import DevHost


@pytest.fixture(scope="module")
def host(devhost_factory) -> DevHost:
    return devhost_factory(ENTITIES_APP, "entities-bank")


def test_concurrent_deposits_all_count(host):
    account = unique_key("savings")
    amounts = list(range(1, 31))
    with ThreadPoolExecutor(max_workers=10) as pool:
        signal = signal_through_client
        deposits = [pool.submit(signal, host, "Account", account, "deposit", n) for n in amounts]
        for deposit in deposits:
            deposit.result()

    assert wait_for_entity_state(host, "Account", account, sum(amounts))["state"] == 465
    signal_through_client(host, "Account", account, "deposit", 1)
    assert wait_for_entity_state(host, "Account", account, 466)["state"] == 466


def test_transfer_moves_money_and_an_overdraft_is_refused(host):
    source, target = unique_key("alice"), unique_key("bob")
    signal_through_client(host, "Account", source, "deposit", 100)
    wait_for_entity_state(host, "Account", source, 100)

    moved = run_orchestration(host, "transfer", {"from": source, "to": target, "amount": 30})
    assert moved["runtimeStatus"] == "Completed", moved
    assert moved["output"] == {"transferred": True, "balances": [70, 30]}

    refused = run_orchestration(host, "transfer", {"from": source, "to": target, "amount": 500})
    assert refused["runtimeStatus"] == "Completed", refused
    assert refused["output"] == {
        "transferred": False,
        "reason": "Insufficient funds: the balance is 70, 500 was asked",
    }
    assert read_through_client(host, "Account", source) == {"exists": True, "state": 70}
    assert read_through_client(host, "Account", target) == {"exists": True, "state": 30}


def test_a_critical_section_fails_the_orchestration_as_the_python_sdk_has_no_lock(host):
    source, target = unique_key("carol"), unique_key("dave")
    signal_through_client(host, "Account", source, "deposit", 10)
    wait_for_entity_state(host, "Account", source, 10)

    status = run_orchestration(host, "locked_transfer", {"from": source, "to": target, "amount": 5})

    assert status["runtimeStatus"] == "Failed", status
    assert "'DurableOrchestrationContext' object has no attribute 'lock'" in status["output"]
    assert read_through_client(host, "Account", source) == {"exists": True, "state": 10}
    assert read_through_client(host, "Account", target) == {"exists": False, "state": None}
