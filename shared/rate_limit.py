"""Per-key request rate limits: token buckets kept in process.

Each function instance limits on its own; with N instances a key gets up to N times the rate. That is
the documented trade-off of an in-process limiter: no storage round trip on every request.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.api_errors import rate_limited


@dataclass(frozen=True)
class Limit:
    capacity: float  # burst
    per_second: float  # refill


class RateLimiter:
    def __init__(self, limits: dict[str, Limit], clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, bucket: str = "default") -> None:
        """Take one token, or raise the documented 429 with ``Retry-After`` in whole seconds."""
        limit = self._limits[bucket]
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get((key, bucket), (limit.capacity, now))
            tokens = min(limit.capacity, tokens + (now - last) * limit.per_second)
            if tokens < 1:
                self._buckets[(key, bucket)] = (tokens, now)
                raise rate_limited(max(1, math.ceil((1 - tokens) / limit.per_second)))
            self._buckets[(key, bucket)] = (tokens - 1, now)
