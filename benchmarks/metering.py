"""Metering at scale, printed from one run: SESSIONS sessions over SUBSCRIPTIONS subscriptions.

Against a real Azurite and the loopback Marketplace (tests/fakes/marketplace.py, over TLS, through
the real Marketplace client), the sessions (1 second to 30 minutes long, half on each dimension,
within a 4-hour span, so many cross an hour) are recorded as their ends record them, in table
transactions per partition; then one metering run reports every settled hour at once (the worst
case: a day's first run after 4 busy hours). Prints:

- the set-up: slices written and the time taken (not part of metering);
- the metering run (subscriptions looked up as the timer does, one point read per organization):
  time, events posted, Marketplace calls (batches of 25: calls << events), what was accepted, and a
  check that the accepted quantities equal the per-hour sums of the sessions;
- a second run at the same time: nothing posted (the ledger and the settled hours).

Run: ``.venv/bin/python benchmarks/metering.py [SESSIONS] [SUBSCRIPTIONS]`` (default 100000 1000).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from azure.data.tables import TableServiceClient  # noqa: E402

from shared.billing.marketplace import MarketplaceClient, UsageEvent, UsageEventResult  # noqa: E402
from shared.billing.metering import (  # noqa: E402
    BYO_LLM_MINUTES,
    HOSTED_LLM_MINUTES,
    SETTLE_MARGIN,
    hour_start,
    minutes,
    split_by_hour,
)
from shared.billing.metering_run import BilledTo, billing_from, meter  # noqa: E402
from shared.billing.subscriptions import (  # noqa: E402
    SubscriptionRecord,
    SubscriptionStore,
)
from shared.billing.usage_store import SessionUsage, UsageStore  # noqa: E402
from shared.ids import new_id  # noqa: E402
from shared.settings import MarketplaceSettings, StorageSettings  # noqa: E402
from shared.storage import table_service  # noqa: E402
from tests.azurite import running_azurite  # noqa: E402
from tests.fakes.marketplace import FakeMarketplace  # noqa: E402

SPAN = timedelta(hours=4)


class TimedClient:
    """The real client, with the time spent in its calls added up (the rest of a run is storage)."""

    def __init__(self, client: MarketplaceClient) -> None:
        self.client = client
        self.seconds = 0.0

    def post_usage_batch(self, events: Sequence[UsageEvent]) -> list[UsageEventResult]:
        began = time.perf_counter()
        try:
            return self.client.post_usage_batch(events)
        finally:
            self.seconds += time.perf_counter() - began


LONGEST_SESSION_SECONDS = 30 * 60


def subscription_store_on(service: TableServiceClient) -> SubscriptionStore:
    return SubscriptionStore.on(service)


def generate(
    count: int, billing: dict[str, BilledTo], start: datetime, rng: random.Random
) -> list[SessionUsage]:
    organizations = list(billing)
    sessions = []
    for _ in range(count):
        length = timedelta(seconds=rng.uniform(1, LONGEST_SESSION_SECONDS))
        began = start + timedelta(seconds=rng.uniform(0, (SPAN - length).total_seconds()))
        sessions.append(
            SessionUsage(
                session_id=new_id("sess"),
                organization_id=rng.choice(organizations),
                project_id="proj_bench",
                dimension=rng.choice([BYO_LLM_MINUTES, HOSTED_LLM_MINUTES]),
                started_at=began,
                ended_at=began + length,
            )
        )
    return sessions


def expected_quantities(
    sessions: list[SessionUsage], billing: dict[str, BilledTo]
) -> dict[tuple[str, str, datetime], float]:
    sums: dict[tuple[str, str, datetime], int] = defaultdict(int)
    for session in sessions:
        for piece in split_by_hour(session.started_at, session.ended_at):
            key = (billing[session.organization_id].subscription_id, session.dimension, piece.hour)
            sums[key] += piece.microseconds
    return {key: float(minutes(us)) for key, us in sums.items()}


def main(session_count: int, subscription_count: int) -> None:
    rng = random.Random(2025)
    with (
        tempfile.TemporaryDirectory() as scratch,
        running_azurite(Path(scratch)) as azurite,
        FakeMarketplace() as fake,
    ):
        service = table_service(StorageSettings(connection_string=azurite.connection_string))
        store = UsageStore.on(service)
        subscriptions = subscription_store_on(service)
        billing = {
            new_id("org"): BilledTo(fake.add_subscribed(plan_id="payg"), "payg")
            for _ in range(subscription_count)
        }
        linked = datetime.now(UTC)
        for organization_id, billed in billing.items():
            subscriptions.create(
                SubscriptionRecord(
                    id=billed.subscription_id,
                    organization_id=organization_id,
                    offer_id="omniagent",
                    plan_id=billed.plan_id,
                    status="Subscribed",
                    created_at=linked,
                    updated_at=linked,
                )
            )
        now = datetime.now(UTC)
        # The sessions' span ends so that its last hour is just settled at `now`.
        first_hour = hour_start(now - SETTLE_MARGIN - timedelta(hours=1)) - SPAN + timedelta(hours=1)
        sessions = generate(session_count, billing, first_hour, rng)
        fake.set_now(now)

        began = time.perf_counter()
        slices = store.record_sessions(sessions)
        setup_seconds = time.perf_counter() - began
        print(f"Metering {len(sessions):,} sessions over {subscription_count:,} subscriptions")
        print(
            f"  set-up: {slices:,} hour slices written to 2 tables in {setup_seconds:.1f} s "
            f"({2 * slices / setup_seconds:,.0f} rows/s, table transactions of 100)"
        )

        client = TimedClient(
            MarketplaceClient(
                MarketplaceSettings(
                    tenant_id=fake.tenant_id,
                    client_id=fake.client_id,
                    client_secret=fake.client_secret,
                    api_url=fake.origin,
                    authority=fake.origin,
                ),
                connection_verify=fake.ca_bundle,
            )
        )
        began = time.perf_counter()
        summary = meter(now, store, client, billing_from(subscriptions))
        metering_seconds = time.perf_counter() - began
        print(
            f"  metering run: {metering_seconds:.1f} s for {summary.hours_read} hours: "
            f"{summary.events_posted:,} events in {summary.calls:,} Marketplace calls "
            f"({len(fake.metering_calls):,} received; {summary.events_posted / max(1, summary.calls):.1f} "
            f"events and {len(sessions) / max(1, summary.calls):,.0f} sessions per call)"
        )
        print(
            f"    of which in Marketplace calls {client.seconds:.1f} s (loopback, TLS), the rest reading "
            "slices and writing the ledger (Azurite)"
        )
        print(
            f"    accepted {summary.accepted:,}, duplicates {summary.duplicates}, expired {summary.expired}, "
            f"failed {summary.failed}"
        )
        reported = {
            (e.resource_id, e.dimension, e.effective_start_time.astimezone(UTC)): e.quantity
            for e in fake.accepted_events
        }
        matches = reported == expected_quantities(sessions, billing)
        print(f"    accepted quantities equal the per-hour sums of the sessions: {matches}")

        began = time.perf_counter()
        again = meter(now, store, client, billing_from(subscriptions))
        print(
            f"  second run: {again.events_posted} events, {again.calls} calls in "
            f"{time.perf_counter() - began:.2f} s"
        )


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    main(*(arguments + [100_000, 1_000][len(arguments) :]))
