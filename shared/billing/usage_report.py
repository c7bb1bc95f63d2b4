"""Usage as the dashboard and the API show it: active minutes and cost per hour or day and dimension.

The window is whole buckets (UTC hours or days): ``from`` is rounded down and ``to`` up to a bucket
boundary. Without them: the last 24 hours by hour, the last 30 days by day, up to the end of the
current bucket. At most 31 days by hour and 92 days by day (a read is one partition range of the
organization's slices). Every moment of a window lies in ``EARLIEST``..``LATEST``: checked before any
arithmetic, as rounding or an offset near year 1 or 9999 would leave ``datetime``'s range. Every
bucket of the window is answered, empty ones too (charts need them), with both dimensions in a fixed
order. Minutes and costs are rounded from the exact microsecond sums (6 decimals, as reported to the
Marketplace); totals are rounded from the window's exact sum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final, Literal

from shared.billing.metering import (
    DIMENSIONS,
    HOUR,
    Dimension,
    as_utc,
    cost,
    day_start,
    hour_start,
    minutes,
    read_as_utc,
)
from shared.billing.usage_store import UsageSlice

Granularity = Literal["hour", "day"]
DAY: Final = timedelta(days=1)
DEFAULT_SPAN: Final[dict[Granularity, timedelta]] = {"hour": timedelta(hours=24), "day": timedelta(days=30)}
MAX_SPAN: Final[dict[Granularity, timedelta]] = {"hour": timedelta(days=31), "day": timedelta(days=92)}
# Usage exists in neither century outside this range; both ends are whole days, so every window
# rounded out to buckets stays inside it.
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(3000, 1, 1, tzinfo=UTC)
RANGE_TEXT: Final = f"from {EARLIEST:%Y-%m-%dT%H:%M:%SZ} to {LATEST:%Y-%m-%dT%H:%M:%SZ}"


def bucket_start(moment: datetime, granularity: Granularity) -> datetime:
    return hour_start(moment) if granularity == "hour" else day_start(moment)


def _step(granularity: Granularity) -> timedelta:
    return HOUR if granularity == "hour" else DAY


def _ceil(moment: datetime, granularity: Granularity) -> datetime:
    start = bucket_start(moment, granularity)
    return start if start == as_utc(moment) else start + _step(granularity)


class BadWindow(ValueError):
    """The query's window cannot be answered; ``field`` is the query parameter at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class UsageWindow:
    start: datetime
    end: datetime
    granularity: Granularity

    def buckets(self) -> list[datetime]:
        step = _step(self.granularity)
        count = (self.end - self.start) // step
        return [self.start + step * index for index in range(count)]


def _within_range(field: str, moment: datetime | None) -> datetime | None:
    """``moment`` in UTC (none: read as UTC), refused outside the range. Compared before converting:
    an aware datetime compares without leaving the calendar, converting one near its ends may not."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not EARLIEST <= aware <= LATEST:
        raise BadWindow(field, f"must be {RANGE_TEXT}")
    return read_as_utc(aware)


def usage_window(
    start: datetime | None, end: datetime | None, granularity: Granularity, now: datetime
) -> UsageWindow:
    """The window a query asks for, in whole buckets; raises ``BadWindow`` naming the parameter."""
    start, end = _within_range("from", start), _within_range("to", end)
    span = DEFAULT_SPAN[granularity]
    upper = _ceil(end if end is not None else min(max(as_utc(now), EARLIEST + span), LATEST), granularity)
    if end is None and start is not None:
        upper = min(max(upper, _ceil(start + _step(granularity), granularity)), LATEST)
    lower = bucket_start(start if start is not None else upper - span, granularity)
    if lower >= upper:
        raise BadWindow("from", "must be before `to`")
    limit = MAX_SPAN[granularity]
    if upper - lower > limit:
        raise BadWindow(
            "to" if end is not None else "from",
            f"the window is longer than {limit.days} days, the most granularity={granularity} shows",
        )
    return UsageWindow(lower, upper, granularity)


@dataclass(frozen=True)
class DimensionTotal:
    dimension: Dimension
    minutes: Decimal
    cost: Decimal


@dataclass(frozen=True)
class Bucket:
    start: datetime
    end: datetime
    dimensions: tuple[DimensionTotal, ...]

    @property
    def minutes(self) -> Decimal:
        return sum((d.minutes for d in self.dimensions), Decimal(0))

    @property
    def cost(self) -> Decimal:
        return sum((d.cost for d in self.dimensions), Decimal(0))


@dataclass(frozen=True)
class UsageSummary:
    window: UsageWindow
    buckets: list[Bucket]
    totals: tuple[DimensionTotal, ...]

    @property
    def minutes(self) -> Decimal:
        return sum((d.minutes for d in self.totals), Decimal(0))

    @property
    def cost(self) -> Decimal:
        return sum((d.cost for d in self.totals), Decimal(0))


def _totals(microseconds: dict[Dimension, int]) -> tuple[DimensionTotal, ...]:
    return tuple(
        DimensionTotal(d, minutes(microseconds.get(d, 0)), cost(d, microseconds.get(d, 0)))
        for d in DIMENSIONS
    )


def summarize(slices: Iterable[UsageSlice], window: UsageWindow) -> UsageSummary:
    """The window's buckets and totals from the slices (those outside the window are left out)."""
    per_bucket: dict[datetime, dict[Dimension, int]] = defaultdict(lambda: defaultdict(int))
    overall: dict[Dimension, int] = defaultdict(int)
    for piece in slices:
        hour = hour_start(piece.hour)
        if not window.start <= hour < window.end:
            continue
        per_bucket[bucket_start(hour, window.granularity)][piece.dimension] += piece.microseconds
        overall[piece.dimension] += piece.microseconds
    step = _step(window.granularity)
    buckets = [Bucket(start, start + step, _totals(per_bucket.get(start, {}))) for start in window.buckets()]
    return UsageSummary(window, buckets, _totals(overall))
