"""Timer triggers under devhost: NCRONTAB schedules, the schedule monitor, and the admin API.

The first part tests the pure schedule module (parsing, next occurrence) and the scheduler with a
fixed clock; the second runs ``tests/devhost/apps/timer_app`` in a devhost subprocess and talks to it
over HTTP only. Waits there are bounded polls ("ran at least once within N seconds"), never exact
timings.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
import requests
from azure.functions.timer import TimerRequest

from devhost.app_loader import TimerFunction
from devhost.schedule import (
    CronSchedule,
    IntervalSchedule,
    ScheduleError,
    default_use_monitor,
    parse_schedule,
)
from devhost.timers import ScheduleMonitor, ScheduleStatus, TimerScheduler, timer_request
from tests.devhost.helpers import APPS_DIR, DevHost

TIMER_APP = APPS_DIR / "timer_app"
WAIT_S = 20.0


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def occurrences(expression: str, start: datetime, count: int) -> list[datetime]:
    schedule = parse_schedule(expression)
    found: list[datetime] = []
    moment: datetime | None = start
    for _ in range(count):
        assert moment is not None
        moment = schedule.next_after(moment)
        assert moment is not None
        found.append(moment)
    return found


# ---------------------------------------------------------------------------
# NCRONTAB parsing and next occurrence (pure)
# ---------------------------------------------------------------------------


def test_every_five_seconds() -> None:
    assert occurrences("*/5 * * * * *", utc(2024, 3, 10, 12, 0, 3), 3) == [
        utc(2024, 3, 10, 12, 0, 5),
        utc(2024, 3, 10, 12, 0, 10),
        utc(2024, 3, 10, 12, 0, 15),
    ]


def test_next_occurrence_is_strictly_after() -> None:
    schedule = parse_schedule("*/5 * * * * *")
    assert schedule.next_after(utc(2024, 3, 10, 12, 0, 5)) == utc(2024, 3, 10, 12, 0, 10)
    # Sub-second instants: the next whole occurrence after it.
    assert schedule.next_after(utc(2024, 3, 10, 12, 0, 4).replace(microsecond=999_999)) == utc(
        2024, 3, 10, 12, 0, 5
    )


def test_top_of_every_hour_rolls_over_day_month_and_year() -> None:
    assert occurrences("0 0 * * * *", utc(2024, 12, 31, 22, 30), 3) == [
        utc(2024, 12, 31, 23),
        utc(2025, 1, 1, 0),
        utc(2025, 1, 1, 1),
    ]


def test_weekdays_at_half_past_nine() -> None:
    # 2024-03-08 is a Friday: the next ones are Monday to Friday of the week after.
    got = occurrences("0 30 9 * * MON-FRI", utc(2024, 3, 8, 10, 0), 6)
    assert got == [utc(2024, 3, d, 9, 30) for d in (11, 12, 13, 14, 15, 18)]
    assert [d.strftime("%a") for d in got] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
    # Numbers are the same days (0 = Sunday), names are case-insensitive and may be prefixes.
    for same in ("0 30 9 * * 1-5", "0 30 9 * * mon-fri", "0 30 9 * * Monday-Friday", "0 30 9 * * 1,2,3,4,5"):
        assert occurrences(same, utc(2024, 3, 8, 10, 0), 6) == got


def test_sunday_is_zero() -> None:
    assert parse_schedule("0 0 0 * * 0").next_after(utc(2024, 3, 4)) == utc(2024, 3, 10)  # a Sunday
    assert parse_schedule("0 0 0 * * sun").next_after(utc(2024, 3, 4)) == utc(2024, 3, 10)
    with pytest.raises(ScheduleError):
        parse_schedule("0 0 0 * * 7")


def test_month_names_and_documented_examples() -> None:
    # "at 9:30 AM every Monday in January" (the docs' example): Mondays of January 2025.
    assert occurrences("0 30 9 * Jan Mon", utc(2024, 6, 1), 5) == [
        utc(2025, 1, d, 9, 30) for d in (6, 13, 20, 27)
    ] + [utc(2026, 1, 5, 9, 30)]
    assert parse_schedule("0 0 0 1 DEC *").next_after(utc(2024, 1, 1)) == utc(2024, 12, 1)
    assert CronSchedule.parse("0 0 0 1 december *").months == {12}
    assert CronSchedule.parse("0 0 0 1 Ju *").months == {6}  # the first name the prefix matches
    assert parse_schedule("0 0 */2 * * *").next_after(utc(2024, 1, 1, 1)) == utc(2024, 1, 1, 2)
    assert occurrences("0 0 9-17 * * *", utc(2024, 1, 1, 16, 30), 2) == [
        utc(2024, 1, 1, 17),
        utc(2024, 1, 2, 9),
    ]


def test_ranges_lists_and_steps() -> None:
    schedule = CronSchedule.parse("10-30/5 1,2,58 * * * *")
    assert schedule.seconds == {10, 15, 20, 25, 30}
    assert schedule.minutes == {1, 2, 58}
    assert CronSchedule.parse("5/20 * * * * *").seconds == {5, 25, 45}  # NCrontab: a/n runs to the end
    assert CronSchedule.parse("30-10 * * * * *").seconds == set(range(10, 31))  # reversed: swapped
    assert CronSchedule.parse("* * * */10 * *").days == {1, 11, 21, 31}
    assert CronSchedule.parse("0  0   12 * * *").hours == {12}  # any whitespace between fields


def test_month_ends_and_leap_years() -> None:
    # The 31st: only months that have one.
    assert occurrences("0 0 0 31 * *", utc(2024, 1, 31, 1), 3) == [
        utc(2024, 3, 31),
        utc(2024, 5, 31),
        utc(2024, 7, 31),
    ]
    # 29 February: leap years only, and 2100 is not one.
    assert occurrences("0 0 0 29 2 *", utc(2024, 3, 1), 2) == [utc(2028, 2, 29), utc(2032, 2, 29)]
    assert parse_schedule("0 0 0 29 2 *").next_after(utc(2097, 1, 1)) == utc(2104, 2, 29)
    # The last second of a year.
    assert parse_schedule("59 59 23 31 12 *").next_after(utc(2023, 6, 1)) == utc(2023, 12, 31, 23, 59, 59)
    # Never: no 30 February.
    assert parse_schedule("0 0 0 30 2 *").next_after(utc(2024, 1, 1)) is None


def test_day_and_day_of_week_must_both_match() -> None:
    # NCrontab (unlike Unix cron) wants the 13th AND a Friday.
    assert occurrences("0 0 0 13 * FRI", utc(2024, 1, 1), 3) == [
        utc(2024, 9, 13),
        utc(2024, 12, 13),
        utc(2025, 6, 13),
    ]


def test_naive_and_other_time_zones_are_utc() -> None:
    schedule = parse_schedule("0 0 12 * * *")
    assert schedule.next_after(datetime(2024, 5, 1, 11)) == utc(2024, 5, 1, 12)
    plus_two = datetime(2024, 5, 1, 15, tzinfo=timezone(timedelta(hours=2)))  # 13:00 UTC
    assert schedule.next_after(plus_two) == utc(2024, 5, 2, 12)


@pytest.mark.parametrize(
    "expression",
    [
        "* * * * *",  # five fields: the seconds are missing
        "0 0 0 0 * *",  # day 0
        "60 * * * * *",
        "* * 24 * * *",
        "* * * * 13 *",
        "*/0 * * * * *",
        "1-2-3 * * * * *",
        "0 0 0 * Foo *",
        "0 0 0 * * Funday",
        "0 0 0 * * MON-",
        "a b c d e f",
        "",
    ],
)
def test_invalid_schedules(expression: str) -> None:
    with pytest.raises(ScheduleError, match="not recognized"):
        parse_schedule(expression)


def test_timespan_schedules() -> None:
    def interval(expression: str) -> timedelta:
        schedule = parse_schedule(expression)
        assert isinstance(schedule, IntervalSchedule)
        return schedule.interval

    assert interval("00:00:05") == timedelta(seconds=5)
    assert interval("01:00:00") == timedelta(hours=1)
    assert interval("00:01") == timedelta(minutes=1)
    assert interval("1.02:03:04") == timedelta(days=1, hours=2, minutes=3, seconds=4)
    # 24 or more first: dd:hh:mm, as .NET's TimeSpan reads it.
    assert interval("24:00:00") == timedelta(days=24)
    assert parse_schedule("00:00:05").next_after(utc(2024, 1, 1)) == utc(2024, 1, 1, 0, 0, 5)
    for bad in ("00:00:00", "00:61:00", "12:00:60"):
        with pytest.raises(ScheduleError):
            parse_schedule(bad)


def test_default_use_monitor() -> None:
    now = utc(2024, 1, 1)
    assert default_use_monitor(parse_schedule("0 */5 * * * *"), now)
    assert default_use_monitor(parse_schedule("0 * * * * *"), now)  # exactly a minute apart
    assert not default_use_monitor(parse_schedule("*/2 * * * * *"), now)
    assert not default_use_monitor(parse_schedule("0,30 * * * * *"), now)
    assert default_use_monitor(parse_schedule("00:05:00"), now)
    assert not default_use_monitor(parse_schedule("00:00:10"), now)


def test_timer_request_is_the_workers() -> None:
    status = ScheduleStatus(None, utc(2024, 1, 1, 4, 30), utc(2024, 1, 1), "0 30 4 * * *")
    request = timer_request(True, status)
    assert isinstance(request, func.TimerRequest)
    assert request.past_due is True
    assert request.schedule_status == {
        "Last": "0001-01-01T00:00:00",
        "Next": "2024-01-01T04:30:00+00:00",
        "LastUpdated": "2024-01-01T00:00:00+00:00",
    }
    assert request.schedule == {"AdjustForDST": True}
    assert timer_request(False, None).schedule_status == {}


# ---------------------------------------------------------------------------
# The scheduler's start-up decisions, with a fixed clock (no subprocess)
# ---------------------------------------------------------------------------


def _timer(schedule: str, *, run_on_startup: bool = False, use_monitor: bool | None = None) -> TimerFunction:
    return TimerFunction(
        name="job",
        schedule=parse_schedule(schedule),
        trigger_param="timer",
        run_on_startup=run_on_startup,
        use_monitor=use_monitor,
        user_function=None,
        accepts_context=False,
    )


def _startup_runs(function: TimerFunction, status_dir: Path, now: datetime) -> list[TimerRequest]:
    """The runs the scheduler makes at start-up (the next scheduled one is hours away)."""
    calls: list[TimerRequest] = []

    async def invoke(_function: TimerFunction, timer: func.TimerRequest, _id: str) -> None:
        assert isinstance(timer, TimerRequest)
        calls.append(timer)
        if len(calls) == 1:
            raise RuntimeError("a failing run is logged, the schedule goes on")

    async def scenario() -> None:
        scheduler = TimerScheduler({"job": function}, status_dir, invoke, clock=lambda: now)
        scheduler.start()
        await asyncio.sleep(0.2)
        await scheduler.stop()

    asyncio.run(scenario())
    return calls


def test_first_start_records_the_schedule_without_running(tmp_path: Path) -> None:
    now = utc(2024, 5, 1, 10)
    assert _startup_runs(_timer("0 30 4 * * *"), tmp_path, now) == []
    status = ScheduleMonitor(tmp_path).load("job")
    assert status is not None
    assert status.next == utc(2024, 5, 2, 4, 30)
    assert status.last is None


def test_start_after_a_missed_occurrence_runs_once_past_due(tmp_path: Path) -> None:
    monitor = ScheduleMonitor(tmp_path)
    # Last recorded on 1 May, waiting for 2 May 04:30; the host comes back on 5 May (3 missed).
    monitor.save(
        "job", ScheduleStatus(utc(2024, 5, 1, 4, 30), utc(2024, 5, 2, 4, 30), utc(2024, 5, 1), "0 30 4 * * *")
    )
    runs = _startup_runs(_timer("0 30 4 * * *"), tmp_path, utc(2024, 5, 5, 10))
    assert [r.past_due for r in runs] == [True]
    assert runs[0].schedule_status["Next"] == "2024-05-02T04:30:00+00:00"
    status = monitor.load("job")
    assert status is not None
    assert (status.last, status.next) == (utc(2024, 5, 5, 10), utc(2024, 5, 6, 4, 30))
    # Started again before the next occurrence: nothing is past due any more.
    assert _startup_runs(_timer("0 30 4 * * *"), tmp_path, utc(2024, 5, 5, 11)) == []


def test_no_past_due_without_the_monitor(tmp_path: Path) -> None:
    monitor = ScheduleMonitor(tmp_path)
    monitor.save("job", ScheduleStatus(None, utc(2024, 5, 2, 4, 30), utc(2024, 5, 1), "0 30 4 * * *"))
    assert _startup_runs(_timer("0 30 4 * * *", use_monitor=False), tmp_path, utc(2024, 5, 5)) == []


def test_a_changed_schedule_is_recomputed_from_the_last_update(tmp_path: Path) -> None:
    monitor = ScheduleMonitor(tmp_path)
    # Recorded with a yearly schedule; now daily at 04:30: the 2 May occurrence was missed.
    monitor.save("job", ScheduleStatus(None, utc(2025, 1, 1), utc(2024, 5, 1), "0 0 0 1 1 *"))
    runs = _startup_runs(_timer("0 30 4 * * *"), tmp_path, utc(2024, 5, 5))
    assert [r.past_due for r in runs] == [True]


def test_run_on_startup_runs_once_and_not_past_due(tmp_path: Path) -> None:
    runs = _startup_runs(_timer("0 30 4 * * *", run_on_startup=True), tmp_path, utc(2024, 5, 1))
    assert [r.past_due for r in runs] == [False]
    # Past due and run on start-up: still one run.
    monitor = ScheduleMonitor(tmp_path)
    monitor.save("job", ScheduleStatus(None, utc(2024, 5, 2, 4, 30), utc(2024, 5, 1), "0 30 4 * * *"))
    runs = _startup_runs(_timer("0 30 4 * * *", run_on_startup=True), tmp_path, utc(2024, 5, 9))
    assert [r.past_due for r in runs] == [True]


def test_timespan_schedule_runs_at_its_interval(tmp_path: Path) -> None:
    calls: list[float] = []

    async def invoke(_function: TimerFunction, _timer: func.TimerRequest, _id: str) -> None:
        calls.append(time.monotonic())

    async def scenario() -> None:
        scheduler = TimerScheduler({"job": _timer("00:00:01")}, tmp_path, invoke)
        scheduler.start()
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await scheduler.stop()

    asyncio.run(scenario())
    assert len(calls) >= 2


# ---------------------------------------------------------------------------
# The timer_app under a devhost subprocess
# ---------------------------------------------------------------------------


def make_host(root: Path) -> DevHost:
    return DevHost(
        app_dir=TIMER_APP,
        data_dir=root / "data",
        log_dir=root / "logs",
        environment={"TIMER_RUNS_DIR": str(root / "runs")},
    )


@pytest.fixture(scope="module")
def timer_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    with make_host(tmp_path_factory.mktemp("timer-app")) as host:
        yield host


@pytest.fixture
def restartable_timer_host(tmp_path: Path) -> Iterator[DevHost]:
    with make_host(tmp_path) as host:
        yield host


def runs_of(host: DevHost, function: str) -> list[dict[str, Any]]:
    response = requests.get(host.url(f"/api/runs/{function}"), timeout=10)
    assert response.status_code == 200, response.text
    runs: list[dict[str, Any]] = response.json()
    return runs


def wait_for_runs(
    host: DevHost,
    function: str,
    predicate: Callable[[list[dict[str, Any]]], bool],
    description: str,
    timeout: float = WAIT_S,
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        runs = runs_of(host, function)
        if predicate(runs):
            return runs
        time.sleep(0.2)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {description}; runs of {function}: "
        f"{json.dumps(runs, indent=1)}\n{host.output()}"
    )


def run_now(host: DevHost, function: str, body: Any = None, raw: bytes | None = None) -> requests.Response:
    if raw is not None:
        return requests.post(
            host.url(f"/admin/functions/{function}"), data=raw, headers=host.admin_headers(), timeout=10
        )
    return requests.post(
        host.url(f"/admin/functions/{function}"), json=body, headers=host.admin_headers(), timeout=10
    )


def _host_status(host: DevHost) -> dict[str, Any]:
    answer = requests.get(host.url("/admin/host/status"), headers=host.admin_headers(), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_timers_are_listed(timer_host: DevHost) -> None:
    functions = _host_status(timer_host)["functions"]
    for name in ("every_two_seconds", "on_startup", "daily_report", "monitored", "failing", "runs"):
        assert name in functions
    output = timer_host.output()
    assert "every_two_seconds: timerTrigger '*/2 * * * * *'" in output
    assert "daily_report: timerTrigger '0 30 4 * * *'" in output  # %DAILY_SCHEDULE% resolved
    assert "not served by devhost yet" not in output


def test_two_second_timer_runs_repeatedly(timer_host: DevHost) -> None:
    runs = wait_for_runs(timer_host, "every_two_seconds", lambda r: len(r) >= 3, "3 runs")
    assert all(run["past_due"] is False for run in runs)
    assert all(run["schedule_status"] == {} for run in runs)  # not monitored (more than once a minute)


def test_failing_timer_keeps_its_schedule(timer_host: DevHost) -> None:
    wait_for_runs(timer_host, "failing", lambda r: len(r) >= 2, "2 runs of a failing timer")
    assert "Executed 'Functions.failing' (Failed" in timer_host.output()
    assert _host_status(timer_host)["state"] == "Running"


def test_startup_timer_runs_once_at_start(timer_host: DevHost) -> None:
    runs = wait_for_runs(timer_host, "on_startup", lambda r: len(r) >= 1, "the start-up run")
    # By the time the 2 s timer ran twice more, a second start-up run would have shown up.
    seen = len(runs_of(timer_host, "every_two_seconds"))
    wait_for_runs(timer_host, "every_two_seconds", lambda r: len(r) >= seen + 2, "2 more runs")
    runs = runs_of(timer_host, "on_startup")
    assert len(runs) == 1
    assert runs[0]["past_due"] is False
    assert timer_host.process is not None and runs[0]["pid"] == timer_host.process.pid


def test_on_demand_run_of_the_daily_timer(timer_host: DevHost) -> None:
    assert runs_of(timer_host, "daily_report") == []
    response = run_now(timer_host, "daily_report", {"input": ""})
    assert response.status_code == 202, response.text
    runs = wait_for_runs(timer_host, "daily_report", lambda r: len(r) >= 1, "the on-demand run")
    time.sleep(1.0)
    runs = runs_of(timer_host, "daily_report")
    assert len(runs) == 1
    assert runs[0]["past_due"] is False
    # Monitored (daily), so it sees the schedule status; the on-demand run does not change it.
    assert runs[0]["schedule_status"]["Next"].endswith("T04:30:00+00:00")
    # Names are case-insensitive, and devhost takes an empty body for {}.
    response = run_now(timer_host, "Daily_Report", raw=b"")
    assert response.status_code == 202, response.text
    wait_for_runs(timer_host, "daily_report", lambda r: len(r) == 2, "the second on-demand run")


def test_on_demand_run_of_an_unknown_function(timer_host: DevHost) -> None:
    response = run_now(timer_host, "no_such_function", {"input": ""})
    assert response.status_code == 404
    assert "no_such_function" in response.json()["Message"]


def test_on_demand_run_of_an_http_function(timer_host: DevHost) -> None:
    response = run_now(timer_host, "runs", {"input": ""})
    assert response.status_code == 400
    assert "HTTP-triggered" in response.json()["Message"]


def test_on_demand_run_with_a_bad_body(timer_host: DevHost) -> None:
    assert run_now(timer_host, "daily_report", raw=b"not json").status_code == 400
    assert run_now(timer_host, "daily_report", ["a list"]).status_code == 400


def test_restart_after_missed_occurrences_runs_once_past_due(restartable_timer_host: DevHost) -> None:
    host = restartable_timer_host
    assert host.process is not None
    first_pid = host.process.pid
    wait_for_runs(
        host, "monitored", lambda r: any(run["pid"] == first_pid for run in r), "a run of the first host"
    )
    assert (host.data_dir / "timers" / "monitored.json").exists()
    host.kill()
    time.sleep(7)  # '*/3 * * * * *': at least two occurrences pass while the host is down
    host.restart_on_new_port()
    assert host.process is not None
    second_pid = host.process.pid

    def second_host_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [run for run in runs if run["pid"] == second_pid]

    runs = wait_for_runs(
        host, "monitored", lambda r: len(second_host_runs(r)) >= 3, "3 runs of the restarted host"
    )
    first_runs = [run for run in runs if run["pid"] == first_pid]
    assert all(run["past_due"] is False for run in first_runs)
    after_restart = second_host_runs(runs)
    # Once, at start, however many occurrences were missed; then on schedule again.
    assert [run["past_due"] for run in after_restart[:3]] == [True, False, False]
    # An unmonitored timer (more than once a minute) is never past due; the start-up one ran again.
    assert all(run["past_due"] is False for run in runs_of(host, "every_two_seconds"))
    assert [run["pid"] for run in runs_of(host, "on_startup")] == [first_pid, second_pid]
