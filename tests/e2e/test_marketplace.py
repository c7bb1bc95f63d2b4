"""Billing through the Azure Marketplace, end to end: a devhost configured for the loopback
Marketplace (TLS, Entra tokens, Fulfillment and Operations APIs), driven over HTTP as the buyer's
browser and Microsoft's webhook calls would drive it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from shared.billing.subscriptions import SubscriptionStore, subscription_store
from shared.platform import Platform as AppPlatform
from shared.settings import load_settings
from tests.devhost.helpers import REPO_ROOT, DevHost
from tests.e2e.builders import new_agent
from tests.e2e.conftest import Platform, ProjectKey, error_of
from tests.e2e.session_client import SessionClient, message_of, open_connection
from tests.fakes.marketplace import FakeMarketplace

T = 30
JSON = {"Accept": "application/json"}
BUYER = "buyer@contoso.example"


@pytest.fixture(scope="module")
def billing(platform: Platform, marketplace_server: FakeMarketplace, tmp_path_factory) -> Iterator[Platform]:
    """One devhost for the module, on the suite's storage, with the Marketplace settings set."""
    root = tmp_path_factory.mktemp("billing-host")
    environment = {
        "OMNI_ENVIRONMENT": "local",
        "OMNI_STORAGE_CONNECTION_STRING": platform.settings.storage.connection_string or "",
        "OMNI_LOCAL_STATE_DIR": platform.settings.local_state_dir,
        **marketplace_server.devhost_env(),
    }
    host = DevHost(app_dir=REPO_ROOT, data_dir=root / "data", log_dir=root / "logs", environment=environment)
    host.start()
    try:
        yield Platform(host, load_settings(environment))
    finally:
        host.stop()


@pytest.fixture
def store(platform: Platform) -> SubscriptionStore:
    return subscription_store(AppPlatform(platform.settings))


def land(billing: Platform, token: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(
        billing.url("/marketplace/landing"), params={"token": token}, headers=headers or JSON, timeout=T
    )


def landed(billing: Platform, marketplace: FakeMarketplace, **purchase: Any) -> dict[str, Any]:
    response = land(billing, marketplace.add_subscription(purchaser_email=BUYER, **purchase))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def deliver(billing: Platform, body: dict[str, Any], token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(billing.url("/marketplace/webhook"), json=body, headers=headers, timeout=T)


def test_the_landing_page_links_a_new_organization_to_the_purchase_and_activates_it(
    billing, marketplace, user_token
):
    token = marketplace.add_subscription(purchaser_email=BUYER, name="Contoso <b>Support</b>", plan_id="byo")

    page = land(billing, token, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Contoso &lt;b&gt;Support&lt;/b&gt;" in page.text and "<b>" not in page.text

    subscription = marketplace.subscription_for_token(token)
    assert subscription.status == "Subscribed"
    assert [(sid, body["planId"]) for sid, body in marketplace.activations] == [(subscription.id, "byo")]
    again = land(billing, token).json()
    assert again["subscriptionId"] == subscription.id
    assert (again["organizationCreated"], again["activated"], again["status"]) == (False, False, "Subscribed")
    assert len(marketplace.activations) == 1

    organizations = requests.get(
        billing.url("/manage/organizations"),
        headers={"Authorization": f"Bearer {user_token(BUYER)}"},
        timeout=T,
    ).json()["items"]
    mine = [o for o in organizations if o["id"] == again["organizationId"]]
    assert [(o["name"], o["role"]) for o in mine] == [("Contoso <b>Support</b>", "admin")]


def test_an_unknown_purchase_token_gets_a_clear_page_or_error(billing, marketplace):
    page = land(billing, "not-a-purchase", headers={"Accept": "text/html"})
    assert page.status_code == 400
    assert "couldn&#x27;t identify this purchase" in page.text

    answer = land(billing, "not-a-purchase")
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "PurchaseNotIdentified"
    assert error_of(land(billing, ""))["code"] == "ValidationFailed"


def test_each_webhook_action_with_a_valid_token_is_applied(billing, marketplace, store):
    subscription_id = landed(billing, marketplace)["subscriptionId"]
    steps = [
        ("ChangePlan", {"plan_id": "byo"}, "Subscribed", "byo", None),
        ("ChangeQuantity", {"quantity": 4}, "Subscribed", "byo", 4),
        ("Renew", {}, "Subscribed", "byo", 4),
        ("Suspend", {}, "Suspended", "byo", 4),
        ("Reinstate", {}, "Subscribed", "byo", 4),
        ("Unsubscribe", {}, "Unsubscribed", "byo", 4),
    ]
    for action, values, status, plan, quantity in steps:
        body = marketplace.start_operation(subscription_id, action, **values)
        response = deliver(billing, body, marketplace.webhook_token())
        assert response.status_code == 200, (action, response.text)
        assert response.json()["outcome"] == "applied", action
        stored = store.get(subscription_id)
        assert stored is not None
        assert (stored.entity.status, stored.entity.plan_id, stored.entity.quantity) == (
            status,
            plan,
            quantity,
        )

    acknowledged = [
        (marketplace.operations[p.operation_id].action, p.body) for p in marketplace.operation_patches
    ]
    assert acknowledged == [("ChangePlan", {"status": "Success"}), ("ChangeQuantity", {"status": "Success"})]
    history = [change.action for change in store.history_of(subscription_id)]
    assert history[-6:] == [step[0] for step in steps]


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda fake: fake.webhook_token(forged=True), id="forged"),
        pytest.param(lambda fake: fake.webhook_token(expires_in=-300), id="expired"),
        pytest.param(
            lambda fake: fake.webhook_token(audience="api://another-publisher"), id="wrong-audience"
        ),
        pytest.param(lambda fake: None, id="none"),
    ],
)
def test_a_webhook_without_a_valid_token_is_refused_and_changes_nothing(
    billing, marketplace, store, make_token: Callable[[FakeMarketplace], str | None]
):
    subscription_id = landed(billing, marketplace)["subscriptionId"]
    lines_before = len(store.history_of(subscription_id))
    calls_before = len(marketplace.api_calls)
    body = marketplace.start_operation(subscription_id, "Suspend")

    response = deliver(billing, body, make_token(marketplace))

    assert response.status_code == 401
    assert error_of(response)["code"] == "Unauthorized"
    stored = store.get(subscription_id)
    assert stored is not None and stored.entity.status == "Subscribed"
    assert len(store.history_of(subscription_id)) == lines_before
    assert store.processed(subscription_id, body["id"]) is None
    assert len(marketplace.api_calls) == calls_before  # not even the operation was looked up


def test_a_bad_body_is_400_and_an_unconfirmed_operation_changes_nothing(billing, marketplace, store):
    subscription_id = landed(billing, marketplace)["subscriptionId"]
    token = marketplace.webhook_token()
    assert deliver(billing, {"action": "Suspend"}, token).status_code == 400
    invented = {
        "id": "7f6c2d9e-1111-4222-8333-944455556666",
        "subscriptionId": subscription_id,
        "action": "Suspend",
    }
    response = deliver(billing, invented, token)
    assert response.status_code == 400
    assert error_of(response)["code"] == "OperationNotConfirmed"
    stored = store.get(subscription_id)
    assert stored is not None and stored.entity.status == "Subscribed"


def test_a_webhook_body_nested_too_deeply_is_a_400_with_or_without_a_token(billing, marketplace, store):
    """'[' * 100000 raised RecursionError (a 500) before the depth limit (issue 16, defect 2)."""
    subscription_id = landed(billing, marketplace)["subscriptionId"]
    for token in (marketplace.webhook_token(), None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for body in ("[" * 100_000, '{"action": ' * 50_000):
            url = billing.url("/marketplace/webhook")
            response = requests.post(url, data=body, headers=headers, timeout=T)
            assert response.status_code in (400, 401), (response.status_code, response.text[:300])
            error_of(response)
    stored = store.get(subscription_id)
    assert stored is not None and stored.entity.status == "Subscribed"


def test_the_same_webhook_delivered_twice_acts_once(billing, marketplace, store):
    subscription_id = landed(billing, marketplace)["subscriptionId"]
    body = marketplace.start_operation(subscription_id, "ChangePlan", plan_id="byo")

    first = deliver(billing, body, marketplace.webhook_token())
    second = deliver(billing, body, marketplace.webhook_token())

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["outcome"], second.json()["outcome"]) == ("applied", "alreadyProcessed")
    assert len(marketplace.operation_patches) == 1
    lookups = [path for method, path in marketplace.api_calls if method == "GET" and body["id"] in path]
    assert len(lookups) == 1
    assert [c.action for c in store.history_of(subscription_id)].count("ChangePlan") == 1


def test_suspension_ends_live_sessions_and_refuses_new_ones_until_reinstated(
    billing, marketplace, user_token, project_key_factory: Callable[..., ProjectKey]
):
    landing = landed(billing, marketplace)
    subscription_id, organization_id = landing["subscriptionId"], landing["organizationId"]
    project = requests.post(
        billing.url(f"/manage/organizations/{organization_id}/projects"),
        json={"name": "Support", "description": "Billing test"},
        headers={"Authorization": f"Bearer {user_token(BUYER)}"},
        timeout=T,
    )
    assert project.status_code == 201, project.text

    def key() -> ProjectKey:  # a new key each time: connections are limited to 1 per 5 s per key
        return project_key_factory(organization_id=organization_id, project_id=project.json()["id"])

    first_key = key()
    agent = new_agent(billing, first_key)
    with SessionClient(open_connection(billing, first_key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")

        suspended = deliver(
            billing, marketplace.start_operation(subscription_id, "Suspend"), marketplace.webhook_token()
        )
        assert suspended.json()["endedSessions"] == 1

        ended = client.receive_until("session_ended")[-1]["data"]
        assert ended["reason"] == "billing"
    session = _ended_session(billing, first_key, client.session_id)
    assert (session["status"], session["closeReason"], session["endReason"]) == (
        "closed",
        "billing",
        "billing",
    )

    refused_key = key()
    refused = requests.post(
        billing.url(f"/public/agents/{agent['id']}/connections"),
        json={"channelType": "websocket"},
        headers=refused_key.headers,
        timeout=T,
    )
    assert refused.status_code == 402
    assert error_of(refused)["code"] == "PaymentRequired"
    legacy = requests.post(
        billing.url("/public/ws-connections"),
        json={"companionId": agent["companionId"]},
        headers=key().headers,
        timeout=T,
    )
    assert legacy.status_code == 402

    reinstated = deliver(
        billing, marketplace.start_operation(subscription_id, "Reinstate"), marketplace.webhook_token()
    )
    assert reinstated.json()["status"] == "Subscribed"
    with SessionClient(open_connection(billing, key(), agent["id"])) as client:
        opening = client.receive_until("avatar_state_changed", state="ready")
        assert message_of(opening[1])["type"] == "session"


def _ended_session(billing: Platform, key: ProjectKey, session_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + T
    while True:
        session: dict[str, Any] = requests.get(
            billing.url(f"/public/sessions/{session_id}"), headers=key.headers, timeout=T
        ).json()
        if session["status"] in ("closed", "failed") or time.monotonic() > deadline:
            return session
        time.sleep(0.2)
