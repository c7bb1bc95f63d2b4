"""The ``entities`` table of the task hub: one row per entity that exists, its state and last operation.

Written in the same transaction as the batch's consumed requests and its responses
(``EpisodeWrite.entity``, applied by ``TaskHubStore.commit``), so a crash never applies a batch
twice or loses one. An entity that does not exist (never created, or deleted by an operation) has
no row, as the extension deletes an idle entity without state.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

ENTITY_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    entity_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT,
    last_operation_time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_by_name ON entities (name, key);
"""


@dataclass(frozen=True)
class EntityRecord:
    entity_id: str
    name: str
    key: str
    state: str | None  # the JSON text the SDK answered as ``entityState``
    last_operation_time: str


@dataclass(frozen=True)
class EntityWrite:
    """The entity's row after a batch: ``record`` None deletes it (the entity no longer exists)."""

    entity_id: str
    record: EntityRecord | None


def write_entity(db: sqlite3.Connection, write: EntityWrite) -> None:
    if write.record is None:
        delete_entity(db, write.entity_id)
        return
    record = write.record
    db.execute(
        "INSERT OR REPLACE INTO entities (entity_id, name, key, state, last_operation_time) "
        "VALUES (?, ?, ?, ?, ?)",
        (record.entity_id, record.name, record.key, record.state, record.last_operation_time),
    )


def delete_entity(db: sqlite3.Connection, entity_id: str) -> bool:
    return bool(db.execute("DELETE FROM entities WHERE entity_id = ?", (entity_id,)).rowcount)


def read_entity(db: sqlite3.Connection, entity_id: str) -> EntityRecord | None:
    row = db.execute(
        "SELECT entity_id, name, key, state, last_operation_time FROM entities WHERE entity_id = ?",
        (entity_id,),
    ).fetchone()
    return EntityRecord(*row) if row else None


def query_entities(
    db: sqlite3.Connection,
    name: str | None,
    operated_from: str | None,
    operated_to: str | None,
    offset: int,
    limit: int,
) -> list[EntityRecord]:
    """Entities by name (lower case) and last operation time (timestamps in the store's format)."""
    clauses: list[str] = []
    args: list[Any] = []
    if name:
        clauses.append("name = ?")
        args.append(name)
    if operated_from:
        clauses.append("last_operation_time >= ?")
        args.append(operated_from)
    if operated_to:
        clauses.append("last_operation_time <= ?")
        args.append(operated_to)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.execute(
        "SELECT entity_id, name, key, state, last_operation_time FROM entities "
        f"{where} ORDER BY name, key LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    return [EntityRecord(*row) for row in rows]
