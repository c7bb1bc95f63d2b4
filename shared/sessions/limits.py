"""How many sessions an organization may have at once, per transport (``channelType``): the published
limit is 5 each for WebRTC, WebSocket, VoIP and SIP (docs: "Limits"), our setting
``OMNI_MAX_CONCURRENT_SESSIONS_PER_TRANSPORT``. A session counts from its creation until it ends
(pending and started both count); one more is refused with 409 ``ConcurrentSessionLimitReached``.

Why a roster row and not a query: sessions are stored per project, so counting an organization's
live sessions is a read of every project's partition (or a table scan), and two connections counting
at the same moment would both see room for one more. Instead each organization has one row per
transport (table ``sessionrosters``, partition = organization id, row = transport) listing its live
sessions; a connection claims a seat by writing the row back with the ETag it read, so of two racing
claims for the last seat one loses the write, reads again and is refused. It costs one point read
and one conditional write per connection, and the same at the end.

The row holds the session ids, not a number: the release (``end_session``) removes its own id, so
a re-run of that activity removes nothing twice. Seats that were never released (a host that died
between the claim and starting the session, or before the release) are found only when the roster
is full: a seat is dropped when its session has ended or was never created (past a short grace for
connections being made), or is older than any session can last.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from shared.api_errors import ApiError, conflict
from shared.concurrency import UPDATE_ATTEMPTS, busy, pause_before_retry
from shared.platform import Platform
from shared.sessions.lifecycle import DEFAULT_MAX_DURATION_SECONDS
from shared.sessions.records import SESSIONS_TABLE, SessionRecord
from shared.storage import AlreadyExists, ConcurrencyConflict, NotFound, Stored, TableRepository

SESSION_ROSTERS_TABLE = "sessionrosters"
# A seat whose session record does not exist yet may belong to a connection being made.
CREATION_GRACE = timedelta(minutes=2)
# Past this a seat's session has ended whatever its record says (it lasts at most the maximum length).
SEAT_MAX_AGE = timedelta(seconds=DEFAULT_MAX_DURATION_SECONDS) + timedelta(minutes=15)


class RosterSeat(BaseModel):
    project_id: str
    claimed_at: datetime


class SessionRoster(BaseModel):
    """An organization's live sessions on one transport."""

    id: str  # the transport (channelType)
    seats: dict[str, RosterSeat] = Field(default_factory=dict)  # session id -> seat


def limit_reached(limit: int, channel_type: str) -> ApiError:
    return conflict(
        "ConcurrentSessionLimitReached",
        f"Organization has reached the maximum of {limit} concurrent '{channel_type}' sessions.",
    )


class SessionLimits:
    def __init__(
        self,
        rosters: TableRepository[SessionRoster],
        sessions: TableRepository[SessionRecord],
        limit: int,
    ) -> None:
        self._rosters = rosters
        self._sessions = sessions
        self.limit = limit

    def claim(
        self, organization_id: str, channel_type: str, session_id: str, project_id: str, now: datetime
    ) -> None:
        """A seat for the new session, or 409 ``ConcurrentSessionLimitReached``."""
        for attempt in range(UPDATE_ATTEMPTS):
            pause_before_retry(attempt)
            stored = self._read(organization_id, channel_type)
            roster = stored.entity if stored else SessionRoster(id=channel_type)
            if session_id in roster.seats:
                return
            seats = dict(roster.seats)
            if len(seats) >= self.limit:
                seats = {sid: seat for sid, seat in seats.items() if not self._abandoned(sid, seat, now)}
            if len(seats) >= self.limit:
                raise limit_reached(self.limit, channel_type)
            seats[session_id] = RosterSeat(project_id=project_id, claimed_at=now)
            claimed = roster.model_copy(update={"seats": seats})
            try:
                if stored is None:
                    self._rosters.create(organization_id, claimed)
                else:
                    self._rosters.update(organization_id, claimed, stored.etag)
            except (ConcurrencyConflict, AlreadyExists):
                continue  # another connection or end changed the roster: count again
            return
        raise busy("session roster")

    def release(self, organization_id: str, channel_type: str, session_id: str) -> None:
        """The session's seat is free again; nothing happens when it holds none (a re-run)."""
        for attempt in range(UPDATE_ATTEMPTS):
            pause_before_retry(attempt)
            stored = self._read(organization_id, channel_type)
            if stored is None or session_id not in stored.entity.seats:
                return
            seats = {sid: seat for sid, seat in stored.entity.seats.items() if sid != session_id}
            try:
                self._rosters.update(
                    organization_id, stored.entity.model_copy(update={"seats": seats}), stored.etag
                )
            except ConcurrencyConflict:
                continue
            return
        raise busy("session roster")

    def live_count(self, organization_id: str, channel_type: str) -> int:
        stored = self._read(organization_id, channel_type)
        return len(stored.entity.seats) if stored else 0

    def _read(self, organization_id: str, channel_type: str) -> Stored[SessionRoster] | None:
        try:
            return self._rosters.get(organization_id, channel_type)
        except NotFound:
            return None

    def _abandoned(self, session_id: str, seat: RosterSeat, now: datetime) -> bool:
        """The seat's session ended without releasing it, or never came to be."""
        age = now - seat.claimed_at
        if age > SEAT_MAX_AGE:
            return True
        try:
            record = self._sessions.get(seat.project_id, session_id).entity
        except NotFound:
            return age > CREATION_GRACE
        return not record.is_live


def session_limits(platform: Platform) -> SessionLimits:
    return SessionLimits(
        platform.repository(SESSION_ROSTERS_TABLE, SessionRoster),
        platform.repository(SESSIONS_TABLE, SessionRecord),
        platform.settings.max_concurrent_sessions_per_transport,
    )
