"""Durable state of the devhost's task hub, in one SQLite file under the data dir.

Three tables, the shape of a DTFx task hub: ``instances`` (one row per orchestration instance, its
current execution), ``history`` (the execution's events, in order) and ``messages`` (work not yet
done: orchestration events to deliver, activities to run; a timer is a message that becomes visible
at its fire time). Everything one orchestration episode changes is written in one transaction, so a
crash leaves either the state before the episode or after it, never half of it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .entity_store import (
    ENTITY_SCHEMA,
    EntityRecord,
    EntityWrite,
    delete_entity,
    query_entities,
    read_entity,
    write_entity,
)
from .history import EventType, HistoryEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    runtime_status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    parent_instance_id TEXT,
    parent_execution_id TEXT,
    parent_task_id INTEGER,
    parent_name TEXT,
    next_event_id INTEGER NOT NULL DEFAULT 0,
    actions_seen INTEGER NOT NULL DEFAULT 0,
    retries TEXT NOT NULL DEFAULT '{}',
    version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS instances_by_status ON instances (runtime_status, created_time);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, position)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('orchestration', 'activity')),
    visible_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (kind, visible_at);
CREATE INDEX IF NOT EXISTS messages_by_instance ON messages (instance_id, id);
"""

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Terminated"})


@dataclass
class Instance:
    instance_id: str
    name: str
    execution_id: str
    runtime_status: str
    input: str | None
    output: str | None
    custom_status: str | None
    created_time: str
    last_updated_time: str
    parent_instance_id: str | None = None
    parent_execution_id: str | None = None
    parent_task_id: int | None = None
    parent_name: str | None = None
    # The next DTFx event id (sequence number) to hand out, and how many atomic actions of the
    # SDK's action list have been scheduled already: together they map new actions to ids.
    next_event_id: int = 0
    actions_seen: int = 0
    # Retry bookkeeping per scheduled event id: {"attempt", "options", "action", "timer_for"}.
    retries: dict[str, Any] = field(default_factory=dict)
    # The orchestration version given at start (start_new(version=...), host.json defaultVersion).
    version: str = ""

    @property
    def is_terminal(self) -> bool:
        return self.runtime_status in TERMINAL_STATUSES


@dataclass(frozen=True)
class Message:
    id: int
    instance_id: str
    kind: str
    visible_at: float
    body: dict[str, Any]


@dataclass
class NewMessage:
    instance_id: str
    kind: str
    body: dict[str, Any]
    visible_at: float


@dataclass
class EpisodeWrite:
    """Everything one step of an instance changes, applied atomically by ``TaskHubStore.commit``."""

    instance: Instance | None = None
    replace_history: list[HistoryEvent] | None = None
    append_history: list[HistoryEvent] = field(default_factory=list)
    consumed_message_ids: list[int] = field(default_factory=list)
    new_messages: list[NewMessage] = field(default_factory=list)
    delete_instance_id: str | None = None
    entity: EntityWrite | None = None  # an entity batch's new state (``entity_store.py``)


class TaskHubStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the host's threads, serialised by a lock: SQLite is fast enough
        # for a developer's machine and this keeps every write ordered.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.executescript(ENTITY_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(instances)")}
        if "version" not in columns:  # a task hub made before versions were kept
            self._db.execute("ALTER TABLE instances ADD COLUMN version TEXT NOT NULL DEFAULT ''")
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- instances -------------------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Instance | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM instances WHERE instance_id = ?", (instance_id,)).fetchone()
            columns = [c[0] for c in self._db.execute("SELECT * FROM instances LIMIT 0").description]
        return _instance_from_row(columns, row) if row else None

    def query_instances(
        self,
        statuses: Iterable[str] = (),
        created_from: str | None = None,
        created_to: str | None = None,
        id_prefix: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Instance]:
        clauses: list[str] = []
        args: list[Any] = []
        statuses = list(statuses)
        if statuses:
            clauses.append(f"runtime_status IN ({','.join('?' * len(statuses))})")
            args.extend(statuses)
        if created_from:
            clauses.append("created_time >= ?")
            args.append(created_from)
        if created_to:
            clauses.append("created_time <= ?")
            args.append(created_to)
        if id_prefix:
            clauses.append("substr(instance_id, 1, ?) = ?")
            args.extend([len(id_prefix), id_prefix])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT * FROM instances {where} ORDER BY created_time, instance_id LIMIT ? OFFSET ?"
        args.extend([-1 if limit is None else limit, offset])
        with self._lock:
            cursor = self._db.execute(sql, args)
            columns = [c[0] for c in cursor.description]
            return [_instance_from_row(columns, row) for row in cursor.fetchall()]

    def history(self, instance_id: str) -> list[HistoryEvent]:
        with self._lock:
            rows = self._db.execute(
                "SELECT event FROM history WHERE instance_id = ? ORDER BY position", (instance_id,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    # -- messages --------------------------------------------------------------------------------

    def enqueue(self, message: NewMessage) -> None:
        with self._transaction() as db:
            _insert_message(db, message)

    def visible_messages(self, instance_id: str, now: float) -> list[Message]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, instance_id, kind, visible_at, body FROM messages "
                "WHERE instance_id = ? AND kind = 'orchestration' AND visible_at <= ? ORDER BY id",
                (instance_id, now),
            ).fetchall()
        return [_message_from_row(row) for row in rows]

    def instances_with_work(self, now: float) -> list[str]:
        """Instances with visible messages they can act on: a suspended instance only takes
        terminate and resume until it is resumed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT m.instance_id FROM messages m "
                "LEFT JOIN instances i ON i.instance_id = m.instance_id "
                "WHERE m.kind = 'orchestration' AND m.visible_at <= ? AND ("
                "  i.runtime_status IS NULL OR i.runtime_status != 'Suspended'"
                "  OR json_extract(m.body, '$.event.EventType') IN (?, ?))",
                (now, int(EventType.EXECUTION_TERMINATED), int(EventType.EXECUTION_RESUMED)),
            ).fetchall()
        return [row[0] for row in rows]

    def activity_messages(self, exclude: set[int], now: float) -> list[Message]:
        """Work due by ``now`` (a durable HTTP poll waits for its Retry-After)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, instance_id, kind, visible_at, body FROM messages "
                "WHERE kind = 'activity' AND visible_at <= ? ORDER BY id",
                (now,),
            ).fetchall()
        return [_message_from_row(row) for row in rows if row[0] not in exclude]

    def next_visible_time(self, after: float) -> float | None:
        """When the next message that is not yet visible (a timer, an HTTP poll) becomes visible."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(visible_at) FROM messages WHERE visible_at > ?",
                (after,),
            ).fetchone()
        return row[0] if row and row[0] is not None else None

    def complete_activity(self, activity_message_id: int, result: NewMessage) -> None:
        """Replace an activity's work item by its result message, atomically: a crash before this
        runs the activity again (at-least-once, as in Durable Functions), never loses its result."""
        with self._transaction() as db:
            deleted = db.execute("DELETE FROM messages WHERE id = ?", (activity_message_id,)).rowcount
            if deleted:
                _insert_message(db, result)

    # -- episodes --------------------------------------------------------------------------------

    def commit(self, write: EpisodeWrite) -> None:
        with self._transaction() as db:
            if write.delete_instance_id is not None:
                _delete_instance(db, write.delete_instance_id)
            if write.instance is not None:
                _upsert_instance(db, write.instance)
                instance_id = write.instance.instance_id
                if write.replace_history is not None:
                    db.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))
                    _append_history(db, instance_id, write.replace_history, start=0)
                if write.append_history:
                    (count,) = db.execute(
                        "SELECT COUNT(*) FROM history WHERE instance_id = ?", (instance_id,)
                    ).fetchone()
                    _append_history(db, instance_id, write.append_history, start=count)
            db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in write.consumed_message_ids])
            for message in write.new_messages:
                _insert_message(db, message)
            if write.entity is not None:
                write_entity(db, write.entity)

    def get_entity(self, entity_id: str) -> EntityRecord | None:
        with self._lock:
            return read_entity(self._db, entity_id)

    def query_entities(
        self, name: str | None, operated_from: str | None, operated_to: str | None, offset: int, limit: int
    ) -> list[EntityRecord]:
        with self._lock:
            return query_entities(self._db, name, operated_from, operated_to, offset, limit)

    def purge(self, instance_id: str) -> bool:
        with self._transaction() as db:
            return _delete_instance(db, instance_id)


def _instance_from_row(columns: list[str], row: tuple[Any, ...]) -> Instance:
    values = dict(zip(columns, row, strict=True))
    values["retries"] = json.loads(values["retries"])
    return Instance(**values)


def _message_from_row(row: tuple[Any, ...]) -> Message:
    return Message(id=row[0], instance_id=row[1], kind=row[2], visible_at=row[3], body=json.loads(row[4]))


def _insert_message(db: sqlite3.Connection, message: NewMessage) -> None:
    db.execute(
        "INSERT INTO messages (instance_id, kind, visible_at, body) VALUES (?, ?, ?, ?)",
        (message.instance_id, message.kind, message.visible_at, json.dumps(message.body)),
    )


def _upsert_instance(db: sqlite3.Connection, instance: Instance) -> None:
    values = dict(instance.__dict__)
    values["retries"] = json.dumps(values["retries"])
    columns = list(values)
    db.execute(
        f"INSERT OR REPLACE INTO instances ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [values[c] for c in columns],
    )


def _append_history(db: sqlite3.Connection, instance_id: str, events: list[HistoryEvent], start: int) -> None:
    db.executemany(
        "INSERT INTO history (instance_id, position, event) VALUES (?, ?, ?)",
        [(instance_id, start + i, json.dumps(e)) for i, e in enumerate(events)],
    )


def _delete_instance(db: sqlite3.Connection, instance_id: str) -> bool:
    deleted = db.execute("DELETE FROM instances WHERE instance_id = ?", (instance_id,)).rowcount
    db.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))
    db.execute("DELETE FROM messages WHERE instance_id = ?", (instance_id,))
    # An entity's id (@name@key) purges the entity, as the extension's purge does.
    return bool(deleted) | delete_entity(db, instance_id)
