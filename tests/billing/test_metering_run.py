"""The metering run (shared/billing/metering_run.py) on real tables in Azurite, reporting to the
loopback Marketplace (tests/fakes/marketplace.py) through the real Marketplace client.

Each test meters its own hours (far from now and from each other), so tests sharing the session's
Azurite never read each other's usage; the fake's clock is set to the run's ``now``.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.billing.marketplace import MarketplaceClient, UsageEvent, UsageEventResult
from shared.billing.metering import (
    BYO_LLM_MINUTES,
    HOSTED_LLM_MINUTES,
    HOUR,
    Dimension,
    dimension_for,
    hour_key,
    minutes,
)
from shared.billing.metering_run import BilledTo, billing_from, meter
from shared.billing.subscriptions import (
    SubscriptionRecord,
    SubscriptionStore,
)
from shared.billing.usage_store import SessionUsage, UsageStore
from shared.ids import new_id
from shared.settings import MarketplaceSettings
from shared.storage import table_service
from tests.fakes.marketplace import FakeMarketplace

_TEST_DAYS = itertools.count()


@pytest.fixture
def store(storage_settings) -> UsageStore:
    return UsageStore.on(table_service(storage_settings))


@pytest.fixture
def base() -> datetime:
    """A midnight of this test's own, ten days from any other test's."""
    return datetime(2031, 1, 1, tzinfo=UTC) + timedelta(days=10 * next(_TEST_DAYS))


def client_of(fake: FakeMarketplace, retries: int = 0) -> MarketplaceClient:
    settings = MarketplaceSettings(
        tenant_id=fake.tenant_id,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        api_url=fake.origin,
        authority=fake.origin,
    )
    return MarketplaceClient(
        settings, connection_verify=fake.ca_bundle, retry_total=retries, retry_backoff_factor=0.01
    )


class Customers:
    """Organizations, their Marketplace subscriptions (in the fake) and sessions."""

    def __init__(self, fake: FakeMarketplace) -> None:
        self.fake = fake
        self.billing: dict[str, BilledTo] = {}
        self.sessions: list[SessionUsage] = []

    def organization(self, subscribed: bool = True, plan_id: str = "payg") -> str:
        organization_id = new_id("org")
        if subscribed:
            self.billing[organization_id] = BilledTo(self.fake.add_subscribed(plan_id=plan_id), plan_id)
        return organization_id

    def session(self, organization_id: str, provider_type: str, start: datetime, end: datetime) -> None:
        self.sessions.append(
            SessionUsage(
                session_id=new_id("sess"),
                organization_id=organization_id,
                project_id=new_id("proj"),
                dimension=dimension_for(provider_type),
                started_at=start,
                ended_at=end,
            )
        )

    def find_billing(self, organization_id: str) -> BilledTo | None:
        return self.billing.get(organization_id)

    def expected(self) -> dict[tuple[str, Dimension, datetime], int]:
        """Microseconds per (subscription, dimension, hour), by clipping each interval to each hour
        (independently of the splitting under test)."""
        sums: dict[tuple[str, Dimension, datetime], int] = defaultdict(int)
        for session in self.sessions:
            billing = self.billing.get(session.organization_id)
            if billing is None:
                continue
            hour = session.started_at.replace(minute=0, second=0, microsecond=0)
            while hour < session.ended_at:
                overlap = min(session.ended_at, hour + HOUR) - max(session.started_at, hour)
                if overlap > timedelta(0):
                    sums[(billing.subscription_id, session.dimension, hour)] += overlap // timedelta(
                        microseconds=1
                    )
                hour += HOUR
        return sums


def accepted_quantities(fake: FakeMarketplace) -> dict[tuple[str, str, datetime], float]:
    found: dict[tuple[str, str, datetime], float] = {}
    for event in fake.accepted_events:
        key = (event.resource_id, event.dimension, event.effective_start_time.astimezone(UTC))
        assert key not in found, f"reported twice: {key}"
        found[key] = event.quantity
    return found


def run(store: UsageStore, fake: FakeMarketplace, customers: Customers, now: datetime, retries: int = 0):
    fake.set_now(now)
    return meter(now, store, client_of(fake, retries), customers.find_billing)


def test_sessions_across_hours_on_both_dimensions_are_reported_as_their_per_second_sums(
    store: UsageStore, marketplace: FakeMarketplace, base: datetime
) -> None:
    customers = Customers(marketplace)
    hosted, byo, both = customers.organization(), customers.organization(), customers.organization()
    rng = random.Random(11)
    for organization_id, providers in ((hosted, ["hosted"]), (byo, ["azure-openai", "openai-compatible"])):
        for _ in range(40):
            start = base + timedelta(seconds=rng.randint(0, 4 * 3600), microseconds=rng.randint(0, 999_999))
            length = timedelta(seconds=rng.randint(1, 3600), microseconds=rng.randint(0, 999_999))
            customers.session(organization_id, rng.choice(providers), start, start + length)
    # One session of each dimension crossing two boundaries, in the same organization.
    customers.session(
        both, "hosted", base + timedelta(minutes=59, seconds=30), base + timedelta(hours=2, seconds=1)
    )
    customers.session(
        both, "openai-compatible", base + timedelta(minutes=30), base + timedelta(hours=1, minutes=30)
    )
    store.record_sessions(customers.sessions)

    now = base + timedelta(hours=8)  # hours 0-5 settled (sessions end by 5:00)
    summary = run(store, marketplace, customers, now)

    expected = customers.expected()
    assert {dimension for _, dimension, _ in expected} == {BYO_LLM_MINUTES, HOSTED_LLM_MINUTES}
    reported = accepted_quantities(marketplace)
    assert reported == {key: float(minutes(us)) for key, us in expected.items()}
    assert summary.accepted == summary.events_posted == len(expected)
    assert summary.calls == len(marketplace.metering_calls) == -(-len(expected) // 25)
    # The session crossing two boundaries: 30 s, 60 min and 1 s of hosted minutes.
    subscription = customers.billing[both].subscription_id
    assert [reported[(subscription, HOSTED_LLM_MINUTES, base + HOUR * h)] for h in range(3)] == [
        0.5,
        60.0,
        0.016667,
    ]
    # The whole of each dimension, exactly (to the 6 decimals of one event).
    for dimension in (BYO_LLM_MINUTES, HOSTED_LLM_MINUTES):
        exact = sum(
            (s.ended_at - s.started_at) // timedelta(microseconds=1)
            for s in customers.sessions
            if s.dimension == dimension
        )
        assert exact == sum(us for (_, d, _), us in expected.items() if d == dimension)

    again = run(store, marketplace, customers, now + timedelta(hours=1))
    assert again.events_posted == 0 and again.calls == 0
    assert len(marketplace.metering_calls) == summary.calls


def test_the_ledger_records_what_was_accepted(
    store: UsageStore, marketplace: FakeMarketplace, base: datetime
) -> None:
    customers = Customers(marketplace)
    organization_id = customers.organization(plan_id="scale")
    customers.session(organization_id, "hosted", base + timedelta(minutes=10), base + timedelta(minutes=40))
    store.record_sessions(customers.sessions)
    run(store, marketplace, customers, base + timedelta(hours=3))

    [entry] = store.ledger_entries(base)
    [accepted] = marketplace.accepted_events
    assert entry.status == "accepted" and entry.attempts == 1 and entry.last_error is None
    assert entry.usage_event_id == accepted.usage_event_id
    assert entry.quantity == Decimal("30") and entry.plan_id == "scale" == accepted.plan_id
    assert entry.organization_id == organization_id
    assert entry.subscription_id == customers.billing[organization_id].subscription_id
    assert hour_key(entry.hour) == hour_key(base)


class CrashAfterPosting:
    """The run's process dies right after Microsoft accepted a call, before the ledger is written."""

    def __init__(self, client: MarketplaceClient) -> None:
        self.client = client

    def post_usage_batch(self, events: Sequence[UsageEvent]) -> list[UsageEventResult]:
        self.client.post_usage_batch(events)
        raise SystemExit("the host went away")


def test_a_crash_between_posting_and_recording_does_not_report_twice(
    store: UsageStore, marketplace: FakeMarketplace, base: datetime
) -> None:
    customers = Customers(marketplace)
    for _ in range(3):
        organization_id = customers.organization()
        customers.session(
            organization_id, "hosted", base + timedelta(minutes=50), base + timedelta(minutes=70)
        )
    store.record_sessions(customers.sessions)
    now = base + timedelta(hours=4)
    marketplace.set_now(now)
    with pytest.raises(SystemExit):
        meter(now, store, CrashAfterPosting(client_of(marketplace)), customers.find_billing)
    assert store.ledger_entries(base) == []
    first = {(e.resource_id, e.effective_start_time): e.usage_event_id for e in marketplace.accepted_events}
    assert len(first) == 6  # three subscriptions, two hours each

    summary = run(store, marketplace, customers, now + timedelta(hours=1))
    assert summary.duplicates == summary.events_posted == 6 and summary.accepted == 0
    assert len(marketplace.accepted_events) == 6  # once per subscription and hour, not twice
    ledger = store.ledger_entries(base) + store.ledger_entries(base + HOUR)
    assert {e.status for e in ledger} == {"duplicate"}
    assert {(e.subscription_id, e.hour): e.usage_event_id for e in ledger} == first
    assert run(store, marketplace, customers, now + timedelta(hours=2)).events_posted == 0


def test_an_answer_lost_after_acceptance_is_settled_by_duplicate(
    store: UsageStore, marketplace: FakeMarketplace, base: datetime
) -> None:
    customers = Customers(marketplace)
    organization_id = customers.organization()
    customers.session(
        organization_id, "azure-openai", base + timedelta(minutes=5), base + timedelta(minutes=6)
    )
    store.record_sessions(customers.sessions)

    marketplace.lose_next_answers(1, "drop")
    lost = run(store, marketplace, customers, base + timedelta(hours=3))
    assert lost.failed == 1 and store.settled_hours([base]) == set()
    assert [e.status for e in store.ledger_entries(base)] == ["failed"]

    settled = run(store, marketplace, customers, base + timedelta(hours=4))
    assert settled.duplicates == 1
    [entry] = store.ledger_entries(base)
    assert entry.status == "duplicate" and entry.attempts == 2
    assert entry.usage_event_id == marketplace.accepted_events[0].usage_event_id
    assert len(marketplace.accepted_events) == 1

    # The client's own retry of a lost answer meets the same Duplicate within one run.
    later = base + timedelta(days=1)
    customers.session(organization_id, "azure-openai", later, later + timedelta(minutes=2))
    store.record_sessions(customers.sessions[-1:])
    marketplace.lose_next_answers(1, "error")
    retried = run(store, marketplace, customers, later + timedelta(hours=3), retries=2)
    assert retried.duplicates == 1 and len(marketplace.accepted_events) == 2


def test_failed_calls_and_refused_events_are_retried_by_the_next_run(
    store: UsageStore, marketplace: FakeMarketplace, base: datetime
) -> None:
    customers = Customers(marketplace)
    known = customers.organization()
    unknown = new_id("org")
    missing_subscription = str(uuid.uuid4())
    customers.billing[unknown] = BilledTo(missing_subscription, "payg")  # not (yet) in the Marketplace
    for organization_id in (known, unknown):
        customers.session(organization_id, "hosted", base + timedelta(minutes=1), base + timedelta(minutes=2))
    store.record_sessions(customers.sessions)

    marketplace.fail_next(1, 503)
    down = run(store, marketplace, customers, base + timedelta(hours=3))
    assert down.failed == 2 and down.calls == 1 and marketplace.accepted_events == []
    assert {e.last_error is not None and "503" in e.last_error for e in store.ledger_entries(base)} == {True}

    partly = run(store, marketplace, customers, base + timedelta(hours=4))
    assert (partly.accepted, partly.failed) == (1, 1)
    refused = next(e for e in store.ledger_entries(base) if e.subscription_id == missing_subscription)
    assert refused.status == "failed" and refused.attempts == 2
    assert refused.last_error is not None and refused.last_error.startswith("ResourceNotFound")

    marketplace.add_subscribed(subscription_id=missing_subscription)
    last = run(store, marketplace, customers, base + timedelta(hours=5))
    assert (last.events_posted, last.accepted) == (1, 1) and store.settled_hours([base]) == {base}
    assert {e.status for e in store.ledger_entries(base)} == {"accepted"}
    assert run(store, marketplace, customers, base + timedelta(hours=6)).calls == 0


def test_expired_events_are_recorded_and_never_retried(
    store: UsageStore, marketplace: FakeMarketplace, base: datetime
) -> None:
    customers = Customers(marketplace)
    organization_id = customers.organization()
    customers.session(organization_id, "hosted", base + timedelta(minutes=1), base + timedelta(minutes=2))
    store.record_sessions(customers.sessions)
    now = base + timedelta(hours=22)
    marketplace.set_now(now + timedelta(hours=3))  # Microsoft's clock is ahead: the hour is too old there
    summary = meter(now, store, client_of(marketplace), customers.find_billing)
    assert summary.expired == 1 and base in store.settled_hours([base])
    [entry] = store.ledger_entries(base)
    assert entry.status == "expired" and entry.usage_event_id is None
    assert run(store, marketplace, customers, now + timedelta(minutes=30)).events_posted == 0


def test_only_settled_hours_the_api_still_accepts_are_reported(
    store: UsageStore, marketplace: FakeMarketplace, base: datetime
) -> None:
    customers = Customers(marketplace)
    organization_id = customers.organization()
    now = base + timedelta(days=1, hours=12, minutes=20)
    for hours_ago in (1, 2, 3, 23, 25):
        start = now - timedelta(hours=hours_ago)
        customers.session(organization_id, "hosted", start, start + timedelta(minutes=1))
    store.record_sessions(customers.sessions)
    run(store, marketplace, customers, now)
    reported = sorted(now - e.effective_start_time for e in marketplace.accepted_events)
    # 2 and 3 h ago: settled (their hours closed 1 h 20 min and 2 h 20 min ago, more than the 1 h
    # 15 min a session can still add); 1 h ago: a session may still run into its hour; 23 h ago: the
    # hour began 23 h 20 min ago, past the 23 h the run allows itself; 25 h ago: too old for the API.
    assert reported == [timedelta(hours=2, minutes=20), timedelta(hours=3, minutes=20)]


def test_organizations_without_a_subscription_are_not_reported(
    store: UsageStore, marketplace: FakeMarketplace, base: datetime
) -> None:
    customers = Customers(marketplace)
    free = customers.organization(subscribed=False)
    customers.session(free, "hosted", base + timedelta(minutes=1), base + timedelta(minutes=31))
    store.record_sessions(customers.sessions)
    summary = run(store, marketplace, customers, base + timedelta(hours=3))
    assert (summary.events_posted, summary.calls, summary.unbilled) == (0, 0, 1)
    assert marketplace.metering_calls == []
    [piece] = store.organization_usage(free, base, base + timedelta(days=1))
    assert piece.microseconds == 30 * 60_000_000  # shown as usage all the same


def test_recording_a_session_again_writes_the_same_rows(store: UsageStore, base: datetime) -> None:
    session = SessionUsage(
        session_id=new_id("sess"),
        organization_id=new_id("org"),
        project_id=new_id("proj"),
        dimension=HOSTED_LLM_MINUTES,
        started_at=base + timedelta(minutes=30),
        ended_at=base + timedelta(hours=1, minutes=15),
    )
    first = store.record_session(session)
    again = store.record_session(session)
    assert first == again and len(first) == 2
    rows = store.organization_usage(session.organization_id, base, base + timedelta(hours=2))
    assert [r.microseconds for r in rows] == [30 * 60_000_000, 15 * 60_000_000]
    assert sum(1 for r in store.hour_usage(base) if r.session_id == session.session_id) == 1


def test_subscriptions_are_found_as_the_timer_finds_them_and_pending_ones_bill_nothing(
    storage_settings, base: datetime
) -> None:
    service = table_service(storage_settings)
    subscriptions = SubscriptionStore.on(service)
    active, pending, suspended = new_id("org"), new_id("org"), new_id("org")
    for organization_id, status in (
        (active, "Subscribed"),
        (pending, "PendingFulfillmentStart"),
        (suspended, "Suspended"),
    ):
        subscriptions.create(
            SubscriptionRecord(
                id=f"sub-{organization_id}",
                organization_id=organization_id,
                offer_id="omniagent",
                plan_id="payg",
                status=status,
                created_at=base,
                updated_at=base,
            )
        )
    billed_to = billing_from(subscriptions)
    assert billed_to(active) == BilledTo(f"sub-{active}", "payg")
    assert billed_to(pending) is None  # never activated: nothing to bill
    assert billed_to(suspended) == BilledTo(f"sub-{suspended}", "payg")  # the Metering API decides
    assert billed_to(new_id("org")) is None
