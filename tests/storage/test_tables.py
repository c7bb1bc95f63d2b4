"""TableRepository against a real Azurite: roundtrips, ETags, pagination, project isolation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from azure.data.tables import TableServiceClient

from shared.storage import (
    AlreadyExists,
    ConcurrencyConflict,
    InvalidCursor,
    NotFound,
    TableRepository,
)
from tests.storage.models import Agent, Status, Voice

PROJECT_A = "proj-a"
PROJECT_B = "proj-b"
CREATED = datetime(2025, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)


def make_agent(id: str = "agent-1", **fields: Any) -> Agent:
    # The model only accepts camelCase aliases by default; tests build it by field name.
    return Agent.model_validate(
        {"id": id, "name": f"Agent {id}", "created_at": CREATED, **fields}, by_name=True
    )


def test_create_then_get_returns_an_equal_entity_with_nested_fields_and_datetimes(
    agents: TableRepository[Agent],
) -> None:
    agent = make_agent(
        status=Status.PAUSED,
        turn_count=7,
        total_tokens=2**40,  # beyond Int32: stored as Int64
        description="Greets callers",
        voice=Voice.model_validate(
            {"provider": "azure", "voice_name": "en-US-Ava", "speed": 1.2}, by_name=True
        ),
        tool_ids=["weather", "calendar"],
        settings={"maxTurns": 12, "greeting": "Hallo, schön dich zu hören"},
        last_session_at=datetime(2025, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=2))),
    )

    created = agents.create(PROJECT_A, agent)
    stored = agents.get(PROJECT_A, "agent-1")

    assert stored.entity == agent
    assert stored.etag == created.etag
    assert stored.entity.created_at.tzinfo is not None
    assert type(stored.entity.created_at) is datetime
    assert stored.entity.last_session_at == datetime(2025, 3, 2, 6, 0, tzinfo=UTC)
    assert isinstance(stored.entity.voice, Voice)
    assert stored.entity.status is Status.PAUSED


def test_fields_left_unset_read_back_as_their_defaults(agents: TableRepository[Agent]) -> None:
    agents.create(PROJECT_A, make_agent())

    stored = agents.get(PROJECT_A, "agent-1").entity

    assert stored.description is None
    assert stored.voice is None
    assert stored.tool_ids == []
    assert stored.settings == {}


def test_naive_datetimes_are_stored_as_utc(agents: TableRepository[Agent]) -> None:
    agents.create(PROJECT_A, make_agent(created_at=datetime(2025, 1, 1, 9, 0)))

    assert agents.get(PROJECT_A, "agent-1").entity.created_at == datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def test_nested_models_are_stored_as_json_strings_with_field_names(agents: TableRepository[Agent]) -> None:
    voice = Voice.model_validate({"provider": "azure", "voice_name": "Ava"}, by_name=True)
    agents.create(PROJECT_A, make_agent(voice=voice, tool_ids=["a"]))

    raw = agents._client().get_entity(PROJECT_A, "agent-1")

    assert json.loads(raw["voice"]) == {"provider": "azure", "voice_name": "Ava", "speed": 1.0}
    assert json.loads(raw["tool_ids"]) == ["a"]
    assert raw["status"] == "active"
    assert "id" not in raw  # the id is the RowKey, not a second copy


def test_update_with_current_etag_replaces_the_entity_and_returns_a_new_etag(
    agents: TableRepository[Agent],
) -> None:
    created = agents.create(PROJECT_A, make_agent(description="old", tool_ids=["a"]))

    changed = created.entity.model_copy(update={"description": None, "tool_ids": ["b", "c"], "turn_count": 3})
    updated = agents.update(PROJECT_A, changed, created.etag)

    stored = agents.get(PROJECT_A, "agent-1")
    assert updated.etag != created.etag
    assert stored.etag == updated.etag
    assert stored.entity == changed
    assert stored.entity.description is None  # replace, not merge: the cleared field is gone


def test_update_with_stale_etag_raises_concurrency_conflict_and_leaves_entity_unchanged(
    agents: TableRepository[Agent],
) -> None:
    created = agents.create(PROJECT_A, make_agent(turn_count=1))
    first_writer = agents.update(PROJECT_A, make_agent(turn_count=2), created.etag)

    with pytest.raises(ConcurrencyConflict):
        agents.update(PROJECT_A, make_agent(turn_count=99), created.etag)

    stored = agents.get(PROJECT_A, "agent-1")
    assert stored.entity.turn_count == 2
    assert stored.etag == first_writer.etag


def test_update_of_missing_entity_raises_not_found(agents: TableRepository[Agent]) -> None:
    created = agents.create(PROJECT_A, make_agent())
    agents.delete(PROJECT_A, "agent-1")

    with pytest.raises(NotFound):
        agents.update(PROJECT_A, make_agent(), created.etag)


def test_create_twice_raises_already_exists_and_keeps_the_first(agents: TableRepository[Agent]) -> None:
    agents.create(PROJECT_A, make_agent(name="first"))

    with pytest.raises(AlreadyExists):
        agents.create(PROJECT_A, make_agent(name="second"))

    assert agents.get(PROJECT_A, "agent-1").entity.name == "first"


def test_upsert_inserts_then_replaces_without_an_etag(agents: TableRepository[Agent]) -> None:
    agents.upsert(PROJECT_A, make_agent(name="first"))
    agents.upsert(PROJECT_A, make_agent(name="second"))

    assert agents.get(PROJECT_A, "agent-1").entity.name == "second"


def test_get_of_missing_entity_raises_not_found(agents: TableRepository[Agent]) -> None:
    with pytest.raises(NotFound):
        agents.get(PROJECT_A, "nobody")


def test_delete_removes_the_entity_and_is_idempotent(agents: TableRepository[Agent]) -> None:
    agents.create(PROJECT_A, make_agent())

    agents.delete(PROJECT_A, "agent-1")
    agents.delete(PROJECT_A, "agent-1")

    with pytest.raises(NotFound):
        agents.get(PROJECT_A, "agent-1")


def test_delete_with_stale_etag_raises_concurrency_conflict_and_keeps_the_entity(
    agents: TableRepository[Agent],
) -> None:
    created = agents.create(PROJECT_A, make_agent())
    current = agents.update(PROJECT_A, make_agent(turn_count=5), created.etag)

    with pytest.raises(ConcurrencyConflict):
        agents.delete(PROJECT_A, "agent-1", etag=created.etag)
    agents.delete(PROJECT_A, "agent-1", etag=current.etag)

    with pytest.raises(NotFound):
        agents.get(PROJECT_A, "agent-1")


def test_pagination_visits_every_entity_exactly_once_in_three_pages(agents: TableRepository[Agent]) -> None:
    ids = {f"agent-{n:02d}" for n in range(25)}
    for id in ids:
        agents.create(PROJECT_A, make_agent(id))

    seen: list[str] = []
    page_sizes: list[int] = []
    cursor: str | None = None
    while True:
        page = agents.list_page(PROJECT_A, page_size=10, cursor=cursor)
        seen += [agent.id for agent in page.items]
        page_sizes.append(len(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break

    assert page_sizes == [10, 10, 5]
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_list_page_applies_a_filter_with_parameters_within_the_partition(
    agents: TableRepository[Agent],
) -> None:
    agents.create(PROJECT_A, make_agent("a1", status=Status.PAUSED))
    agents.create(PROJECT_A, make_agent("a2"))
    agents.create(PROJECT_B, make_agent("b1", status=Status.PAUSED))

    page = agents.list_page(PROJECT_A, 10, filter="status eq @status", parameters={"status": "paused"})

    assert [agent.id for agent in page.items] == ["a1"]
    assert page.next_cursor is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "eyJwIjoicHJvai1hIn0",  # valid base64 JSON but missing the continuation keys
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_tampered_cursor_raises_invalid_cursor(agents: TableRepository[Agent], cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        agents.list_page(PROJECT_A, page_size=10, cursor=cursor)


def test_edited_cursor_raises_invalid_cursor(agents: TableRepository[Agent]) -> None:
    for n in range(3):
        agents.create(PROJECT_A, make_agent(f"agent-{n}"))
    cursor = agents.list_page(PROJECT_A, page_size=2).next_cursor
    assert cursor is not None

    with pytest.raises(InvalidCursor):
        agents.list_page(PROJECT_A, page_size=2, cursor=cursor[:-3] + "!!!")


def test_cursor_from_one_project_is_refused_in_another(agents: TableRepository[Agent]) -> None:
    for n in range(3):
        agents.create(PROJECT_A, make_agent(f"agent-{n}"))
    cursor = agents.list_page(PROJECT_A, page_size=2).next_cursor
    assert cursor is not None

    with pytest.raises(InvalidCursor):
        agents.list_page(PROJECT_B, page_size=2, cursor=cursor)


def test_same_id_in_two_projects_are_two_separate_entities(agents: TableRepository[Agent]) -> None:
    agents.create(PROJECT_A, make_agent("shared-id", name="A's agent"))
    agents.create(PROJECT_B, make_agent("shared-id", name="B's agent"))

    assert agents.get(PROJECT_A, "shared-id").entity.name == "A's agent"
    assert agents.get(PROJECT_B, "shared-id").entity.name == "B's agent"

    agents.delete(PROJECT_A, "shared-id")
    assert agents.get(PROJECT_B, "shared-id").entity.name == "B's agent"


def test_listing_a_project_never_returns_another_projects_entities(agents: TableRepository[Agent]) -> None:
    for n in range(4):
        agents.create(PROJECT_A, make_agent(f"a-{n}"))
        agents.create(PROJECT_B, make_agent(f"b-{n}"))

    listed = agents.list_page(PROJECT_A, page_size=100)

    assert sorted(agent.id for agent in listed.items) == [f"a-{n}" for n in range(4)]


@pytest.mark.parametrize("bad", ["a/b", "a\\b", "a#b", "a?b", "a\tb", "a\x7fb", ""])
def test_bad_keys_raise_value_error_before_any_request(agents: TableRepository[Agent], bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid"):
        agents.create(bad, make_agent())
    with pytest.raises(ValueError, match="Invalid id"):
        agents.create(PROJECT_A, make_agent(bad))
    with pytest.raises(ValueError, match="Invalid partition"):
        agents.get(bad, "agent-1")
    with pytest.raises(ValueError, match="Invalid"):
        agents.list_page(bad, 10)

    assert agents._table is None  # nothing was sent: not even the table was created


@pytest.mark.parametrize("bad", ["ab", "1agents", "agents-x", "tables", "a" * 64])
def test_bad_table_names_are_rejected(tables: TableServiceClient, bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid table name"):
        TableRepository(tables, bad, Agent)


def test_page_size_outside_the_service_limits_is_rejected(agents: TableRepository[Agent]) -> None:
    with pytest.raises(ValueError, match="page_size"):
        agents.list_page(PROJECT_A, page_size=0)
    with pytest.raises(ValueError, match="page_size"):
        agents.list_page(PROJECT_A, page_size=1001)


def test_upsert_all_writes_a_partitions_rows_in_transactions_of_at_most_100(
    agents: TableRepository[Agent],
) -> None:
    batch = [make_agent(f"batch-{index:03d}", turn_count=index) for index in range(150)]
    agents.upsert_all(PROJECT_A, batch)
    agents.upsert_all(PROJECT_A, [make_agent("batch-000", name="Renamed")])
    agents.upsert_all(PROJECT_A, [])
    stored = {agent.id: agent for agent in agents.list_all(PROJECT_A) if agent.id.startswith("batch-")}
    assert len(stored) == 150
    assert stored["batch-000"].name == "Renamed" and stored["batch-149"].turn_count == 149
