"""Session rules without a host: when a quiet session warns and ends, how minutes are billed."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from shared.sessions.lifecycle import (
    SessionPlan,
    begin,
    billed_minutes,
    next_wake,
    on_user_activity,
    seconds_left,
)

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def plan(**changes):
    base = SessionPlan(
        session_id="sess_a",
        project_id="proj_a",
        organization_id="org_a",
        agent_id="agent_a",
        key_id="key_a",
        channel_type="websocket",
        inactivity_timeout_seconds=120,
        inactivity_countdown_seconds=15,
    )
    return replace(base, **changes)


def test_inactivity_warning_comes_countdown_seconds_before_end():
    progress = begin(T0)
    assert next_wake(plan(), progress) == (T0 + timedelta(seconds=105), "warn")
    warned = replace(progress, warned=True)
    assert next_wake(plan(), warned) == (T0 + timedelta(seconds=120), "inactivity")
    assert seconds_left(plan(), warned, T0 + timedelta(seconds=105)) == 15


def test_any_user_frame_resets_the_inactivity_clock_and_the_warning():
    later = T0 + timedelta(seconds=110)
    progress = on_user_activity(replace(begin(T0), warned=True), later)
    assert next_wake(plan(), progress) == (later + timedelta(seconds=105), "warn")


def test_maximum_length_ends_a_session_even_without_idle_timeout():
    progress = begin(T0)
    assert next_wake(plan(idle_timeout_disabled=True, max_duration_seconds=600), progress) == (
        T0 + timedelta(seconds=600),
        "max_duration",
    )
    assert next_wake(plan(max_duration_seconds=100), progress) == (
        T0 + timedelta(seconds=100),
        "max_duration",
    )


def test_no_countdown_means_no_warning():
    assert next_wake(plan(inactivity_countdown_seconds=0), begin(T0)) == (
        T0 + timedelta(seconds=120),
        "inactivity",
    )


def test_every_started_minute_is_billed():
    assert [billed_minutes(s) for s in (0, 0.4, 60, 61, 3599.9)] == [0, 1, 1, 2, 60]
