"""Failed authentications per client address: a token bucket per address, kept in process.

Every failed ``X-Api-Key`` or bearer-token authentication (a 401 to a request that sent either)
takes a token from its address's bucket; an address with no token left is answered 429
(``RequestRateLimitExceeded`` with ``Retry-After``) before its credential is looked at, so guessing
keys costs no storage read past the budget. A request with no credential is neither limited nor
counted: it costs nothing. Successes take nothing, and only 401s count (not a 404 or 400 after a
valid credential). Guesses sent at the same moment all pass the check, so the budget can be
overrun by the requests in flight at once, never more. As with ``shared.rate_limit``, each instance
counts on its own: N instances allow N budgets.

The client address is the one the platform's front end vouches for, never one the client wrote:
App Service's front end *appends* the peer it saw (``ip:port``) to ``X-Forwarded-For``, so with
``trusted_hops`` proxies that append (1: App Service; 2: Azure Front Door in front of it, the app
locked to that Front Door), the address is the ``trusted_hops``-th entry from the right, and whatever
a client put to the left of it is ignored. Without the header (the devhost and ``func start`` add
none) every request shares one bucket. IPv6 addresses count per /64, as one host usually holds one.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from shared.api_errors import ApiError, ErrorKind
from shared.rate_limit import Limit

FORWARDED_FOR_HEADER = "X-Forwarded-For"
CREDENTIAL_HEADERS = ("X-Api-Key", "Authorization")
UNKNOWN_ADDRESS = "unknown"  # no trusted entry: one shared bucket
UNREADABLE_ADDRESS = "unreadable"  # a trusted entry that is no address: one shared bucket, never its text
IPV6_PREFIX = 64

T = TypeVar("T")


def client_address(headers: Mapping[str, str], trusted_hops: int) -> str:
    """The bucket key of a request: its client's address as the trusted front end saw it."""
    forwarded = _header(headers, FORWARDED_FOR_HEADER)
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if trusted_hops < 1 or not entries:
        return UNKNOWN_ADDRESS
    # Fewer entries than trusted hops: the request skipped an outer proxy, and every entry there is
    # was appended by a proxy we trust; the leftmost is the client.
    entry = entries[-trusted_hops] if len(entries) >= trusted_hops else entries[0]
    return _normalized(entry)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:  # a plain dict (tests, the devhost's copy) is case-sensitive
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), "")
    return value


def _normalized(entry: str) -> str:
    text = entry
    if text.startswith("["):  # [v6]:port
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return UNREADABLE_ADDRESS
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def too_many_failures(retry_after_seconds: int) -> ApiError:
    return ApiError(
        429,
        "RequestRateLimitExceeded",
        "Too many failed authentications from this address: retry after the Retry-After seconds "
        "with a valid API key or token.",
        ErrorKind.RATE_LIMITED,
        headers={"Retry-After": str(retry_after_seconds)},
    )


class FailedAuthenticationLimiter:
    """``guard(headers, attempt)`` runs one authentication under its address's failure budget."""

    def __init__(
        self,
        limit: Limit,
        trusted_hops: int = 1,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._trusted_hops = trusted_hops
        self._max_addresses = max_addresses
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)
        self._lock = threading.Lock()

    def guard(self, headers: Mapping[str, str], attempt: Callable[[], T]) -> T:
        if not any(_header(headers, name).strip() for name in CREDENTIAL_HEADERS):
            # Nothing to look up, so nothing to limit: a page that calls before signing in (or a
            # client that forgot its key) gets its 401 and never spends the address's budget.
            return attempt()
        address = client_address(headers, self._trusted_hops)
        self._check(address)
        try:
            return attempt()
        except ApiError as error:
            if error.status == 401:
                self._count_failure(address)
            raise

    def _check(self, address: str) -> None:
        """Refuse an address with no token left; a success takes none, so an address's valid
        requests, however many at once, never spend its budget."""
        now = self._clock()
        with self._lock:
            tokens = self._refilled(address, now)
            if tokens < 1:
                raise too_many_failures(max(1, math.ceil((1 - tokens) / self._limit.per_second)))

    def _count_failure(self, address: str) -> None:
        now = self._clock()
        with self._lock:
            # Guesses sent at once all pass the check; each still counts, down to an empty bucket.
            self._buckets[address] = (max(0.0, self._refilled(address, now) - 1), now)
            if len(self._buckets) > self._max_addresses:
                self._forget_some(now)

    def _refilled(self, address: str, now: float) -> float:
        tokens, last = self._buckets.get(address, (self._limit.capacity, now))
        return min(self._limit.capacity, tokens + (now - last) * self._limit.per_second)

    def _forget_some(self, now: float) -> None:
        """Bounded memory against many addresses: full buckets go first, then the longest idle."""
        for address in [a for a in self._buckets if self._refilled(a, now) >= self._limit.capacity]:
            del self._buckets[address]
        excess = len(self._buckets) - self._max_addresses
        if excess > 0:
            for address in sorted(self._buckets, key=lambda a: self._buckets[a][1])[:excess]:
                del self._buckets[address]

    def tracked_addresses(self) -> int:
        with self._lock:
            return len(self._buckets)
