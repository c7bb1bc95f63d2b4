"""The landing and webhook flows (shared/billing/fulfillment.py) on real tables in Azurite, against
the loopback Marketplace: what is stored, what Microsoft is told, and that repeats change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.auth.api_keys import ApiKeyRecord
from shared.auth.principals import UserPrincipal
from shared.billing.fulfillment import (
    OperationNotConfirmed,
    PurchaseNotFound,
    WebhookNotification,
    land,
    organization_id_for,
    process_notification,
)
from shared.billing.marketplace import MarketplaceClient
from shared.billing.subscriptions import (
    OrganizationSubscription,
    ProcessedOperation,
    SubscriptionChange,
    SubscriptionRecord,
    SubscriptionStore,
)
from shared.management.records import (
    OrganizationRecord,
    ProjectIndexEntry,
    ProjectRecord,
    UserOrganizationEntry,
)
from shared.management.store import ManagementStore
from shared.storage import TableRepository, table_service
from tests.fakes.marketplace import FakeMarketplace

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def tables(storage_settings):
    service = table_service(storage_settings)
    suffix = uuid.uuid4().hex[:12]
    return lambda name, model: TableRepository(service, f"t{suffix}{name}", model)


@pytest.fixture
def store(tables) -> SubscriptionStore:
    return SubscriptionStore(
        subscriptions=tables("subs", SubscriptionRecord),
        history=tables("history", SubscriptionChange),
        operations=tables("ops", ProcessedOperation),
        organizations=tables("orgsubs", OrganizationSubscription),
    )


@pytest.fixture
def management(tables) -> ManagementStore:
    return ManagementStore(
        organizations=tables("orgs", OrganizationRecord),
        user_organizations=tables("userorgs", UserOrganizationEntry),
        projects=tables("projects", ProjectRecord),
        project_index=tables("projectindex", ProjectIndexEntry),
        api_keys=tables("apikeys", ApiKeyRecord),
    )


@pytest.fixture
def client(marketplace: FakeMarketplace) -> MarketplaceClient:
    return MarketplaceClient(
        marketplace.settings(), connection_verify=marketplace.ca_bundle, retry_backoff_factor=0.01
    )


class SessionEnder:
    def __init__(self) -> None:
        self.organizations: list[str] = []

    def __call__(self, organization_id: str) -> list[str]:
        self.organizations.append(organization_id)
        return [f"sess_{len(self.organizations)}"]


def landed(marketplace, client, store, management, **purchase):
    token = marketplace.add_subscription(**purchase)
    return token, land(token, client, store, management, NOW)


def notify(body, client, store, ender=None):
    return process_notification(
        WebhookNotification.model_validate(body), client, store, ender or SessionEnder(), NOW
    )


def test_landing_creates_the_organization_with_the_purchaser_as_admin_and_activates(
    marketplace, client, store, management
):
    _token, landing = landed(
        marketplace, client, store, management, purchaser_email="Ann@Contoso.example", name="Contoso"
    )

    record = landing.subscription
    assert landing.organization_created and landing.activated_now
    assert (record.status, record.plan_id, record.purchaser_email) == (
        "Subscribed",
        "hosted",
        "ann@contoso.example",
    )
    assert marketplace.subscriptions[record.id].status == "Subscribed"
    organization, role = management.organization(
        UserPrincipal(user_id="ann@contoso.example", email="ann@contoso.example"),
        record.organization_id,
        "view",
    )
    assert (organization.entity.name, role) == ("Contoso", "admin")
    copy = store.subscription_for_organization(record.organization_id)
    assert copy is not None and (copy.subscription_id, copy.status, copy.plan_id) == (
        record.id,
        "Subscribed",
        "hosted",
    )
    assert [(c.action, c.old_status, c.new_status) for c in store.history_of(record.id)] == [
        ("Purchase", None, "PendingFulfillmentStart"),
        ("Activate", "PendingFulfillmentStart", "Subscribed"),
    ]


def test_landing_again_changes_nothing(marketplace, client, store, management):
    token, first = landed(marketplace, client, store, management)
    again = land(token, client, store, management, NOW)

    assert again.subscription.organization_id == first.subscription.organization_id
    assert not again.organization_created and not again.activated_now
    assert len(marketplace.activations) == 1
    assert len(management.organizations.list_all(first.subscription.organization_id)) == 1
    assert len(store.history_of(first.subscription.id)) == 2


def test_a_landing_that_died_after_creating_the_organization_reuses_it(
    marketplace, client, store, management
):
    token = marketplace.add_subscription(purchaser_email="ann@contoso.example", name="Contoso")
    subscription_id = marketplace.subscription_for_token(token).id
    ann = UserPrincipal(user_id="ann@contoso.example", email="ann@contoso.example")
    # The first landing got this far, then its process died before recording the subscription.
    earlier = management.create_organization(ann, "Contoso", organization_id_for(subscription_id))

    landing = land(token, client, store, management, NOW)

    assert landing.subscription.organization_id == earlier.id
    assert [organization.id for organization, _ in management.organizations_of(ann)] == [earlier.id]


def test_an_unknown_purchase_token_is_not_found_and_stores_nothing(client, store, management):
    with pytest.raises(PurchaseNotFound):
        land("forged-token", client, store, management, NOW)


def test_each_action_is_applied_after_confirmation(marketplace, client, store, management):
    _token, landing = landed(marketplace, client, store, management)
    subscription_id = landing.subscription.id
    ender = SessionEnder()
    expected = [
        ("ChangePlan", {"plan_id": "byo"}, "Subscribed", "byo", None),
        ("ChangeQuantity", {"quantity": 3}, "Subscribed", "byo", 3),
        ("Renew", {}, "Subscribed", "byo", 3),
        ("Suspend", {}, "Suspended", "byo", 3),
        ("Reinstate", {}, "Subscribed", "byo", 3),
        ("Unsubscribe", {}, "Unsubscribed", "byo", 3),
    ]
    for action, values, status, plan, quantity in expected:
        body = marketplace.start_operation(subscription_id, action, **values)
        outcome = notify(body, client, store, ender)
        assert outcome.outcome == "applied", action
        record = store.get(subscription_id).entity
        assert (record.status, record.plan_id, record.quantity) == (status, plan, quantity), action
        assert store.subscription_for_organization(record.organization_id).status == status

    # Sessions end on Suspend and Unsubscribe only; ChangePlan/ChangeQuantity are acknowledged.
    assert ender.organizations == [landing.subscription.organization_id] * 2
    patched = [
        (marketplace.operations[p.operation_id].action, p.body["status"])
        for p in marketplace.operation_patches
    ]
    assert patched == [("ChangePlan", "Success"), ("ChangeQuantity", "Success")]
    actions = [change.action for change in store.history_of(subscription_id)]
    assert actions == [
        "Purchase",
        "Activate",
        "ChangePlan",
        "ChangeQuantity",
        "Renew",
        "Suspend",
        "Reinstate",
        "Unsubscribe",
    ]


def test_the_same_operation_delivered_twice_acts_once(marketplace, client, store, management):
    _token, landing = landed(marketplace, client, store, management)
    body = marketplace.start_operation(landing.subscription.id, "Suspend")
    ender = SessionEnder()

    first, second = notify(body, client, store, ender), notify(body, client, store, ender)

    assert (first.outcome, second.outcome) == ("applied", "alreadyProcessed")
    assert len(ender.organizations) == 1
    gets = [path for method, path in marketplace.api_calls if method == "GET" and body["id"] in path]
    assert len(gets) == 1
    assert len(store.history_of(landing.subscription.id)) == 3


def test_an_operation_microsoft_does_not_confirm_changes_nothing(marketplace, client, store, management):
    _token, landing = landed(marketplace, client, store, management)
    subscription_id = landing.subscription.id
    before = store.get(subscription_id).entity
    invented = {"id": str(uuid.uuid4()), "subscriptionId": subscription_id, "action": "Unsubscribe"}
    real = marketplace.start_operation(subscription_id, "Renew")
    mislabelled = {**real, "action": "Suspend"}

    for body in (invented, mislabelled):
        with pytest.raises(OperationNotConfirmed):
            notify(body, client, store)

    assert store.get(subscription_id).entity == before
    assert store.processed(subscription_id, real["id"]) is None


def test_a_change_refused_by_the_rules_is_answered_failure(marketplace, client, store, management):
    _token, landing = landed(marketplace, client, store, management)
    subscription_id = landing.subscription.id
    notify(marketplace.start_operation(subscription_id, "Unsubscribe"), client, store)

    outcome = notify(marketplace.start_operation(subscription_id, "ChangePlan", plan_id="byo"), client, store)

    assert outcome.outcome == "refused"
    assert [p.body for p in marketplace.operation_patches] == [{"status": "Failure"}]
    assert store.get(subscription_id).entity.plan_id == "hosted"


def test_an_operation_of_a_subscription_never_landed_is_recorded_and_skipped(marketplace, client, store):
    subscription_id = marketplace.add_subscribed()
    body = marketplace.start_operation(subscription_id, "Suspend")
    assert notify(body, client, store).outcome == "unknownSubscription"
    assert notify(body, client, store).outcome == "alreadyProcessed"
