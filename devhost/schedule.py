"""Timer trigger schedules as the Functions host reads them: NCRONTAB expressions and TimeSpans.

Pure functions of their inputs (no clock, no I/O), so they are unit-tested directly.

NCRONTAB (what the host's timer extension uses, via the NCrontab library) has six fields,
``{second} {minute} {hour} {day} {month} {day-of-week}``. Each field is ``*``, a value, a range
``a-b``, a step ``*/n`` / ``a-b/n`` / ``a/n`` (``a`` to the field's maximum), or a comma list of
those. Months and days of the week may be English names or any prefix of one, case-insensitive
(``Jan``, ``january``, ``MON``); the first name the prefix matches wins, as in NCrontab. Day of
week is 0-6 with 0 = Sunday. As NCrontab does, a range written backwards is swapped (``5-1`` is
``1-5``), and a day must match both the day and the day-of-week fields (not cron's "either").

A TimeSpan (``hh:mm:ss``, or ``dd:hh:mm`` when the first number is 24 or more, or ``d.hh:mm:ss``)
is an interval between invocations instead.

Times are UTC, the host's default (``WEBSITE_TIME_ZONE`` is not honoured by devhost).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

# How far ahead an occurrence is looked for: far enough for 29 February across a skipped leap year
# (2096 -> 2104). A schedule with no occurrence in that window (31 February) never fires.
_SEARCH_YEARS = 9


class ScheduleError(ValueError):
    """The schedule is neither a valid NCRONTAB expression nor a TimeSpan."""


@dataclass(frozen=True)
class _Field:
    kind: str
    low: int
    high: int
    names: tuple[str, ...] = ()


_FIELDS = (
    _Field("second", 0, 59),
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day", 1, 31),
    _Field("month", 1, 12, MONTH_NAMES),
    _Field("day-of-week", 0, 6, DAY_NAMES),
)


def _parse_value(field: _Field, text: str) -> int:
    if not text:
        raise ScheduleError(f"an empty value in the {field.kind} field")
    if text.isascii() and text.isdigit():
        return int(text)
    if field.names and text.isalpha():
        for offset, name in enumerate(field.names):
            if name.lower().startswith(text.lower()):
                return field.low + offset
        raise ScheduleError(f"'{text}' is not a {field.kind} name (use one of {', '.join(field.names)})")
    raise ScheduleError(f"'{text}' is not a valid {field.kind} value")


def _check_range(field: _Field, value: int) -> None:
    if not field.low <= value <= field.high:
        raise ScheduleError(f"{value} is outside {field.low}-{field.high} in the {field.kind} field")


def _parse_field(field: _Field, text: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step, has_step = 1, "/" in part
        if has_step:
            part, step_text = part.split("/", 1)
            if not (step_text.isascii() and step_text.isdigit()) or int(step_text) == 0:
                raise ScheduleError(f"'{step_text}' is not a valid step in the {field.kind} field")
            step = int(step_text)
            if not part:
                raise ScheduleError(f"a step without a start in the {field.kind} field")
        if part == "*":
            first, last = field.low, field.high
        elif "-" in part[1:]:
            dash = part.index("-", 1)
            first, last = _parse_value(field, part[:dash]), _parse_value(field, part[dash + 1 :])
            first, last = min(first, last), max(first, last)
            _check_range(field, first)
            _check_range(field, last)
        else:
            first = _parse_value(field, part)
            _check_range(field, first)
            last = field.high if has_step else first  # NCrontab: "a/n" runs from a to the maximum
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A six-field NCRONTAB expression."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]  # 0 = Sunday

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        fields = expression.split()
        if len(fields) != 6:
            hint = " (add the {second} field first, usually 0)" if len(fields) == 5 else ""
            raise ScheduleError(
                f"'{expression}' has {len(fields)} fields, and an NCRONTAB expression has 6: "
                "{second} {minute} {hour} {day} {month} {day-of-week}" + hint
            )
        parsed = [_parse_field(field, text) for field, text in zip(_FIELDS, fields, strict=True)]
        return cls(expression, *parsed)

    def _day_matches(self, moment: datetime) -> bool:
        return (
            moment.day in self.days and (moment.weekday() + 1) % 7 in self.days_of_week  # Python: Monday = 0
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after ``moment`` (UTC), or None if there is none."""
        moment = _as_utc(moment)
        candidate = moment.replace(microsecond=0) + timedelta(seconds=1)
        horizon = moment.year + _SEARCH_YEARS
        while candidate.year <= horizon:
            if candidate.month not in self.months:
                month = _next_in(self.months, candidate.month)
                if month is None:
                    candidate = datetime(candidate.year + 1, 1, 1, tzinfo=UTC)
                else:
                    candidate = datetime(candidate.year, month, 1, tzinfo=UTC)
                continue
            if not self._day_matches(candidate):
                candidate = _start_of_day(candidate) + timedelta(days=1)
                continue
            if candidate.hour not in self.hours:
                hour = _next_in(self.hours, candidate.hour)
                if hour is None:
                    candidate = _start_of_day(candidate) + timedelta(days=1)
                else:
                    candidate = candidate.replace(hour=hour, minute=0, second=0)
                continue
            if candidate.minute not in self.minutes:
                minute = _next_in(self.minutes, candidate.minute)
                if minute is None:
                    candidate = candidate.replace(minute=0, second=0) + timedelta(hours=1)
                else:
                    candidate = candidate.replace(minute=minute, second=0)
                continue
            if candidate.second not in self.seconds:
                second = _next_in(self.seconds, candidate.second)
                if second is None:
                    candidate = candidate.replace(second=0) + timedelta(minutes=1)
                else:
                    candidate = candidate.replace(second=second)
                continue
            return candidate
        return None

    def __str__(self) -> str:
        return self.expression


@dataclass(frozen=True)
class IntervalSchedule:
    """A TimeSpan schedule: a fixed interval between invocations."""

    expression: str
    interval: timedelta

    _PATTERN = re.compile(r"^(?:(\d+)\.)?(\d+):(\d+)(?::(\d+))?$")

    @classmethod
    def parse(cls, expression: str) -> IntervalSchedule:
        """``hh:mm[:ss]``, ``d.hh:mm[:ss]``, or ``dd:hh:mm`` when the first number is 24 or more."""
        match = cls._PATTERN.match(expression.strip())
        if not match:
            raise ScheduleError(f"'{expression}' is not a TimeSpan (hh:mm:ss)")
        days_text, first_text, second_text, third_text = match.groups()
        days = int(days_text) if days_text else 0
        first, second = int(first_text), int(second_text)
        third = int(third_text) if third_text else 0
        if days_text is None and third_text is not None and first >= 24:
            # .NET reads "24:00:00" as 24 days, 0 hours, 0 minutes (the documented dd:hh:mm form).
            days, hours, minutes, seconds = first, second, third, 0
            if hours > 23 or minutes > 59:
                raise ScheduleError(f"'{expression}' is not a TimeSpan (dd:hh:mm)")
        else:
            hours, minutes, seconds = first, second, third
            if hours > 23 or minutes > 59 or seconds > 59:
                raise ScheduleError(f"'{expression}' is not a TimeSpan (hh:mm:ss)")
        interval = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if interval <= timedelta(0):
            raise ScheduleError(f"'{expression}' is a zero interval")
        return cls(expression, interval)

    def next_after(self, moment: datetime) -> datetime | None:
        return _as_utc(moment) + self.interval

    def __str__(self) -> str:
        return self.expression


Schedule = CronSchedule | IntervalSchedule


def parse_schedule(expression: str) -> Schedule:
    """An NCRONTAB expression or, failing that, a TimeSpan, as the host's timer extension tries them."""
    try:
        return CronSchedule.parse(expression)
    except ScheduleError as cron_error:
        if ":" not in expression:
            raise ScheduleError(
                f"The schedule expression '{expression}' was not recognized as a valid cron expression "
                f"or timespan string: {cron_error}"
            ) from None
        try:
            return IntervalSchedule.parse(expression)
        except ScheduleError as span_error:
            raise ScheduleError(
                f"The schedule expression '{expression}' was not recognized as a valid cron expression "
                f"or timespan string: {span_error}"
            ) from None


def default_use_monitor(schedule: Schedule, now: datetime) -> bool:
    """The host's default for ``useMonitor``: on when occurrences are at least a minute apart."""
    first = schedule.next_after(now)
    second = schedule.next_after(first) if first is not None else None
    if first is None or second is None:
        return True
    return second - first >= timedelta(minutes=1)


def _next_in(values: frozenset[int], current: int) -> int | None:
    later = [value for value in values if value > current]
    return min(later) if later else None


def _start_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
