"""One metering run: report every settled, still-accepted hour's usage to the Marketplace, once.

For each reportable hour not yet settled (``metering.reportable_hours``): read the hour's slices of
every organization (one partition), sum them per organization and dimension, attribute each
organization to its Marketplace subscription (organizations without one are shown usage but never
reported), leave out what the ledger already settled, and post the rest in batches of 25. After each
call the answers go to the ledger; an hour whose events are all settled is marked so later runs skip
it.

Never twice: the ledger is read before posting and written after each call. A run that dies between
a call and its ledger write posts the same events again next time, and Microsoft answers
``Duplicate`` (one event per resource, dimension and hour), which settles them without a second
charge. A call that fails as a whole (transport, 5xx after the client's retries) records its events
as failed and ends the run's posting: the Marketplace is unwell, the next run retries.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from shared.billing.marketplace import MAX_BATCH_EVENTS, MarketplaceError, UsageEvent, UsageEventResult
from shared.billing.metering import (
    SETTLED_STATUSES,
    Dimension,
    LedgerStatus,
    MeteringKey,
    PlannedEvent,
    batches,
    ledger_status,
    plan_events,
    reportable_hours,
)
from shared.billing.subscriptions import SubscriptionStore
from shared.billing.usage_store import LedgerEntry, UsageStore, ledger_key, ledger_row

log = logging.getLogger("omniagent.billing.metering")


@dataclass(frozen=True)
class BilledTo:
    """The Marketplace subscription an organization's usage is reported to."""

    subscription_id: str
    plan_id: str


FindBilling = Callable[[str], BilledTo | None]


def billing_from(subscriptions: SubscriptionStore) -> FindBilling:
    """Organizations' subscriptions as the run needs them (one point read per organization a run)."""

    def billed_to(organization_id: str) -> BilledTo | None:
        # A subscription not yet activated bills nothing; any later status is reported and the
        # Metering API decides (the hours before a suspension or a cancellation are still owed).
        found = subscriptions.subscription_for_organization(organization_id)
        if found is None or found.status == "PendingFulfillmentStart":
            return None
        return BilledTo(found.subscription_id, found.plan_id)

    return billed_to


class UsagePoster(Protocol):
    def post_usage_batch(self, events: Sequence[UsageEvent]) -> list[UsageEventResult]: ...


@dataclass
class MeteringSummary:
    hours_read: int = 0  # reportable hours not settled before this run
    events_posted: int = 0
    accepted: int = 0
    duplicates: int = 0
    expired: int = 0
    failed: int = 0
    calls: int = 0  # Marketplace calls made
    unbilled: int = 0  # organization-hours with usage and no subscription (not reported)
    hours_settled: int = 0  # hours this run marked settled

    def __str__(self) -> str:
        return (
            f"{self.events_posted} events in {self.calls} calls over {self.hours_read} hours: "
            f"{self.accepted} accepted, {self.duplicates} duplicates, {self.expired} expired, "
            f"{self.failed} failed; {self.unbilled} organization-hours without a subscription; "
            f"{self.hours_settled} hours settled"
        )


@dataclass
class _Hour:
    hour: datetime
    events: list[PlannedEvent]
    previous: dict[MeteringKey, LedgerEntry]
    organization_of: dict[str, str]  # subscription id -> organization id


def meter(
    now: datetime,
    store: UsageStore,
    poster: UsagePoster,
    find_billing: FindBilling,
    *,
    batch_size: int = MAX_BATCH_EVENTS,
) -> MeteringSummary:
    """Report what is due at ``now``; answers what happened."""
    summary = MeteringSummary()
    hours = reportable_hours(now)
    already = store.settled_hours(hours)
    billing: dict[str, BilledTo | None] = {}

    def billed_to(organization_id: str) -> BilledTo | None:
        if organization_id not in billing:
            billing[organization_id] = find_billing(organization_id)
        return billing[organization_id]

    due = [_plan_hour(store, hour, billed_to, summary) for hour in hours if hour not in already]
    summary.hours_read = len(due)
    events = [(work, event) for work in due for event in work.events]
    unsettled: set[MeteringKey] = {event.key for _, event in events}

    for batch in batches(events, batch_size):
        wire = [_usage_event(event) for _, event in batch]
        summary.calls += 1
        summary.events_posted += len(batch)
        try:
            results = poster.post_usage_batch(wire)
        except MarketplaceError as error:
            log.warning("Metering call failed; %d events retried next run: %s", len(batch), error)
            store.record_outcomes(
                [_entry(work, event, "failed", None, str(error), now) for work, event in batch]
            )
            summary.failed += len(batch)
            break
        entries = []
        for (work, event), result in zip(batch, results, strict=True):
            status = ledger_status(result.status)
            error_text = None if status in SETTLED_STATUSES else f"{result.status}: {result.message or ''}"
            entries.append(_entry(work, event, status, result.usage_event_id, error_text, now))
            _count(summary, status)
            if status in SETTLED_STATUSES:
                unsettled.discard(event.key)
            else:
                log.warning("Usage event %s not accepted: %s", event.key, error_text)
        store.record_outcomes(entries)

    for work in due:
        if not any(event.key in unsettled for event in work.events):
            store.mark_settled(work.hour, len(work.events), now)
            summary.hours_settled += 1
    log.info("Metering at %s: %s", now.astimezone(UTC).isoformat(), summary)
    return summary


def _plan_hour(
    store: UsageStore, hour: datetime, billed_to: Callable[[str], BilledTo | None], summary: MeteringSummary
) -> _Hour:
    per_organization = store.hour_totals(hour)
    usage: dict[tuple[str, str, Dimension], int] = defaultdict(int)
    organization_of: dict[str, str] = {}
    unbilled: set[str] = set()
    for (organization_id, dimension), microseconds in per_organization.items():
        billing = billed_to(organization_id)
        if billing is None:
            unbilled.add(organization_id)
            continue
        usage[(billing.subscription_id, billing.plan_id, dimension)] += microseconds
        organization_of[billing.subscription_id] = organization_id
    summary.unbilled += len(unbilled)
    previous = {ledger_key(entry): entry for entry in store.ledger_entries(hour)}
    settled = [key for key, entry in previous.items() if entry.status in SETTLED_STATUSES]
    return _Hour(hour, plan_events(hour, usage, settled), previous, organization_of)


def _usage_event(event: PlannedEvent) -> UsageEvent:
    return UsageEvent(
        resource_id=event.key.subscription_id,
        plan_id=event.plan_id,
        dimension=event.key.dimension,
        quantity=float(event.quantity),
        effective_start_time=event.key.hour,
    )


def _entry(
    work: _Hour,
    event: PlannedEvent,
    status: LedgerStatus,
    usage_event_id: str | None,
    error: str | None,
    now: datetime,
) -> LedgerEntry:
    before = work.previous.get(event.key)
    return LedgerEntry(
        id=ledger_row(event.key),
        hour=event.key.hour,
        subscription_id=event.key.subscription_id,
        plan_id=event.plan_id,
        organization_id=work.organization_of.get(event.key.subscription_id, ""),
        dimension=event.key.dimension,
        status=status,
        quantity=event.quantity,
        usage_event_id=usage_event_id,
        attempts=(before.attempts if before else 0) + 1,
        last_error=error[:500] if error else None,
        updated_at=now.astimezone(UTC),
    )


def _count(summary: MeteringSummary, status: LedgerStatus) -> None:
    match status:
        case "accepted":
            summary.accepted += 1
        case "duplicate":
            summary.duplicates += 1
        case "expired":
            summary.expired += 1
        case "failed":
            summary.failed += 1
