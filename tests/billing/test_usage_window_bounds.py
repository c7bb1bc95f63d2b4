"""Usage windows near the ends of the calendar (issue 16, defect 3): a ``from`` or ``to`` outside the
published range is a ``BadWindow`` naming the parameter, never an ``OverflowError``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.billing.usage_report import EARLIEST, LATEST, BadWindow, usage_window

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
MINUS_5 = timezone(timedelta(hours=-5))
PLUS_14 = timezone(timedelta(hours=14))


@pytest.mark.parametrize(
    ("start", "end", "granularity", "field"),
    [
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), None, "day", "from"),  # the reported request
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), None, "hour", "from"),
        (datetime(9999, 12, 31, 22, tzinfo=UTC), datetime(9999, 12, 31, 23, 30, tzinfo=UTC), "hour", "from"),
        (None, datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "day", "to"),
        (None, datetime(9999, 12, 31, 23, tzinfo=MINUS_5), "hour", "to"),  # past year 9999 in UTC
        (datetime(1, 1, 1, tzinfo=PLUS_14), None, "day", "from"),  # before year 1 in UTC
        (datetime(1, 1, 1), datetime(1, 1, 2), "day", "from"),
        (None, datetime(1, 1, 1, 0, 30), "hour", "to"),  # the default `from` would be before year 1
        (datetime(1999, 12, 31, 23, tzinfo=UTC), datetime(2000, 1, 1, 1, tzinfo=UTC), "hour", "from"),
        (datetime(2999, 12, 31, tzinfo=UTC), datetime(3000, 1, 1, 0, 0, 1, tzinfo=UTC), "hour", "to"),
    ],
)
def test_a_moment_outside_the_range_is_a_bad_window_naming_the_parameter(start, end, granularity, field):
    with pytest.raises(BadWindow) as refused:
        usage_window(start, end, granularity, NOW)
    assert refused.value.field == field
    assert refused.value.message == "must be from 2000-01-01T00:00:00Z to 3000-01-01T00:00:00Z"


def test_the_range_itself_is_answered_to_its_last_bucket():
    assert datetime(2000, 1, 1, tzinfo=UTC) == EARLIEST
    assert datetime(3000, 1, 1, tzinfo=UTC) == LATEST
    first = usage_window(EARLIEST, EARLIEST + timedelta(days=3), "day", NOW)
    assert (first.start, first.end, len(first.buckets())) == (EARLIEST, EARLIEST + timedelta(days=3), 3)
    last = usage_window(LATEST - timedelta(hours=5, minutes=30), LATEST, "hour", NOW)
    assert (last.start, last.end, len(last.buckets())) == (LATEST - timedelta(hours=6), LATEST, 6)
    only_start = usage_window(LATEST - timedelta(minutes=1), None, "day", NOW)
    assert (only_start.start, only_start.end) == (LATEST - timedelta(days=1), LATEST)


def test_a_now_outside_the_range_still_answers_a_window_inside_it():
    # A clock past the range (a test clock, or the year 3000) bounds the default window, not a 500.
    window = usage_window(None, None, "hour", datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    assert (window.start, window.end) == (LATEST - timedelta(hours=24), LATEST)
