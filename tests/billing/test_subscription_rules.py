"""The subscription rules (no I/O): what each Marketplace action does, what blocks connections, and
how a session reads an end the platform asks for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.billing.subscriptions import (
    ActionNotAllowed,
    OperationFacts,
    SubscriptionRecord,
    activated,
    apply,
    blocks_connections,
)
from shared.sessions.inbox import new_entry, split_at_turn

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def subscription(**changes) -> SubscriptionRecord:
    base = SubscriptionRecord(
        id="sub-1",
        organization_id="org_1",
        offer_id="omniagent",
        plan_id="hosted",
        quantity=None,
        status="Subscribed",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return base.model_copy(update=changes)


@pytest.mark.parametrize(
    ("action", "status"),
    [("Suspend", "Suspended"), ("Unsubscribe", "Unsubscribed"), ("Renew", "Subscribed")],
)
def test_status_actions(action, status):
    after = apply(subscription(), OperationFacts("op-1", action), NOW)
    assert after.status == status
    assert (after.updated_at, after.last_operation_id) == (NOW, "op-1")


def test_subscribe_completes_a_pending_activation_and_changes_nothing_else():
    pending = apply(subscription(status="PendingFulfillmentStart"), OperationFacts("op-s", "Subscribe"), NOW)
    assert (pending.status, pending.activated_at, pending.last_operation_id) == ("Subscribed", NOW, "op-s")
    suspended = apply(subscription(status="Suspended"), OperationFacts("op-t", "Subscribe"), NOW)
    assert suspended.status == "Suspended"


def test_reinstate_restores_a_suspended_subscription():
    after = apply(subscription(status="Suspended"), OperationFacts("op-2", "Reinstate"), NOW)
    assert after.status == "Subscribed"


def test_change_plan_and_quantity_take_the_operations_values():
    assert apply(subscription(), OperationFacts("op", "ChangePlan", plan_id="byo"), NOW).plan_id == "byo"
    assert apply(subscription(), OperationFacts("op", "ChangeQuantity", quantity=7), NOW).quantity == 7


def test_change_plan_without_a_plan_is_not_allowed():
    with pytest.raises(ActionNotAllowed):
        apply(subscription(), OperationFacts("op", "ChangePlan"), NOW)


@pytest.mark.parametrize("action", ["Reinstate", "ChangePlan", "Suspend", "Renew"])
def test_an_unsubscribed_subscription_is_final(action):
    with pytest.raises(ActionNotAllowed):
        apply(subscription(status="Unsubscribed"), OperationFacts("op", action, plan_id="byo"), NOW)


def test_an_unknown_action_is_not_allowed():
    with pytest.raises(ActionNotAllowed):
        apply(subscription(), OperationFacts("op", "Transmogrify"), NOW)


def test_only_suspended_and_unsubscribed_block_connections():
    blocking = {
        s
        for s in ("PendingFulfillmentStart", "Subscribed", "Suspended", "Unsubscribed", None)
        if blocks_connections(s)
    }
    assert blocking == {"Suspended", "Unsubscribed"}


def test_activation_moves_only_a_pending_subscription():
    pending = activated(subscription(status="PendingFulfillmentStart"), NOW)
    assert (pending.status, pending.activated_at) == ("Subscribed", NOW)
    suspended = subscription(status="Suspended")
    assert activated(suspended, NOW) == suspended


def test_a_session_reads_the_reason_of_the_first_end():
    entries = [new_entry("end", reason="billing"), new_entry("end")]
    assert split_at_turn(entries, "").end_reason == "billing"
    assert split_at_turn([new_entry("end")], "").end_reason == "client"
    assert (
        split_at_turn([new_entry("message", role="user", text="hi", trigger_response=False)], "").end_reason
        is None
    )
