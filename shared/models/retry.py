"""When to try a model request again, and how long to wait first.

Our own loop (the SDK's ``max_retries`` is 0) so the policy is explicit and tested: exponential backoff
with jitter on 408/409/429/5xx, timeouts and connection failures; a ``retry-after-ms`` or
``Retry-After`` header (seconds or an HTTP date) replaces the computed delay; a wait that would take the
total beyond ``max_total_wait`` is not made (the error is raised at once instead).
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC

RETRYABLE_STATUSES = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # the first try included
    base_delay: float = 0.5  # seconds before the first retry, doubled each time
    max_delay: float = 8.0  # one computed wait at most (a server's Retry-After may ask for more)
    max_total_wait: float = 30.0  # all waits of one turn together at most

    def backoff(self, retry_number: int, random: Callable[[], float]) -> float:
        """The computed wait before retry ``retry_number`` (1 for the first): "equal jitter", half
        fixed and half random, so concurrent sessions spread out but never retry at once."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return ceiling / 2 + random() * ceiling / 2


def server_retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """The wait a server asked for, in seconds: ``retry-after-ms`` first (Azure OpenAI), then
    ``Retry-After`` as seconds or as an HTTP date. None when absent or unreadable."""
    lowered = {key.lower(): value for key, value in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000
            if math.isfinite(value) and value >= 0:
                return value
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
        return value if math.isfinite(value) and value >= 0 else None
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # HTTP dates are GMT
        parsed = parsed.replace(tzinfo=UTC)
    return max(0.0, parsed.timestamp() - now())
