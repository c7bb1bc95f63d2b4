"""The metering rules (shared/billing/metering.py) and the usage views' (usage_report.py): plain
functions, no I/O."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shared.billing.metering import (
    BYO_LLM_MINUTES,
    HOSTED_LLM_MINUTES,
    MAX_SESSION_LENGTH,
    Dimension,
    MeteringKey,
    batches,
    cost,
    dimension_for,
    hour_key,
    is_reportable,
    ledger_status,
    minutes,
    parse_hour_key,
    plan_events,
    reportable_hours,
    split_by_hour,
)
from shared.billing.usage_report import BadWindow, summarize, usage_window
from shared.billing.usage_store import UsageSlice

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def at(hours: float = 0, **delta: float) -> datetime:
    return T0 + timedelta(hours=hours, **delta)


def test_customer_hosted_providers_bill_byo_minutes_and_hosted_bills_hosted_minutes() -> None:
    assert dimension_for("azure-openai") == "byo_llm_minutes"
    assert dimension_for("openai-compatible") == "byo_llm_minutes"
    assert dimension_for("hosted") == "hosted_llm_minutes"
    with pytest.raises(ValueError, match="provider type 'carrier-pigeon'"):
        dimension_for("carrier-pigeon")


def test_prices_are_the_published_ones() -> None:
    one_minute = 60_000_000
    assert cost(BYO_LLM_MINUTES, one_minute) == Decimal("0.01")
    assert cost(HOSTED_LLM_MINUTES, one_minute) == Decimal("0.058")
    assert cost(HOSTED_LLM_MINUTES, 90 * one_minute) == Decimal("5.22")


def test_a_session_within_one_hour_is_one_slice() -> None:
    [piece] = split_by_hour(at(minutes=10), at(minutes=25, seconds=30))
    assert piece.hour == T0
    assert piece.microseconds == 15 * 60_000_000 + 30_000_000


def test_a_session_crossing_hour_boundaries_is_split_exactly_at_each_boundary() -> None:
    pieces = split_by_hour(at(minutes=50, microseconds=250), at(hours=2, minutes=5))
    assert [p.hour for p in pieces] == [T0, at(1), at(2)]
    assert [p.microseconds for p in pieces] == [
        10 * 60_000_000 - 250,
        60 * 60_000_000,
        5 * 60_000_000,
    ]


def test_a_session_ending_on_the_hour_has_nothing_in_the_next_hour() -> None:
    assert [p.hour for p in split_by_hour(at(minutes=30), at(1))] == [T0]
    assert split_by_hour(at(1), at(1)) == []
    assert split_by_hour(at(1), at(0.5)) == []


def test_hours_are_utc_whatever_the_offset_of_the_times_given() -> None:
    paris = timezone(timedelta(hours=1))
    pieces = split_by_hour(
        datetime(2025, 3, 10, 10, 45, tzinfo=paris), datetime(2025, 3, 10, 11, 15, tzinfo=paris)
    )
    assert [p.hour for p in pieces] == [T0, at(1)]
    with pytest.raises(ValueError, match="timezone-aware"):
        split_by_hour(datetime(2025, 3, 10, 10), datetime(2025, 3, 10, 11))


def test_per_hour_sums_of_many_sessions_on_both_dimensions_equal_their_per_second_sums() -> None:
    rng = random.Random(7)
    per_hour: dict[tuple[datetime, str], int] = defaultdict(int)
    expected_total: dict[str, int] = defaultdict(int)
    for _ in range(2000):
        dimension = rng.choice([BYO_LLM_MINUTES, HOSTED_LLM_MINUTES])
        start = at(minutes=rng.uniform(0, 600))
        length = timedelta(seconds=rng.randint(1, 3600), microseconds=rng.randint(0, 999_999))
        for piece in split_by_hour(start, start + length):
            assert piece.hour <= start + length and piece.microseconds > 0
            per_hour[(piece.hour, dimension)] += piece.microseconds
        expected_total[dimension] += length // timedelta(microseconds=1)
    for dimension in (BYO_LLM_MINUTES, HOSTED_LLM_MINUTES):
        reported = sum(us for (_, d), us in per_hour.items() if d == dimension)
        assert reported == expected_total[dimension]
        # Reported per hour with 6 decimals: the sum is off by at most half a step per event.
        hours = [key for key in per_hour if key[1] == dimension]
        rounded = sum(minutes(per_hour[key]) for key in hours)
        exact = Decimal(expected_total[dimension]) / 60_000_000
        assert abs(rounded - exact) <= Decimal("0.0000005") * len(hours)


def test_minutes_have_six_decimals_rounded_half_up() -> None:
    assert minutes(60_000_000) == Decimal("1.000000")
    assert minutes(30) == Decimal("0.000001")  # half a step rounds up
    assert minutes(29) == Decimal("0.000000")
    assert minutes(1_000_000) == Decimal("0.016667")


def test_hour_keys_sort_and_round_trip() -> None:
    assert hour_key(at(minutes=59)) == "2025-03-10T09"
    assert parse_hour_key("2025-03-10T09") == T0
    assert sorted([hour_key(at(15)), hour_key(at(2))]) == [hour_key(at(2)), hour_key(at(15))]


def test_an_hour_is_reportable_once_no_session_can_still_add_to_it() -> None:
    hour_end = at(1)
    settled = hour_end + MAX_SESSION_LENGTH + timedelta(minutes=15)
    assert not is_reportable(T0, settled - timedelta(seconds=1))
    assert is_reportable(T0, settled)


def test_an_hour_stops_being_reportable_an_hour_before_the_api_refuses_it() -> None:
    assert is_reportable(T0, at(23))
    assert not is_reportable(T0, at(23, seconds=1))


def test_each_run_reports_a_window_of_settled_recent_hours() -> None:
    now = at(30, minutes=20)  # a run at minute 20
    hours = reportable_hours(now)
    assert hours[-1] == at(28)  # closed at 29:00, settled at 30:15
    assert hours[0] == at(8)  # 22 h 20 min old: still an hour inside the API's 24 h
    assert hours == [at(h) for h in range(8, 29)]
    assert all(is_reportable(hour, now) for hour in hours)
    assert not is_reportable(at(7), now) and not is_reportable(at(29), now)


def test_events_leave_out_settled_keys_and_usage_that_rounds_to_zero() -> None:
    usage = {
        ("sub-a", "plan", BYO_LLM_MINUTES): 90_000_000,
        ("sub-a", "plan", HOSTED_LLM_MINUTES): 20,  # 0.0000003 min: nothing to bill
        ("sub-b", "plan", HOSTED_LLM_MINUTES): 60_000_000,
    }
    settled = [MeteringKey(T0, "sub-b", HOSTED_LLM_MINUTES)]
    [event] = plan_events(at(minutes=30), usage, settled)
    assert event.key == MeteringKey(T0, "sub-a", BYO_LLM_MINUTES)
    assert event.quantity == Decimal("1.5")


def test_batches_hold_at_most_the_size_given() -> None:
    assert [len(b) for b in batches(list(range(60)), 25)] == [25, 25, 10]
    assert list(batches([], 25)) == []


def test_answers_accepted_duplicate_and_expired_settle_and_the_rest_is_retried() -> None:
    assert ledger_status("Accepted") == "accepted"
    assert ledger_status("Duplicate") == "duplicate"
    assert ledger_status("Expired") == "expired"
    for other in ("ResourceNotFound", "ResourceNotActive", "Error", "BadArgument", "InvalidQuantity"):
        assert ledger_status(other) == "failed"


# --- usage views (shared/billing/usage_report.py) ---------------------------------------------------


def slice_of(hour: datetime, dimension: Dimension, microseconds: int) -> UsageSlice:
    return UsageSlice(
        id=f"org.{hour_key(hour)}",
        session_id="sess",
        organization_id="org",
        project_id="proj",
        dimension=dimension,
        hour=hour,
        microseconds=microseconds,
    )


def test_the_default_window_is_the_last_24_hours_by_hour_and_30_days_by_day() -> None:
    now = at(5, minutes=12)
    by_hour = usage_window(None, None, "hour", now)
    assert (by_hour.start, by_hour.end) == (at(6) - timedelta(hours=24), at(6))
    assert len(by_hour.buckets()) == 24
    by_day = usage_window(None, None, "day", now)
    assert (by_day.start, by_day.end) == (datetime(2025, 2, 9, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC))


def test_a_window_is_rounded_out_to_whole_buckets_and_read_as_utc_without_an_offset() -> None:
    window = usage_window(datetime(2025, 3, 10, 9, 30), datetime(2025, 3, 10, 11, 1), "hour", at(30))
    assert (window.start, window.end) == (at(0), at(3))
    only_start = usage_window(at(1, minutes=5), None, "hour", at(3, minutes=1))
    assert (only_start.start, only_start.end) == (at(1), at(4))


def test_bad_windows_name_the_parameter_at_fault() -> None:
    with pytest.raises(BadWindow) as empty:
        usage_window(at(2), at(1), "hour", at(5))
    assert empty.value.field == "from"
    with pytest.raises(BadWindow) as too_long:
        usage_window(at(0), at(0) + timedelta(days=32), "hour", at(5))
    assert too_long.value.field == "to"
    with pytest.raises(BadWindow) as too_old:
        usage_window(at(0) - timedelta(days=100), None, "day", at(5))
    assert too_old.value.field == "from"
    midnight = T0.replace(hour=0)
    assert len(usage_window(midnight, midnight + timedelta(days=92), "day", at(5)).buckets()) == 92


def test_a_summary_has_every_bucket_both_dimensions_and_exact_totals() -> None:
    window = usage_window(at(0), at(3), "hour", at(5))
    slices = [
        slice_of(at(0), HOSTED_LLM_MINUTES, 30_000_000),
        slice_of(at(0), HOSTED_LLM_MINUTES, 30_000_000),
        slice_of(at(2), BYO_LLM_MINUTES, 90_000_000),
        slice_of(at(3), BYO_LLM_MINUTES, 60_000_000),  # outside the window
    ]
    summary = summarize(slices, window)
    assert [b.start for b in summary.buckets] == [at(0), at(1), at(2)]
    assert [[(d.dimension, d.minutes) for d in b.dimensions] for b in summary.buckets] == [
        [(BYO_LLM_MINUTES, 0), (HOSTED_LLM_MINUTES, 1)],
        [(BYO_LLM_MINUTES, 0), (HOSTED_LLM_MINUTES, 0)],
        [(BYO_LLM_MINUTES, Decimal("1.5")), (HOSTED_LLM_MINUTES, 0)],
    ]
    assert summary.minutes == Decimal("2.5")
    assert summary.cost == Decimal("0.058") + Decimal("0.015")
    by_day = summarize(slices, usage_window(at(0), at(3), "day", at(5)))
    assert [(b.start, b.minutes) for b in by_day.buckets] == [(T0.replace(hour=0), Decimal("3.5"))]
