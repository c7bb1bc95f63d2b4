"""Usage and metering on the local stack: sessions that end show in ``/public/usage`` (the key's
project) and ``/manage/organizations/{orgId}/usage`` (the organization), and the ``meter_usage``
timer, run on demand through the devhost's admin API, reports settled hours to the loopback
Marketplace."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shared.billing.metering import HOUR, hour_start, minutes
from shared.billing.subscriptions import (
    SubscriptionRecord,
    SubscriptionStore,
)
from shared.billing.usage_store import SessionUsage, UsageStore
from shared.ids import new_id
from shared.storage import table_service
from tests.e2e.builders import new_agent
from tests.e2e.conftest import ProjectKey, error_of
from tests.e2e.session_client import SessionClient, open_connection
from tests.fakes.marketplace import FakeMarketplace
from tests.management.manage_client import World, build_world

T = 30


@pytest.fixture
def world(platform, user_token) -> World:
    return build_world(platform, user_token)


def run_session(platform: Any, key: ProjectKey) -> dict[str, Any]:
    """A session that starts, lasts a moment and is ended by its client; answers the session read."""
    agent = new_agent(platform, key)
    with SessionClient(open_connection(platform, key, agent["id"])) as client:
        client.receive_until("avatar_state_changed", state="ready")
        time.sleep(1.2)
        assert client.end()["reason"] == "client"
    session: dict[str, Any] = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=key.headers, timeout=T
    ).json()
    return session


def usage(platform: Any, path: str, headers: dict[str, str], **query: str) -> dict[str, Any]:
    response = requests.get(platform.url(path), params=query, headers=headers, timeout=T)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def by_dimension(entries: list[dict[str, Any]]) -> dict[str, float]:
    return {entry["dimension"]: entry["minutes"] for entry in entries}


def test_ended_sessions_show_in_the_usage_of_their_project_and_of_their_organization(
    platform, world: World, project_key_factory, model
) -> None:
    hosted = ProjectKey(world.key, world.key_id, world.organization_id, world.project_id)
    project = world.admin.ok(
        "POST", f"/manage/organizations/{world.organization_id}/projects", 201, json={"name": "BYO"}
    )
    byo = project_key_factory(
        provider={"type": "openai-compatible", "baseUrl": model.base_url, "model": "gpt-scripted"},
        organization_id=world.organization_id,
        project_id=project["id"],
    )
    sessions = [run_session(platform, hosted), run_session(platform, byo)]
    assert [(s["status"], s["closeReason"]) for s in sessions] == [("closed", "client_closed")] * 2

    mine = usage(platform, "/public/usage", hosted.headers, granularity="hour")
    assert (mine["organizationId"], mine["projectId"], mine["granularity"]) == (
        world.organization_id,
        world.project_id,
        "hour",
    )
    assert len(mine["buckets"]) == 24 and mine["currency"] == "USD"
    hosted_minutes = by_dimension(mine["totals"])
    assert hosted_minutes["byo_llm_minutes"] == 0  # the other project's session is not this key's
    assert 1 / 60 <= hosted_minutes["hosted_llm_minutes"] <= sessions[0]["billedMinutes"]
    assert mine["cost"] == pytest.approx(hosted_minutes["hosted_llm_minutes"] * 0.058, abs=1e-5)
    assert sessions[0]["cost"] == pytest.approx(mine["cost"], abs=1e-6)  # its only session
    now_bucket = hour_start(datetime.now(UTC))
    current = [b for b in mine["buckets"] if b["minutes"] > 0]
    assert [datetime.fromisoformat(b["start"]) for b in current] in (
        [now_bucket],
        [now_bucket - HOUR],  # the session ended as the hour turned
        [now_bucket - HOUR, now_bucket],
    )

    path = f"/manage/organizations/{world.organization_id}/usage"
    organization = usage(platform, path, {"Authorization": f"Bearer {world.admin.token}"})
    assert organization["projectId"] is None and organization["granularity"] == "day"
    assert len(organization["buckets"]) == 30
    totals = by_dimension(organization["totals"])
    assert totals["hosted_llm_minutes"] == hosted_minutes["hosted_llm_minutes"]
    assert 1 / 60 <= totals["byo_llm_minutes"] <= sessions[1]["billedMinutes"]
    assert organization["minutes"] == pytest.approx(sum(totals.values()), abs=1e-6)
    assert {p["dimension"]: p["pricePerMinute"] for p in organization["prices"]} == {
        "byo_llm_minutes": 0.01,
        "hosted_llm_minutes": 0.058,
    }


def test_usage_refuses_bad_windows_and_strangers(platform, world: World) -> None:
    headers = {"X-Api-Key": world.key}
    for query, field in (
        ({"granularity": "week"}, "query.granularity"),
        ({"from": "yesterday"}, "query.from"),
        ({"from": "2025-03-02T00:00:00Z", "to": "2025-03-01T00:00:00Z"}, "query.from"),
        ({"from": "2025-01-01", "to": "2025-03-01", "granularity": "hour"}, "query.to"),
    ):
        response = requests.get(platform.url("/public/usage"), params=query, headers=headers, timeout=T)
        assert response.status_code == 400, (query, response.text)
        assert error_of(response)["details"][0]["field"] == field

    day = usage(platform, "/public/usage", headers, **{"from": "2025-03-01T10:30:00", "to": "2025-03-03"})
    assert (day["from"], day["to"]) == ("2025-03-01T00:00:00Z", "2025-03-03T00:00:00Z")
    assert [b["minutes"] for b in day["buckets"]] == [0, 0]

    path = f"/manage/organizations/{world.organization_id}/usage"
    assert world.outsider.call("GET", path).status_code == 404
    refused = world.member.call("GET", path)  # billing is the Admin's (the role matrix)
    assert refused.status_code == 403
    assert error_of(refused)["description"] == (
        "Your role in this organization (member) does not allow you to view the organization's "
        "billing and usage: that needs the Admin role."
    )
    assert world.admin.call("GET", f"/manage/organizations/{new_id('org')}/usage").status_code == 404
    assert requests.get(platform.url(path), timeout=T).status_code == 401


def subscription_store_of(platform: Any) -> SubscriptionStore:
    service = table_service(platform.settings.storage)
    return SubscriptionStore.on(service)


def test_the_metering_timer_reports_settled_hours_to_the_marketplace(
    platform, own_platform_factory, marketplace: FakeMarketplace
) -> None:
    organization_id = new_id("org")
    subscription_id = marketplace.add_subscribed(plan_id="payg")
    now = datetime.now(UTC)
    subscription_store_of(platform).create(
        SubscriptionRecord(
            id=subscription_id,
            organization_id=organization_id,
            offer_id="omniagent",
            plan_id="payg",
            status="Subscribed",
            created_at=now,
            updated_at=now,
        )
    )
    # Sessions of hours already settled (recorded as a session's end records them), one crossing an
    # hour, on both dimensions; and one of the current hour, which is not due yet.
    settled_hour = hour_start(now) - 4 * HOUR  # it and the next hour are settled whatever the minute
    sessions = [
        (
            settled_hour + timedelta(minutes=40),
            settled_hour + timedelta(minutes=75, seconds=30),
            "hosted_llm_minutes",
        ),
        (settled_hour + timedelta(minutes=10), settled_hour + timedelta(minutes=22), "byo_llm_minutes"),
        (hour_start(now), hour_start(now) + timedelta(seconds=1), "hosted_llm_minutes"),
    ]
    UsageStore.on(table_service(platform.settings.storage)).record_sessions(
        SessionUsage(new_id("sess"), organization_id, new_id("proj"), dimension, start, end)
        for start, end, dimension in sessions
    )

    host = own_platform_factory(**marketplace.devhost_env())
    response = requests.post(
        host.url("/admin/functions/meter_usage"), json={"input": ""}, headers=host.admin_headers(), timeout=T
    )
    assert response.status_code == 202, response.text

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_reported(marketplace, subscription_id)) < 3:
        time.sleep(0.2)
    assert _reported(marketplace, subscription_id) == {
        ("hosted_llm_minutes", settled_hour): float(minutes(20 * 60_000_000)),
        ("hosted_llm_minutes", settled_hour + HOUR): float(minutes(15 * 60_000_000 + 30_000_000)),
        ("byo_llm_minutes", settled_hour): float(minutes(12 * 60_000_000)),
    }
    assert all(len(call.events) <= 25 for call in marketplace.metering_calls)


def _reported(marketplace: FakeMarketplace, subscription_id: str) -> dict[tuple[str, datetime], float]:
    return {
        (event.dimension, event.effective_start_time.astimezone(UTC)): event.quantity
        for event in marketplace.accepted_events
        if event.resource_id == subscription_id
    }
