"""The rules of metering, as plain functions over plain data (no I/O; ``metering_run.py`` does that).

- A session's active time is one interval ``[started_at, ended_at]``, attributed to its
  organization and to one dimension by its key's provider: ``byo_llm_minutes`` (a customer-hosted
  model: ``azure-openai``, ``openai-compatible``) or ``hosted_llm_minutes`` (``hosted``).
- The interval is split at UTC hour boundaries into exact microsecond slices: the Marketplace takes one
  usage event per resource, dimension and hour, so a session that crosses an hour pays in both.
- An hour is reported once it is settled: closed, plus the longest a session can last (a session
  running at the hour's end may still add to it until it ends) and a slack for the end to be recorded.
  It is reported only while the Metering API accepts it (effective start at most 24 hours back),
  with a safety margin for clocks and the time the run takes.
- Quantities are minutes with 6 decimals (1e-6 minute = 60 microseconds), rounded half-up once per
  event from the exact microsecond sum: the Metering API takes a decimal ("double") quantity that
  must be greater than 0, so an event never rounds small usage away more than half a millionth of a
  minute, and a zero quantity is never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal, TypeVar, get_args

from shared.sessions.lifecycle import DEFAULT_MAX_DURATION_SECONDS

Dimension = Literal["byo_llm_minutes", "hosted_llm_minutes"]
DIMENSIONS: Final[tuple[Dimension, ...]] = get_args(Dimension)
BYO_LLM_MINUTES: Final[Dimension] = "byo_llm_minutes"
HOSTED_LLM_MINUTES: Final[Dimension] = "hosted_llm_minutes"

# USD per active minute, as published ("bring your own LLM $0.01/min, hosted $0.058/min").
PRICE_PER_MINUTE: Final[Mapping[Dimension, Decimal]] = {
    BYO_LLM_MINUTES: Decimal("0.01"),
    HOSTED_LLM_MINUTES: Decimal("0.058"),
}
CURRENCY: Final = "USD"

_DIMENSION_OF_PROVIDER: Final[Mapping[str, Dimension]] = {
    "azure-openai": BYO_LLM_MINUTES,
    "openai-compatible": BYO_LLM_MINUTES,
    "hosted": HOSTED_LLM_MINUTES,
}

HOUR: Final = timedelta(hours=1)
MICROSECONDS_PER_MINUTE: Final = 60_000_000
# The reported quantity's step: 1e-6 minute.
QUANTITY_STEP: Final = Decimal("0.000001")
# Costs are shown to the same precision as quantities (a millionth of a dollar), never rounded to
# cents per bucket: the sum of the buckets stays the total.
COST_STEP: Final = Decimal("0.000001")

# A session lasts at most this long (the orchestrator ends it with ``max_duration``) ...
MAX_SESSION_LENGTH: Final = timedelta(seconds=DEFAULT_MAX_DURATION_SECONDS)
# ... and its end is recorded shortly after (the end activity, its retries, a host restart).
END_RECORDING_SLACK: Final = timedelta(minutes=15)
SETTLE_MARGIN: Final = MAX_SESSION_LENGTH + END_RECORDING_SLACK
# "Usage events can only be emitted for the past 24 hours" (Marketplace metered billing APIs) ...
METERING_API_MAX_AGE: Final = timedelta(hours=24)
# ... measured by Microsoft's clock when the event arrives, so keep a margin.
MAX_AGE_SAFETY: Final = timedelta(hours=1)

LedgerStatus = Literal["accepted", "duplicate", "expired", "failed"]
# Settled: never posted again. ``failed`` is retried by the next run while the hour is reportable.
SETTLED_STATUSES: Final[frozenset[str]] = frozenset({"accepted", "duplicate", "expired"})

T = TypeVar("T")


def dimension_for(provider_type: str) -> Dimension:
    """The dimension a session's minutes are billed on, by its key's provider type."""
    try:
        return _DIMENSION_OF_PROVIDER[provider_type]
    except KeyError:
        raise ValueError(f"No billing dimension for the provider type {provider_type!r}.") from None


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"A timezone-aware datetime is required, not {moment!r}.")
    return moment.astimezone(UTC)


def read_as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; one without an offset is read as UTC (the platform's times are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def hour_start(moment: datetime) -> datetime:
    """The start of the UTC hour ``moment`` falls in."""
    return as_utc(moment).replace(minute=0, second=0, microsecond=0)


def hour_ceiling(moment: datetime) -> datetime:
    """The first hour boundary at or after ``moment``."""
    start = hour_start(moment)
    return start if start == as_utc(moment) else start + HOUR


def day_start(moment: datetime) -> datetime:
    return as_utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def hour_key(hour: datetime) -> str:
    """A sortable storage key for an hour: ``2024-05-01T13``."""
    return hour_start(hour).strftime("%Y-%m-%dT%H")


def parse_hour_key(key: str) -> datetime:
    return datetime.strptime(key, "%Y-%m-%dT%H").replace(tzinfo=UTC)


@dataclass(frozen=True)
class HourSlice:
    """The part of a session that fell in one UTC hour."""

    hour: datetime  # the hour's start (UTC)
    microseconds: int


def split_by_hour(started_at: datetime, ended_at: datetime) -> list[HourSlice]:
    """The interval's exact microseconds per UTC hour, oldest first; the slices sum to the interval.

    An empty or reversed interval has no slices."""
    start, end = as_utc(started_at), as_utc(ended_at)
    slices: list[HourSlice] = []
    cursor = start
    while cursor < end:
        hour = hour_start(cursor)
        until = min(end, hour + HOUR)
        slices.append(HourSlice(hour, _microseconds(until - cursor)))
        cursor = until
    return slices


def _microseconds(span: timedelta) -> int:
    # timedelta holds days, seconds and microseconds as integers: this is exact.
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def minutes(microseconds: int) -> Decimal:
    """Active minutes as reported and shown: 6 decimals, half-up, from the exact microseconds."""
    return (Decimal(microseconds) / MICROSECONDS_PER_MINUTE).quantize(QUANTITY_STEP, ROUND_HALF_UP)


def cost(dimension: Dimension, microseconds: int) -> Decimal:
    """USD for that much active time on the dimension (to a millionth of a dollar)."""
    return (minutes(microseconds) * PRICE_PER_MINUTE[dimension]).quantize(COST_STEP, ROUND_HALF_UP)


def is_reportable(hour: datetime, now: datetime) -> bool:
    """Whether the Metering API should get this hour's usage at ``now``: settled (no session can
    still add to it) and recent enough to be accepted."""
    hour = hour_start(hour)
    settled = hour + HOUR + SETTLE_MARGIN <= as_utc(now)
    accepted = as_utc(now) - hour <= METERING_API_MAX_AGE - MAX_AGE_SAFETY
    return settled and accepted


def reportable_hours(now: datetime) -> list[datetime]:
    """Every hour the run at ``now`` may report, oldest first (about 21 hours: each hour gets that
    many hourly runs to be accepted before it is too old)."""
    newest = hour_start(as_utc(now) - HOUR - SETTLE_MARGIN)
    hours: list[datetime] = []
    hour = newest
    while is_reportable(hour, now):
        hours.append(hour)
        hour -= HOUR
    return hours[::-1]


@dataclass(frozen=True)
class MeteringKey:
    """What the Marketplace takes one event for (and our ledger keeps one row for)."""

    hour: datetime
    subscription_id: str
    dimension: Dimension


@dataclass(frozen=True)
class PlannedEvent:
    """A usage event to post: one subscription's minutes on one dimension in one hour."""

    key: MeteringKey
    plan_id: str
    microseconds: int

    @property
    def quantity(self) -> Decimal:
        return minutes(self.microseconds)


def plan_events(
    hour: datetime,
    usage: Mapping[tuple[str, str, Dimension], int],
    settled: Iterable[MeteringKey] = (),
) -> list[PlannedEvent]:
    """The events to post for one hour: ``usage`` maps (subscription, plan, dimension) to active
    microseconds. Keys already settled in the ledger are left out (never report an hour twice), and
    so is usage that rounds to zero (the API refuses quantities of 0)."""
    done = set(settled)
    events = []
    for (subscription_id, plan_id, dimension), microseconds in sorted(usage.items()):
        key = MeteringKey(hour_start(hour), subscription_id, dimension)
        if key in done or minutes(microseconds) <= 0:
            continue
        events.append(PlannedEvent(key, plan_id, microseconds))
    return events


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive batches of at most ``size`` (the API takes 25 events a call)."""
    if size < 1:
        raise ValueError("A batch holds at least one item.")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def ledger_status(api_status: str) -> LedgerStatus:
    """What an event's answer means for the ledger.

    ``Accepted``: reported. ``Duplicate``: the Marketplace already has this resource, dimension and
    hour, which is how a run that crashed after posting and before recording finds out that it
    did report: settled. ``Expired``: too old, never accepted: recorded and never retried. Anything
    else (``ResourceNotFound``, ``Error``, a failed call...): retried by the next run."""
    match api_status:
        case "Accepted":
            return "accepted"
        case "Duplicate":
            return "duplicate"
        case "Expired":
            return "expired"
        case _:
            return "failed"
