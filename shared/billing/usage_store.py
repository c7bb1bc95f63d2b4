"""Where usage and the metering ledger live (Table storage).

- ``usagebyhour``: partition = UTC hour (``2024-05-01T13``), row = ``<organizationId>.<sessionId>``.
  The metering run reads one hour of every organization in one partition read.
- ``usagebyorganization``: partition = organization id, row = ``<hour>.<sessionId>``. Usage views read
  one organization's hours as one range of one partition.
  Both hold the same slices (a session's active microseconds in one hour, with its project and
  dimension); rows are keyed by session and hour, so recording a session again rewrites the same rows.
- ``meteringledger``: partition = hour, row = ``<subscriptionId>.<dimension>``: what the Marketplace
  answered for that event (status, quantity, usageEventId, attempts, last error). The run reads it
  before posting and writes it after each call.
- ``meteredhours``: partition ``hours``, row = hour: the hours whose events are all settled, so later
  runs do not read them again.

``usage_store()`` is the app's store; tests build one with ``UsageStore.on(table_service(settings))``.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import EntityProperty, TableServiceClient, UpdateMode
from pydantic import BaseModel, Field

from shared.billing.metering import (
    Dimension,
    LedgerStatus,
    MeteringKey,
    dimension_for,
    hour_ceiling,
    hour_key,
    hour_start,
    parse_hour_key,
    read_as_utc,
    split_by_hour,
)
from shared.platform import get_platform
from shared.sessions.records import SessionRecord
from shared.storage import TableRepository
from shared.storage.entities import to_entity

USAGE_BY_HOUR_TABLE = "usagebyhour"
USAGE_BY_ORGANIZATION_TABLE = "usagebyorganization"
METERING_LEDGER_TABLE = "meteringledger"
METERED_HOURS_TABLE = "meteredhours"
_METERED_HOURS_PARTITION = "hours"
# A table transaction takes at most 100 operations, all in one partition.
_TRANSACTION_SIZE = 100


class UsageSlice(BaseModel):
    """A session's active time in one UTC hour."""

    id: str
    session_id: str
    organization_id: str
    project_id: str
    dimension: Dimension
    hour: datetime
    microseconds: int


class LedgerEntry(BaseModel):
    """What the Marketplace said about one subscription's minutes on one dimension in one hour."""

    id: str  # <subscriptionId>.<dimension>
    hour: datetime
    subscription_id: str
    plan_id: str
    organization_id: str
    dimension: Dimension
    status: LedgerStatus
    quantity: Decimal  # minutes, as posted
    usage_event_id: str | None = None
    attempts: int = 0
    last_error: str | None = None
    updated_at: datetime


class MeteredHour(BaseModel):
    """An hour whose events are all settled (or that had none to send)."""

    id: str  # the hour key
    hour: datetime
    events: int = Field(description="Events settled for the hour.")
    settled_at: datetime


@dataclass(frozen=True)
class SessionUsage:
    """One ended session, as billing sees it."""

    session_id: str
    organization_id: str
    project_id: str
    dimension: Dimension
    started_at: datetime
    ended_at: datetime


def usage_slices(session: SessionUsage) -> list[UsageSlice]:
    """The session's slices, one per UTC hour it was active in (ids are the by-hour table's rows)."""
    return [
        UsageSlice(
            id=f"{session.organization_id}.{session.session_id}",
            session_id=session.session_id,
            organization_id=session.organization_id,
            project_id=session.project_id,
            dimension=session.dimension,
            hour=piece.hour,
            microseconds=piece.microseconds,
        )
        for piece in split_by_hour(session.started_at, session.ended_at)
    ]


def ledger_row(key: MeteringKey) -> str:
    return f"{key.subscription_id}.{key.dimension}"


def ledger_key(entry: LedgerEntry) -> MeteringKey:
    return MeteringKey(hour_start(entry.hour), entry.subscription_id, entry.dimension)


@dataclass
class UsageStore:
    service: TableServiceClient
    by_hour: TableRepository[UsageSlice]
    by_organization: TableRepository[UsageSlice]
    ledger: TableRepository[LedgerEntry]
    metered_hours: TableRepository[MeteredHour]
    _tables_made: set[str] = field(default_factory=set)

    @classmethod
    def on(cls, service: TableServiceClient) -> UsageStore:
        return cls(
            service,
            TableRepository(service, USAGE_BY_HOUR_TABLE, UsageSlice),
            TableRepository(service, USAGE_BY_ORGANIZATION_TABLE, UsageSlice),
            TableRepository(service, METERING_LEDGER_TABLE, LedgerEntry),
            TableRepository(service, METERED_HOURS_TABLE, MeteredHour),
        )

    # --- usage ----------------------------------------------------------------------------------

    def record_session(self, session: SessionUsage) -> list[UsageSlice]:
        """Write the session's slices to both tables. Idempotent: the same session writes the same
        rows (an upsert), so a re-run of the session's end adds nothing."""
        self.record_sessions([session])
        return usage_slices(session)

    def record_sessions(self, sessions: Iterable[SessionUsage]) -> int:
        """Write many sessions' slices, in table transactions per partition (bulk loads); answers the
        number of slices written."""
        by_hour: dict[str, list[UsageSlice]] = defaultdict(list)
        by_organization: dict[str, list[UsageSlice]] = defaultdict(list)
        for session in sessions:
            for piece in usage_slices(session):
                by_hour[hour_key(piece.hour)].append(piece)
                by_organization[piece.organization_id].append(
                    piece.model_copy(update={"id": f"{hour_key(piece.hour)}.{piece.session_id}"})
                )
        self._upsert_grouped(USAGE_BY_HOUR_TABLE, by_hour)
        self._upsert_grouped(USAGE_BY_ORGANIZATION_TABLE, by_organization)
        return sum(len(rows) for rows in by_hour.values())

    def hour_usage(self, hour: datetime) -> list[UsageSlice]:
        """Every organization's slices of one hour."""
        return self.by_hour.list_all(hour_key(hour))

    def hour_totals(self, hour: datetime) -> dict[tuple[str, Dimension], int]:
        """Active microseconds per organization and dimension in one hour (the metering run's read:
        one partition, only the three properties it sums, no model per row)."""
        totals: dict[tuple[str, Dimension], int] = defaultdict(int)
        table = self.service.get_table_client(USAGE_BY_HOUR_TABLE)
        rows = table.query_entities(
            "PartitionKey eq @hour",
            parameters={"hour": hour_key(hour)},
            select=["organization_id", "dimension", "microseconds"],
            results_per_page=1000,
        )
        try:
            for row in rows:
                microseconds = row["microseconds"]
                if isinstance(microseconds, EntityProperty):  # Int64 comes back wrapped
                    microseconds = microseconds.value
                totals[(row["organization_id"], row["dimension"])] += int(microseconds)
        except ResourceNotFoundError:
            return {}  # no session has ended yet: the table does not exist
        return dict(totals)

    def organization_usage(
        self, organization_id: str, start: datetime, end: datetime, project_id: str | None = None
    ) -> list[UsageSlice]:
        """One organization's slices of the hours in [start, end), optionally one project's only."""
        filter = "RowKey ge @low and RowKey lt @high"
        parameters = {"low": hour_key(start), "high": hour_key(hour_ceiling(end))}
        if project_id is not None:
            filter += " and project_id eq @project"
            parameters["project"] = project_id
        return self.by_organization.list_all(organization_id, filter, parameters)

    # --- the metering ledger --------------------------------------------------------------------

    def ledger_entries(self, hour: datetime) -> list[LedgerEntry]:
        return self.ledger.list_all(hour_key(hour))

    def record_outcomes(self, entries: Sequence[LedgerEntry]) -> None:
        """Write what the Marketplace answered (after each call), one transaction per hour."""
        grouped: dict[str, list[LedgerEntry]] = defaultdict(list)
        for entry in entries:
            grouped[hour_key(entry.hour)].append(entry)
        self._upsert_grouped(METERING_LEDGER_TABLE, grouped)

    def settled_hours(self, hours: Sequence[datetime]) -> set[datetime]:
        """Which of ``hours`` are already settled (one range read)."""
        if not hours:
            return set()
        found = self.metered_hours.list_all(
            _METERED_HOURS_PARTITION,
            "RowKey ge @low and RowKey le @high",
            {"low": hour_key(min(hours)), "high": hour_key(max(hours))},
        )
        return {parse_hour_key(entry.id) for entry in found}

    def mark_settled(self, hour: datetime, events: int, now: datetime) -> None:
        key = hour_key(hour)
        self.metered_hours.upsert(
            _METERED_HOURS_PARTITION,
            MeteredHour(id=key, hour=hour_start(hour), events=events, settled_at=now.astimezone(UTC)),
        )

    # --- bulk writes ----------------------------------------------------------------------------

    def _upsert_grouped(self, table_name: str, grouped: Mapping[str, Sequence[BaseModel]]) -> None:
        if not grouped:
            return
        table = self.service.get_table_client(table_name)
        if table_name not in self._tables_made:
            with contextlib.suppress(ResourceExistsError):
                table.create_table()
            self._tables_made.add(table_name)
        for partition, models in grouped.items():
            entities = [to_entity(model, partition, "id") for model in models]
            for start in range(0, len(entities), _TRANSACTION_SIZE):
                chunk = entities[start : start + _TRANSACTION_SIZE]
                table.submit_transaction(
                    [("upsert", entity, {"mode": UpdateMode.REPLACE}) for entity in chunk]
                )


def usage_store() -> UsageStore:
    """The app's store, over the platform's tables."""
    platform = get_platform()
    return UsageStore(
        platform.tables,
        platform.repository(USAGE_BY_HOUR_TABLE, UsageSlice),
        platform.repository(USAGE_BY_ORGANIZATION_TABLE, UsageSlice),
        platform.repository(METERING_LEDGER_TABLE, LedgerEntry),
        platform.repository(METERED_HOURS_TABLE, MeteredHour),
    )


def record_session_usage(session: SessionRecord, started_at: datetime, ended_at: datetime) -> None:
    """The session's end (activities/session.py): its active interval as usage slices, on the
    dimension of its key's provider. Recorded whether or not billing is on; idempotent."""
    usage_store().record_session(
        SessionUsage(
            session_id=session.id,
            organization_id=session.organization_id,
            project_id=session.project_id,
            dimension=dimension_for(session.provider_type),
            started_at=read_as_utc(started_at),
            ended_at=read_as_utc(ended_at),
        )
    )
