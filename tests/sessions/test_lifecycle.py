"""Session rules without a host: when a quiet session warns and ends, how minutes are billed, how long a
session without its client waits for it."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from shared.sessions.lifecycle import (
    SessionPlan,
    SessionProgress,
    begin,
    billed_minutes,
    grace_over,
    next_wake,
    on_connection,
    on_user_activity,
    reconnect_grace,
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


def test_a_lost_connection_wakes_the_session_at_the_end_of_its_grace():
    webrtc = plan(channel_type="webrtc", reconnect_grace_seconds=20, inactivity_timeout_seconds=600)
    lost = on_connection(begin(T0), (T0 + timedelta(seconds=30)).isoformat())
    assert next_wake(webrtc, begin(T0)) == (T0 + timedelta(seconds=585), "warn")
    assert next_wake(webrtc, lost) == (T0 + timedelta(seconds=50), "reconnect_grace")
    assert not grace_over(webrtc, lost, T0 + timedelta(seconds=49))
    assert grace_over(webrtc, lost, T0 + timedelta(seconds=50))
    back = on_connection(lost, None)
    assert back.disconnected_at is None and next_wake(webrtc, back) == next_wake(webrtc, begin(T0))
    assert not grace_over(webrtc, back, T0 + timedelta(seconds=500))


def test_a_disconnected_period_still_counts_toward_inactivity():
    webrtc = plan(channel_type="webrtc", reconnect_grace_seconds=300)
    lost = on_connection(begin(T0), (T0 + timedelta(seconds=100)).isoformat())
    assert lost.last_activity_at == begin(T0).last_activity_at  # losing the client is no activity
    assert next_wake(webrtc, lost) == (T0 + timedelta(seconds=105), "warn")
    assert next_wake(webrtc, replace(lost, warned=True)) == (T0 + timedelta(seconds=120), "inactivity")


def test_only_webrtc_sessions_get_a_grace_and_a_session_without_one_never_waits_for_it():
    assert reconnect_grace("webrtc", 20) == 20 and reconnect_grace("websocket", 20) == 0
    websocket = plan(reconnect_grace_seconds=0)
    lost = on_connection(begin(T0), T0.isoformat())
    assert next_wake(websocket, lost)[1] == "warn"
    assert not grace_over(websocket, lost, T0 + timedelta(days=1))


def test_the_disconnection_time_keeps_the_orchestrators_form_and_survives_continue_as_new():
    naive = begin(T0.replace(tzinfo=None))
    kept = on_connection(naive, "2026-11-25T12:00:07+00:00")
    assert kept.disconnected_at == "2026-11-25T12:00:07"
    aware = on_connection(begin(T0), "2026-11-25T12:00:07")
    assert aware.disconnected_at == "2026-11-25T12:00:07+00:00"
    assert SessionProgress.from_json(aware.to_json()) == aware
