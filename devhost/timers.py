"""Timer triggers: run each timer function on its schedule, on start-up, and on demand.

As the host's timer extension does it:

- A function runs at each occurrence of its schedule (UTC). After a run, a cron schedule waits for
  its next occurrence after the run ended (occurrences missed while it ran are skipped); a TimeSpan
  schedule waits the interval from the occurrence, so a run longer than the interval is followed by
  the next one at once.
- ``useMonitor`` (default: on when occurrences are a minute or more apart) keeps the schedule status
  (``Last``, ``Next``, ``LastUpdated``) per function, in ``DATA_DIR/timers/<function>.json`` here
  (a blob in the host's storage account there). At start, if the recorded ``Next`` has passed, the
  host was down at an occurrence: the function runs once at once with ``IsPastDue`` true, however many
  occurrences were missed. Occurrences at run time are never past due.
- ``runOnStartup`` runs the function once at start (past due or not, it runs once).
- ``POST /admin/functions/{name}`` runs it now (``run_now``), whatever its schedule; such a run does
  not change the schedule status.
- A failing function is logged; the schedule goes on (a timer trigger does not retry).

The user function gets the ``func.TimerRequest`` the Python worker makes: the binding JSON
(``Schedule``, ``ScheduleStatus``, ``IsPastDue``) decoded by ``azure.functions``' own converter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions import meta
from azure.functions.timer import TimerRequest, TimerRequestConverter

from .app_loader import TimerFunction
from .schedule import CronSchedule, IntervalSchedule, default_use_monitor

log = logging.getLogger("devhost.timers")

# .NET's DateTime.MinValue: what the host reports as Last before a first scheduled run.
_NEVER = "0001-01-01T00:00:00"
_MANUAL = "This function was programmatically called via the host APIs."

InvokeTimer = Callable[[TimerFunction, func.TimerRequest, str], Awaitable[Any]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScheduleStatus:
    last: datetime | None  # the last scheduled occurrence that ran; None: none yet
    next: datetime | None  # the occurrence waited for; None: the schedule has no more
    last_updated: datetime
    schedule: str  # the expression `next` was computed with (a changed schedule recomputes it)

    def to_json(self) -> dict[str, Any]:
        return {
            "Last": _iso(self.last),
            "Next": _iso(self.next),
            "LastUpdated": _iso(self.last_updated),
            "Schedule": self.schedule,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScheduleStatus:
        return cls(
            last=_parse_iso(data.get("Last")),
            next=_parse_iso(data.get("Next")),
            last_updated=_parse_iso(data.get("LastUpdated")) or utc_now(),
            schedule=str(data.get("Schedule", "")),
        )

    def binding_json(self) -> dict[str, str | None]:
        """``ScheduleStatus`` as the host hands it to a worker."""
        return {
            "Last": _iso(self.last) or _NEVER,
            "Next": _iso(self.next),
            "LastUpdated": _iso(self.last_updated),
        }


class ScheduleMonitor:
    """The persisted schedule status of monitored timer functions, one JSON file each."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, function_name: str) -> Path:
        return self.directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', function_name)}.json"

    def load(self, function_name: str) -> ScheduleStatus | None:
        path = self._path(function_name)
        try:
            return ScheduleStatus.from_json(json.loads(path.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError, AttributeError) as error:
            log.warning("Ignoring unreadable schedule status %s: %s", path, error)
            return None

    def save(self, function_name: str, status: ScheduleStatus) -> None:
        path = self._path(function_name)
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(status.to_json(), indent=2))
        os.replace(temporary, path)


def timer_request(past_due: bool, status: ScheduleStatus | None) -> TimerRequest:
    """The ``func.TimerRequest`` for an invocation, decoded from the binding JSON as the worker does."""
    binding = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": status.binding_json() if status is not None else None,
        "IsPastDue": past_due,
    }
    request: TimerRequest = TimerRequestConverter.decode(
        meta.Datum(type="json", value=json.dumps(binding)), trigger_metadata=None
    )
    return request


class TimerScheduler:
    def __init__(
        self,
        functions: dict[str, TimerFunction],
        status_dir: Path,
        invoke: InvokeTimer,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.functions = functions
        self.monitor = ScheduleMonitor(status_dir)
        self._invoke = invoke
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        now = clock()
        self.monitored = {
            name: f.use_monitor if f.use_monitor is not None else default_use_monitor(f.schedule, now)
            for name, f in functions.items()
        }

    def next_occurrence(self, name: str) -> datetime | None:
        return self.functions[name].schedule.next_after(self._clock())

    def start(self) -> None:
        for function in self.functions.values():
            self._spawn(self._run_schedule(function), f"timer:{function.name}")

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def run_now(self, function: TimerFunction) -> None:
        """Run a timer function once now, in the background (the admin API answers at once)."""
        status = self.monitor.load(function.name) if self.monitored[function.name] else None
        self._spawn(self._fire(function, _MANUAL, False, status), f"timer-now:{function.name}")

    def _spawn(self, coroutine: Awaitable[None], name: str) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fire(
        self, function: TimerFunction, reason: str, past_due: bool, status: ScheduleStatus | None
    ) -> None:
        invocation_id = str(uuid.uuid4())
        log.info(
            "Executing 'Functions.%s' (Reason='%s', Id=%s)%s",
            function.name,
            reason,
            invocation_id,
            " past due" if past_due else "",
        )
        started = time.monotonic()
        try:
            await self._invoke(function, timer_request(past_due, status), invocation_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # As the host: logged, and the schedule goes on (timer triggers do not retry).
            log.exception(
                "Executed 'Functions.%s' (Failed, Id=%s, Duration=%dms)",
                function.name,
                invocation_id,
                (time.monotonic() - started) * 1000,
            )
            return
        log.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)",
            function.name,
            invocation_id,
            (time.monotonic() - started) * 1000,
        )

    async def _run_schedule(self, function: TimerFunction) -> None:
        schedule = function.schedule
        monitored = self.monitored[function.name]
        now = self._clock()
        due = schedule.next_after(now)
        past_due = False
        status: ScheduleStatus | None = None
        if monitored:
            stored = self.monitor.load(function.name)
            if stored is not None:
                recorded_next = stored.next
                if stored.schedule != schedule.expression:
                    # The schedule changed since: when would the new one have fired next?
                    recorded_next = schedule.next_after(stored.last_updated)
                if recorded_next is not None and now > recorded_next:
                    past_due = True  # the host was down at an occurrence
                    due = recorded_next
                elif recorded_next is not None:
                    due = recorded_next  # a TimeSpan keeps its cadence across restarts
            status = ScheduleStatus(stored.last if stored else None, due, now, schedule.expression)
            if not past_due:
                self.monitor.save(function.name, status)

        if past_due or function.run_on_startup:
            reason = f"Past due since {due.isoformat()}" if past_due and due else "Run on startup"
            await self._fire(function, reason, past_due, status)
            if past_due:
                # The missed occurrences count as one run, now; the schedule goes on from there.
                due = self._after_run(schedule, now)
                status = self._record(function, now, due)
            elif due is not None and due <= self._clock() and isinstance(schedule, CronSchedule):
                due = schedule.next_after(self._clock())

        while due is not None:
            await self._sleep_until(due)
            await self._fire(function, f"Timer fired at {due.isoformat()}", False, status)
            next_due = self._after_run(schedule, due)
            if monitored:
                status = self._record(function, due, next_due)
            due = next_due
        log.warning("Timer '%s' has no further occurrence of '%s'", function.name, schedule)

    def _after_run(self, schedule: CronSchedule | IntervalSchedule, due: datetime) -> datetime | None:
        """The occurrence to wait for once the run for ``due`` has ended."""
        if isinstance(schedule, IntervalSchedule):
            # After a run longer than the interval, the next one at once (once, not one per interval).
            return max(schedule.interval + due, self._clock())
        return schedule.next_after(max(due, self._clock()))  # occurrences missed while running: skipped

    def _record(
        self, function: TimerFunction, occurrence: datetime, next_due: datetime | None
    ) -> ScheduleStatus:
        """After a scheduled (or past-due) run: Last is that occurrence, Next the one waited for now."""
        recorded = ScheduleStatus(occurrence, next_due, self._clock(), function.schedule.expression)
        self.monitor.save(function.name, recorded)
        return recorded

    async def _sleep_until(self, moment: datetime) -> None:
        while True:
            delay = (moment - self._clock()).total_seconds()
            if delay <= 0:
                return
            await asyncio.sleep(min(delay, 60.0))


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
