"""The Marketplace client (azure-identity + azure-core) against the loopback Marketplace over TLS:
fulfillment, operations and metering, as Microsoft's documentation describes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from shared.billing.marketplace import (
    MARKETPLACE_SCOPE,
    MAX_BATCH_EVENTS,
    MarketplaceClient,
    MarketplaceError,
    UsageEvent,
)
from tests.fakes.marketplace import FakeMarketplace


def client_of(fake: FakeMarketplace, **options) -> MarketplaceClient:
    return MarketplaceClient(
        fake.settings(), connection_verify=fake.ca_bundle, retry_backoff_factor=0.01, **options
    )


@pytest.fixture
def client(marketplace: FakeMarketplace) -> MarketplaceClient:
    return client_of(marketplace)


def this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def test_resolve_activate_and_read_a_purchase(marketplace, client):
    token = marketplace.add_subscription(
        plan_id="hosted", purchaser_email="ann@contoso.example", name="Contoso"
    )

    purchase = client.resolve(token)
    assert purchase.plan_id == "hosted"
    assert purchase.subscription_name == "Contoso"
    assert purchase.subscription.status == "PendingFulfillmentStart"
    assert purchase.subscription.purchaser is not None
    assert purchase.subscription.purchaser.email_id == "ann@contoso.example"

    client.activate(purchase.subscription_id, "hosted", None)
    assert client.get_subscription(purchase.subscription_id).status == "Subscribed"
    assert marketplace.activations == [(purchase.subscription_id, {"planId": "hosted"})]


def test_the_publisher_token_is_asked_for_the_marketplace_scope_with_the_secret(marketplace, client):
    client.resolve(marketplace.add_subscription())
    issued = marketplace.issued_tokens
    assert [(t.client_id, t.scope) for t in issued] == [(marketplace.client_id, MARKETPLACE_SCOPE)]


def test_a_wrong_client_secret_gets_no_token_and_no_call_through(marketplace):
    settings = marketplace.settings()
    wrong = type(settings)(**{**settings.__dict__, "client_secret": "not-the-secret"})
    client = MarketplaceClient(wrong, connection_verify=marketplace.ca_bundle, retry_total=0)

    with pytest.raises(MarketplaceError) as failure:
        client.resolve(marketplace.add_subscription())
    assert "not-the-secret" not in str(failure.value)
    assert marketplace.refused_token_requests >= 1
    assert marketplace.api_calls == []


def test_the_fake_refuses_calls_without_its_token(marketplace):
    answer = requests.post(
        f"{marketplace.origin}/api/saas/subscriptions/resolve?api-version=2018-08-31",
        headers={"x-ms-marketplace-token": marketplace.add_subscription()},
        verify=marketplace.ca_bundle,
        timeout=10,
    )
    assert answer.status_code == 401
    assert marketplace.unauthorized_calls == 1


def test_an_unknown_purchase_token_is_refused_not_retried(marketplace, client):
    with pytest.raises(MarketplaceError) as failure:
        client.resolve("no-such-token")
    assert failure.value.status == 400 and failure.value.refused
    assert len(marketplace.api_calls) == 1


def test_an_operation_is_read_and_acknowledged(marketplace, client):
    subscription_id = marketplace.add_subscribed(plan_id="hosted")
    webhook = marketplace.start_operation(subscription_id, "ChangePlan", plan_id="byo")

    operation = client.get_operation(subscription_id, webhook["id"])
    assert (operation.action, operation.plan_id, operation.status) == ("ChangePlan", "byo", "InProgress")

    client.update_operation(subscription_id, webhook["id"], "Success")
    assert [p.body for p in marketplace.operation_patches] == [{"status": "Success"}]
    assert marketplace.subscriptions[subscription_id].plan_id == "byo"
    assert client.get_operation(subscription_id, webhook["id"]).status == "Succeeded"


def test_an_operation_of_another_subscription_is_not_found(marketplace, client):
    first, second = marketplace.add_subscribed(), marketplace.add_subscribed()
    webhook = marketplace.start_operation(first, "Suspend")
    with pytest.raises(MarketplaceError) as failure:
        client.get_operation(second, webhook["id"])
    assert failure.value.status == 404


def test_usage_events_are_accepted_once_per_resource_dimension_and_hour(marketplace, client):
    resource = marketplace.add_subscribed(plan_id="hosted")
    hour = this_hour() - timedelta(hours=1)
    first = UsageEvent(resource, "hosted", "hosted_minutes", 12, hour)
    again = UsageEvent(resource, "hosted", "hosted_minutes", 3, hour)
    other = UsageEvent(resource, "hosted", "byo_minutes", 5, hour)

    results = client.post_usage_batch([first, again, other])

    assert [r.status for r in results] == ["Accepted", "Duplicate", "Accepted"]
    assert [r.event for r in results] == [first, again, other]
    assert results[1].usage_event_id == results[0].usage_event_id  # the accepted original's
    assert [(e.dimension, e.quantity) for e in marketplace.accepted_events] == [
        ("hosted_minutes", 12.0),
        ("byo_minutes", 5.0),
    ]
    sent = marketplace.metering_calls[0].events[0]
    assert sent == {
        "resourceId": resource,
        "quantity": 12,
        "dimension": "hosted_minutes",
        "effectiveStartTime": hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "planId": "hosted",
    }


def test_old_future_unknown_and_empty_events_are_refused_one_by_one(marketplace, client):
    resource = marketplace.add_subscribed()
    marketplace.set_now(datetime(2026, 3, 10, 12, 30, tzinfo=UTC))
    events = [
        UsageEvent(resource, "hosted", "m", 1, datetime(2026, 3, 9, 11, tzinfo=UTC)),  # 25 h ago
        UsageEvent(resource, "hosted", "m", 1, datetime(2026, 3, 10, 13, tzinfo=UTC)),  # next hour
        UsageEvent(
            "6d1f5c1e-0000-4000-8000-000000000000", "hosted", "m", 1, datetime(2026, 3, 10, 12, tzinfo=UTC)
        ),
        UsageEvent(resource, "hosted", "zero", 0, datetime(2026, 3, 10, 12, tzinfo=UTC)),
        UsageEvent(resource, "hosted", "m", 2, datetime(2026, 3, 9, 13, tzinfo=UTC)),  # 23.5 h ago
    ]

    statuses = [r.status for r in client.post_usage_batch(events)]

    assert statuses == ["Expired", "BadArgument", "ResourceNotFound", "InvalidQuantity", "Accepted"]
    assert len(marketplace.accepted_events) == 1


def test_a_batch_holds_at_most_25_events(marketplace, client):
    resource = marketplace.add_subscribed()
    events = [UsageEvent(resource, "hosted", f"d{i}", 1, this_hour()) for i in range(MAX_BATCH_EVENTS + 1)]
    with pytest.raises(ValueError):
        client.post_usage_batch(events)
    assert marketplace.metering_calls == []
    assert len(client.post_usage_batch(events[:MAX_BATCH_EVENTS])) == MAX_BATCH_EVENTS


def test_the_fake_refuses_a_batch_of_26_as_microsoft_does(marketplace, client):
    client.resolve(marketplace.add_subscription())  # a token to call with
    token = marketplace.issued_tokens[-1].token
    event = {
        "resourceId": "x",
        "quantity": 1,
        "dimension": "d",
        "effectiveStartTime": "2026-01-01T00:00:00Z",
        "planId": "p",
    }
    answer = requests.post(
        f"{marketplace.origin}/api/batchUsageEvent?api-version=2018-08-31",
        json={"request": [event] * 26},
        headers={"Authorization": f"Bearer {token}"},
        verify=marketplace.ca_bundle,
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "BadArgument"


def test_server_errors_are_retried_then_reported(marketplace, client):
    resource = marketplace.add_subscribed()
    marketplace.fail_next(2, status=503)
    assert (
        client.post_usage_batch([UsageEvent(resource, "hosted", "m", 1, this_hour())])[0].status == "Accepted"
    )

    marketplace.fail_next(10, status=500)
    with pytest.raises(MarketplaceError) as failure:
        client.post_usage_batch([UsageEvent(resource, "hosted", "n", 1, this_hour())])
    assert failure.value.status == 500 and not failure.value.refused
    assert [c.status for c in marketplace.metering_calls] == [503, 503, 200, 500, 500, 500, 500]


@pytest.mark.parametrize("how", ["error", "drop"])
def test_a_lost_answer_is_an_error_though_the_events_were_accepted(marketplace, how):
    client = client_of(marketplace, retry_total=0)
    resource = marketplace.add_subscribed()
    event = UsageEvent(resource, "hosted", "m", 4, this_hour())
    marketplace.lose_next_answers(1, how=how)

    with pytest.raises(MarketplaceError):
        client.post_usage_batch([event])
    assert len(marketplace.accepted_events) == 1

    # Posting again after the crash: Microsoft answers the accepted original as a duplicate.
    (again,) = client.post_usage_batch([event])
    assert again.status == "Duplicate"
    assert again.usage_event_id == marketplace.accepted_events[0].usage_event_id
