"""The per-organization, per-transport concurrency limit (a roster row claimed with its ETag), against
Azurite: the limit holds under racing claims, releases are idempotent, lost seats come back."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from shared.api_errors import ApiError
from shared.sessions.limits import CREATION_GRACE, SEAT_MAX_AGE, SessionLimits, SessionRoster
from shared.sessions.records import SessionRecord
from shared.settings import load_settings
from shared.storage import TableRepository, table_service

T0 = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
ORG, PROJECT = "org_a", "proj_a"


@pytest.fixture
def sessions(storage_settings) -> TableRepository[SessionRecord]:
    return TableRepository(table_service(storage_settings), f"sessions{uuid.uuid4().hex}", SessionRecord)


@pytest.fixture
def limits(storage_settings, sessions) -> SessionLimits:
    rosters = TableRepository(table_service(storage_settings), f"rosters{uuid.uuid4().hex}", SessionRoster)
    return SessionLimits(rosters, sessions, limit=5)


def session(session_id: str, status: str = "started") -> SessionRecord:
    return SessionRecord(
        id=session_id,
        organization_id=ORG,
        project_id=PROJECT,
        key_id="key_a",
        provider_type="hosted",
        channel_type="websocket",
        status=status,
        started_at=T0,
    )


def refused(limits: SessionLimits, session_id: str, channel: str = "websocket", now: datetime = T0) -> bool:
    try:
        limits.claim(ORG, channel, session_id, PROJECT, now)
    except ApiError as error:
        assert (error.status, error.code, int(error.kind)) == (409, "ConcurrentSessionLimitReached", 3)
        assert (
            error.description == "Organization has reached the maximum of 5 concurrent 'websocket' sessions."
        )
        return True
    return False


def test_the_limit_is_per_organization_and_transport_and_a_release_frees_a_seat(limits, sessions):
    for n in range(5):
        sessions.create(PROJECT, session(f"sess_{n}"))
        assert not refused(limits, f"sess_{n}")
    assert refused(limits, "sess_5")
    assert not refused(limits, "sess_0")  # claiming its own seat again is no new session
    limits.claim(ORG, "webrtc", "sess_rtc", PROJECT, T0)  # another transport counts on its own
    limits.claim("org_b", "websocket", "sess_b", PROJECT, T0)  # and another organization
    limits.release(ORG, "websocket", "sess_3")
    limits.release(ORG, "websocket", "sess_3")  # a re-run of the end releases nothing twice
    limits.release(ORG, "sip", "sess_3")  # nothing claimed there: nothing happens
    assert limits.live_count(ORG, "websocket") == 4
    assert not refused(limits, "sess_5")
    assert refused(limits, "sess_6")


def test_racing_claims_never_pass_the_limit(limits):
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(lambda n: refused(limits, f"sess_race{n}"), range(12)))
    assert outcomes.count(False) == 5 and limits.live_count(ORG, "websocket") == 5


def test_seats_never_released_come_back_when_the_roster_is_full(limits, sessions):
    sessions.create(PROJECT, session("sess_closed", status="closed"))  # its release was lost
    sessions.create(PROJECT, session("sess_live"))
    limits.claim(ORG, "websocket", "sess_closed", PROJECT, T0)
    limits.claim(ORG, "websocket", "sess_live", PROJECT, T0)
    limits.claim(ORG, "websocket", "sess_making", PROJECT, T0)  # no record yet: being connected
    limits.claim(ORG, "websocket", "sess_old", PROJECT, T0 - SEAT_MAX_AGE)  # older than a session lasts
    sessions.create(PROJECT, session("sess_old"))
    limits.claim(ORG, "websocket", "sess_ok", PROJECT, T0)
    sessions.create(PROJECT, session("sess_ok", status="pending"))
    assert not refused(limits, "sess_new1")  # sess_closed and sess_old were dropped
    assert not refused(limits, "sess_new2", now=T0 + timedelta(seconds=1))
    assert refused(limits, "sess_new3", now=T0 + timedelta(seconds=2))  # sess_making: within its grace
    assert not refused(limits, "sess_new3", now=T0 + CREATION_GRACE + timedelta(seconds=1))


def test_the_setting_defaults_to_the_published_five():
    assert load_settings({"OMNI_STORAGE_CONNECTION_STRING": "x"}).max_concurrent_sessions_per_transport == 5
    settings = load_settings(
        {"OMNI_STORAGE_CONNECTION_STRING": "x", "OMNI_MAX_CONCURRENT_SESSIONS_PER_TRANSPORT": "12"}
    )
    assert settings.max_concurrent_sessions_per_transport == 12
    with pytest.raises(ValueError, match="OMNI_MAX_CONCURRENT_SESSIONS_PER_TRANSPORT"):
        load_settings(
            {"OMNI_STORAGE_CONNECTION_STRING": "x", "OMNI_MAX_CONCURRENT_SESSIONS_PER_TRANSPORT": "0"}
        )
