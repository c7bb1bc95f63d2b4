"""Entity ids and the messages between orchestrations, clients and entities, in the extension's JSON.

An entity is addressed by its scheduler id, ``@{name in lower case}@{key}`` (what the Python SDK's
``EntityId.get_scheduler_id`` makes and puts in its entity actions). An operation request is an
``EventRaised`` named ``"op"`` sent to that id, whose input is the extension's ``RequestMessage``
JSON (``op``, ``signal``, ``input``, ``id``, ``parent``). An orchestration that sends one records an
``EventSent`` with the SDK's event id and that JSON (the SDK reads the request ``id`` from it); the
answer to a call is an ``EventRaised`` named by the request id whose input is a ``ResponseMessage``
(``result``, and ``exceptionType`` when the operation failed).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .actions import ActionType
from .history import EventType, HistoryEvent, event
from .instances import orchestration_message
from .store import NewMessage

if TYPE_CHECKING:
    from .scheduling import Step

REQUEST_EVENT_NAME = "op"
# The extension's rule for entity keys (DurableClient: "Entity keys must not contain ...").
_INVALID_KEY = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")


class InvalidEntityId(ValueError):
    pass


@dataclass(frozen=True)
class EntityId:
    name: str  # lower case, as in the scheduler id: entity names are case-insensitive
    key: str

    @classmethod
    def of(cls, name: str, key: str) -> EntityId:
        if not name:
            raise InvalidEntityId("The entity name must not be empty.")
        if _INVALID_KEY.search(key):
            raise InvalidEntityId("Entity keys must not contain /, \\, #, ?, or control characters.")
        return cls(name.lower(), key)

    @classmethod
    def parse(cls, scheduler_id: str) -> EntityId:
        name, separator, key = scheduler_id[1:].partition("@")
        if not scheduler_id.startswith("@") or not separator or not name:
            raise InvalidEntityId(f"'{scheduler_id}' is not an entity id (@name@key).")
        return cls(name.lower(), key)

    @property
    def scheduler_id(self) -> str:
        return f"@{self.name}@{self.key}"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "key": self.key}


def entity_not_found_message(name: str, known: Iterable[str]) -> str:
    """The extension's words (GetInvalidEntityFunctionMessage) for an entity the app does not define."""
    names = "', '".join(sorted(known))
    info = f"The following are the known entity functions: '{names}'." if names else (
        "No entity functions are currently registered!"
    )
    return (
        f"The function '{name}' doesn't exist, is disabled, or is not an entity function. "
        f"Additional info: {info}"
    )


def is_entity_id(instance_id: str) -> bool:
    """Entities own the ids of the form ``@name@key`` (a name of at least one character);
    orchestration ids never start with ``@``."""
    return instance_id.startswith("@") and instance_id.find("@", 1) > 1


def request_message(
    operation: str,
    input_json: str | None,
    signal: bool,
    parent_instance_id: str | None = None,
    parent_execution_id: str | None = None,
) -> dict[str, Any]:
    """The extension's RequestMessage; unset fields are left out, as its serializer does."""
    request: dict[str, Any] = {"op": operation, "id": str(uuid.uuid4())}
    if signal:
        request["signal"] = True
    if input_json is not None:
        request["input"] = input_json
    if parent_instance_id is not None:
        request["parent"] = parent_instance_id
        request["parentExecution"] = parent_execution_id
    return request


def request_to_entity(entity: EntityId, request: dict[str, Any], now: datetime) -> NewMessage:
    requested = event(EventType.EVENT_RAISED, now, Name=REQUEST_EVENT_NAME, Input=json.dumps(request))
    return orchestration_message(entity.scheduler_id, requested, now)


def response_to_caller(
    request: dict[str, Any], result_json: str, is_error: bool, now: datetime
) -> NewMessage:
    """The answer to a call, delivered to the execution of the orchestration that made it."""
    response: dict[str, Any] = {"result": result_json}
    if is_error:
        response["exceptionType"] = "Error"  # what the extension puts for an out-of-process failure
    answered = event(EventType.EVENT_RAISED, now, Name=request["id"], Input=json.dumps(response))
    return orchestration_message(
        request["parent"], answered, now, execution_id=request.get("parentExecution")
    )


def schedule_entity_operation(step: Step, event_id: int, action: dict[str, Any]) -> None:
    """``call_entity`` / ``signal_entity`` from an orchestrator: an ``EventSent`` in its history and
    the request on its way to the entity.

    The SDK's action input is already JSON text (``df_dumps``); the extension serializes that string
    once more into the request, and the SDK's ``get_input`` decodes both layers.
    """
    from .scheduling import ActionRefused  # scheduling imports this module

    instance = step.instance
    entity = EntityId.parse(action["instanceId"])
    if step.catalog is not None and entity.name not in step.catalog.entities:
        # As the extension: the orchestrator fails at the call, not the entity.
        raise ActionRefused(entity_not_found_message(entity.name, step.catalog.entities))
    input_text = action.get("input")
    request = request_message(
        action["operation"],
        None if input_text is None else json.dumps(input_text),
        signal=action["actionType"] == ActionType.SIGNAL_ENTITY,
        parent_instance_id=instance.instance_id,
        parent_execution_id=instance.execution_id,
    )
    sent: HistoryEvent = event(
        EventType.EVENT_SENT,
        step.now,
        event_id,
        InstanceId=entity.scheduler_id,
        Name=REQUEST_EVENT_NAME,
        Input=json.dumps(request),
    )
    step.outputs.append(sent)
    step.write.new_messages.append(request_to_entity(entity, request, step.now))
