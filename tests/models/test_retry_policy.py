"""The retry policy's arithmetic: server-requested waits and backoff bounds."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from shared.models import ProviderError
from shared.models.retry import RetryPolicy, is_retryable_status, server_retry_after


def test_retry_after_in_seconds() -> None:
    assert server_retry_after({"Retry-After": "7"}) == 7.0
    assert server_retry_after({"retry-after": "0.25"}) == 0.25


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert server_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5


def test_retry_after_as_an_http_date_is_the_time_until_then() -> None:
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)

    assert server_retry_after({"Retry-After": header}, now=now.timestamp) == 30.0


def test_a_date_in_the_past_means_no_wait() -> None:
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now - timedelta(seconds=30), usegmt=True)

    assert server_retry_after({"Retry-After": header}, now=now.timestamp) == 0.0


def test_absent_or_unreadable_retry_after_is_none() -> None:
    assert server_retry_after({}) is None
    assert server_retry_after({"Retry-After": "soon"}) is None
    assert server_retry_after({"Retry-After": "-3"}) is None
    assert server_retry_after({"retry-after-ms": "nan"}) is None


def test_backoff_doubles_up_to_the_cap_with_jitter_between_half_and_all_of_it() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)

    assert [policy.backoff(n, lambda: 0.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 2.0]
    assert [policy.backoff(n, lambda: 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 4.0]


def test_retryable_statuses() -> None:
    assert all(is_retryable_status(status) for status in (408, 409, 429, 500, 502, 503, 504))
    assert not any(is_retryable_status(status) for status in (400, 401, 403, 404, 422))


def test_a_provider_error_survives_pickling() -> None:
    error = ProviderError("model_rate_limited", "Too many requests.", retryable=True, status=429)

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.code, copy.message, copy.retryable, copy.status) == (
        "model_rate_limited",
        "Too many requests.",
        True,
        429,
    )
