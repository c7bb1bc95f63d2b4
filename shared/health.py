"""Health of the platform's dependencies: each check is a small callable, timed and reported.

The report never carries secrets: a failed check says which dependency failed and the kind of error,
not the connection string or the exception's full text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

# Fail fast: a health probe that waits on SDK retries answers after the load balancer gave up.
_PROBE_OPTIONS: dict[str, Any] = {"retry_total": 0, "connection_timeout": 3, "read_timeout": 5}


@dataclass(frozen=True)
class CheckResult:
    name: str
    healthy: bool
    latency_ms: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "ok" if self.healthy else "failed",
            "latencyMs": round(self.latency_ms, 1),
        }
        if self.error:
            body["error"] = self.error
        return body


@dataclass(frozen=True)
class HealthReport:
    checks: list[CheckResult]

    @property
    def healthy(self) -> bool:
        return all(c.healthy for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "healthy" if self.healthy else "unhealthy",
            "checks": {c.name: c.to_json() for c in self.checks},
        }


def run_checks(checks: Mapping[str, Callable[[], None]]) -> HealthReport:
    """Run every check concurrently; a check passes when it returns and fails when it raises."""

    def timed(name: str, check: Callable[[], None]) -> CheckResult:
        started = time.perf_counter()
        try:
            check()
        except Exception as error:  # any failure is the check's answer, not ours
            return CheckResult(name, False, _elapsed_ms(started), _describe(error))
        return CheckResult(name, True, _elapsed_ms(started))

    with ThreadPoolExecutor(max_workers=max(1, len(checks))) as pool:
        futures = [pool.submit(timed, name, check) for name, check in checks.items()]
        return HealthReport([f.result() for f in futures])


class CachedReport:
    """The last report, answered again for ``ttl_seconds`` (issue 16, defect 9: every unauthenticated
    ``GET /health`` cost two storage round trips). One check runs at a time; callers arriving during it
    wait for its report instead of starting their own."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._clock = ttl_seconds, clock
        self._lock = threading.Lock()
        self._report: HealthReport | None = None
        self._fresh_until = 0.0

    def report(self, run: Callable[[], HealthReport]) -> HealthReport:
        with self._lock:
            if self._report is None or self._clock() >= self._fresh_until:
                self._report = run()
                self._fresh_until = self._clock() + self._ttl
            return self._report


def table_storage_check(service: TableServiceClient) -> Callable[[], None]:
    def check() -> None:
        next(iter(service.list_tables(results_per_page=1, **_PROBE_OPTIONS).by_page()), None)

    return check


def blob_storage_check(service: BlobServiceClient) -> Callable[[], None]:
    def check() -> None:
        next(iter(service.list_containers(results_per_page=1, **_PROBE_OPTIONS).by_page()), None)

    return check


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _describe(error: Exception) -> str:
    kind = type(error).__name__
    reason = getattr(error, "reason", None) or getattr(error, "error_code", None)
    return f"{kind}: {reason}" if reason else kind
