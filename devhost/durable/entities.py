"""Durable entities: the batches the engine runs for ``@name@key`` ids, and the client operations.

An entity's requests are orchestration-kind messages addressed to its id, so the dispatcher picks
them up like an instance's work and never runs two batches of one entity at once: its operations
run one after another, in the order they arrived. A batch hands every visible request to the
entity function in one call, in the JSON the extension gives an out-of-process entity
(``{"self": {"name", "key"}, "exists", "state", "batch": [{"name", "input", "isSignal", "id"}]}``),
and takes back the SDK's ``EntityState`` (``entityExists``, ``entityState``, ``results`` with one
``{"isError", "result", ...}`` per request). The new state, the consumed requests and the answers to
callers are written in one transaction.

Locks (critical sections) do not exist here: the Python SDK has no ``lock`` API, so no Python app
can send a lock request (see ``docs/devhost.md``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .catalog import FunctionCatalog
from .entity_messages import (
    REQUEST_EVENT_NAME,
    EntityId,
    entity_not_found_message,
    request_message,
    request_to_entity,
    response_to_caller,
)
from .entity_store import EntityRecord, EntityWrite
from .history import EventType, format_timestamp
from .store import EpisodeWrite, Message, NewMessage, TaskHubStore

log = logging.getLogger("devhost.durable.entities")

# Requests handed to the entity function in one call (the extension's default batch limit is
# higher; this keeps one call's memory small on a developer's machine).
MAX_BATCH_SIZE = 100


class EntityRunner:
    def __init__(
        self, store: TaskHubStore, catalog: FunctionCatalog, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._clock = clock

    def run(self, entity_id: str) -> bool:
        """Run one batch of the entity's visible requests; True when a batch was taken."""
        now = self._clock()
        messages = self.store.visible_messages(entity_id, now.timestamp())[:MAX_BATCH_SIZE]
        if not messages:
            return False
        write = EpisodeWrite(consumed_message_ids=[m.id for m in messages])
        requests = [r for r in (_request_of(m) for m in messages) if r is not None]
        if requests:
            entity = EntityId.parse(entity_id)
            record = self.store.get_entity(entity_id)
            results, after = self._execute(entity, record, requests, now)
            write.entity = after
            write.new_messages = _answers(requests, results, now)
        self.store.commit(write)
        return True

    def _execute(
        self,
        entity: EntityId,
        record: EntityRecord | None,
        requests: list[dict[str, Any]],
        now: datetime,
    ) -> tuple[list[tuple[str, bool]], EntityWrite | None]:
        """The (result JSON, is error) of each request and the entity's row after the batch
        (None: unchanged)."""
        function = self.catalog.entities.get(entity.name)
        if function is None:
            log.warning("Requests to %s failed: the app has no entity '%s'", entity.scheduler_id, entity.name)
            message = entity_not_found_message(entity.name, self.catalog.entities)
            return _all_failed(requests, message), None
        context = {
            "self": entity.to_json(),
            "exists": record is not None,
            "state": record.state if record else None,
            "batch": [
                {
                    "name": r["op"],
                    "input": r.get("input"),
                    "isSignal": bool(r.get("signal")),
                    "id": r["id"],
                }
                for r in requests
            ],
        }
        try:
            answer = json.loads(function(json.dumps(context)))
            results = [(str(r["result"]), bool(r["isError"])) for r in answer["results"]]
            if len(results) != len(requests):
                raise ValueError(f"{len(results)} results for a batch of {len(requests)} operations")
        except Exception as error:  # the function itself failed: no operation took effect
            log.exception("Entity function '%s' failed on %s", entity.name, entity.scheduler_id)
            message = f"Entity function '{entity.name}' failed: {type(error).__name__}: {error}"
            return _all_failed(requests, message), None
        for request, (result, is_error) in zip(requests, results, strict=True):
            if is_error:
                log.warning(
                    "Entity %s: operation '%s' failed: %s", entity.scheduler_id, request["op"], _text(result)
                )
        if not answer.get("entityExists"):
            return results, EntityWrite(entity.scheduler_id, None)
        after = EntityRecord(
            entity_id=entity.scheduler_id,
            name=entity.name,
            key=entity.key,
            state=answer.get("entityState"),
            last_operation_time=format_timestamp(now),
        )
        return results, EntityWrite(entity.scheduler_id, after)


def _request_of(message: Message) -> dict[str, Any] | None:
    history_event = message.body.get("event", {})
    if (
        history_event.get("EventType") != EventType.EVENT_RAISED
        or history_event.get("Name") != REQUEST_EVENT_NAME
    ):
        log.warning("Dropped a message to entity %s that is not a request", message.instance_id)
        return None
    request: dict[str, Any] = json.loads(history_event["Input"])
    return request


def _text(result_json: str) -> str:
    """An operation's error message (the SDK answers it as a JSON string) for the log."""
    try:
        return str(json.loads(result_json))
    except ValueError:
        return result_json


def _all_failed(requests: list[dict[str, Any]], message: str) -> list[tuple[str, bool]]:
    return [(json.dumps(message), True) for _ in requests]


def _answers(
    requests: list[dict[str, Any]], results: list[tuple[str, bool]], now: datetime
) -> list[NewMessage]:
    """A response to every call (a signal has none; nor has a request without a caller)."""
    return [
        response_to_caller(request, result, is_error, now)
        for request, (result, is_error) in zip(requests, results, strict=True)
        if not request.get("signal") and request.get("parent")
    ]


class EntityClient:
    """What the durable client binding and the entity HTTP API do with entities."""

    def __init__(
        self,
        store: TaskHubStore,
        catalog: FunctionCatalog,
        clock: Callable[[], datetime],
        wake: Callable[[], None],
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._clock = clock
        self._wake = wake

    def signal(self, entity: EntityId, operation: str, input_json: str | None) -> str | None:
        """Queue a one-way operation; the refusal message when the entity function does not exist."""
        if entity.name not in self.catalog.entities:
            return entity_not_found_message(entity.name, self.catalog.entities)
        request = request_message(operation, input_json, signal=True)
        self.store.enqueue(request_to_entity(entity, request, self._clock()))
        self._wake()
        return None

    def read(self, entity: EntityId) -> EntityRecord | None:
        return self.store.get_entity(entity.scheduler_id)
