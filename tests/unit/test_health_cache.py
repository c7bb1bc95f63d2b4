"""GET /health's storage report is answered again within its cache (issue 16, defect 9): checks are
counted, the clock is a fake one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from shared.health import CachedReport, CheckResult, HealthReport


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _counted(runs: list[int], gate: threading.Event | None = None):
    def run() -> HealthReport:
        if gate is not None:
            gate.wait(10)
        runs.append(1)
        return HealthReport([CheckResult("tableStorage", True, 1.0)])

    return run


def test_the_report_is_reused_within_the_ttl_and_checked_again_after_it():
    clock, runs = Clock(), []
    cache = CachedReport(5, clock)
    first = cache.report(_counted(runs))
    clock.now += 4.9
    again = cache.report(_counted(runs))
    clock.now += 0.1
    cache.report(_counted(runs))

    assert again is first
    assert len(runs) == 2


def test_callers_arriving_during_a_check_wait_for_its_report():
    runs: list[int] = []
    gate = threading.Event()
    cache = CachedReport(5, Clock())
    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(cache.report, _counted(runs, gate)) for _ in range(8)]
        gate.set()
        reports = {id(a.result(timeout=10)) for a in answers}

    assert (len(runs), len(reports)) == (1, 1)
