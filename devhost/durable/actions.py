"""The SDK's orchestrator answer: ``{"isDone", "actions", "output", "error", "customStatus"}``.

With replay schema V2 the SDK returns one flat, append-only list of every action the execution has
asked for so far; ``task_all``/``task_any`` appear as compound actions holding their children. Event
ids are handed out in the order the SDK itself counts them, so the flattening below must visit
actions exactly in that order and skip what takes no id (waiting for an external event).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ..function_calls import failure_kind

OUT_OF_PROC_ERROR_LABEL = "\n\n$OutOfProcData$:"


class ActionType(IntEnum):
    """Mirrors ``azure.durable_functions.models.actions.ActionType``."""

    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    WHEN_ANY = 11
    WHEN_ALL = 12


# Action types the engine refuses, with the words it refuses them in (none left: entities and
# call_http have schedulers).
UNSUPPORTED_ACTIONS: dict[ActionType, str] = {}


@dataclass(frozen=True)
class OrchestratorResult:
    is_done: bool
    actions: list[dict[str, Any]]
    output: Any
    error: str | None
    custom_status: Any

    @property
    def continue_as_new(self) -> dict[str, Any] | None:
        return next((a for a in self.actions if a["actionType"] == ActionType.CONTINUE_AS_NEW), None)


def parse_result(state_json: str) -> OrchestratorResult:
    state = json.loads(state_json)
    return OrchestratorResult(
        is_done=bool(state.get("isDone")),
        actions=flatten(state.get("actions", [])),
        output=state.get("output"),
        error=state.get("error"),
        custom_status=state.get("customStatus"),
    )


def parse_failure(exception: BaseException) -> OrchestratorResult:
    """An orchestrator that raised: the SDK appends its state JSON to the exception's message."""
    message = str(exception)
    if OUT_OF_PROC_ERROR_LABEL in message:
        error, state_json = message.split(OUT_OF_PROC_ERROR_LABEL, 1)
        try:
            state = parse_result(state_json)
        except ValueError:
            return OrchestratorResult(True, [], None, error, None)
        return OrchestratorResult(True, state.actions, None, error, state.custom_status)
    return OrchestratorResult(True, [], None, f"{failure_kind(exception)}: {message}", None)


def flatten(action_groups: list[Any]) -> list[dict[str, Any]]:
    """Atomic actions in the SDK's sequence-number order, without external-event waits."""
    atomic: list[dict[str, Any]] = []

    def visit(action: dict[str, Any]) -> None:
        action_type = action["actionType"]
        if action_type in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
            for child in action.get("compoundActions", []):
                visit(child)
        elif action_type != ActionType.WAIT_FOR_EXTERNAL_EVENT:
            atomic.append(action)

    for group in action_groups:
        for action in group if isinstance(group, list) else [group]:
            visit(action)
    return atomic
