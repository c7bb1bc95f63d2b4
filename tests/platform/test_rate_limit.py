import pytest

from shared.api_errors import ApiError
from shared.rate_limit import Limit, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_is_allowed_then_429_with_the_seconds_until_a_token_returns():
    clock = FakeClock()
    limiter = RateLimiter({"default": Limit(capacity=3, per_second=0.5)}, clock)
    for _ in range(3):
        limiter.check("key")
    with pytest.raises(ApiError) as refused:
        limiter.check("key")
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "2"


def test_tokens_come_back_with_time_and_keys_do_not_share_buckets():
    clock = FakeClock()
    limiter = RateLimiter({"default": Limit(capacity=1, per_second=1)}, clock)
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(ApiError):
        limiter.check("a")
    clock.now += 1.0
    limiter.check("a")


def test_connection_bucket_allows_one_request_per_five_seconds():
    clock = FakeClock()
    limiter = RateLimiter({"connections": Limit(capacity=1, per_second=1 / 5)}, clock)
    limiter.check("k", "connections")
    clock.now += 4.0
    with pytest.raises(ApiError) as refused:
        limiter.check("k", "connections")
    assert refused.value.headers["Retry-After"] == "1"
    clock.now += 1.0
    limiter.check("k", "connections")
