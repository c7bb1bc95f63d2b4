"""Turning the SDK's new actions into history events and messages, and the retries DTFx does.

``SCHEDULERS`` is the extension point for a new action type: map its ``ActionType`` to a function
that, given the episode ``Step`` and the event id the SDK gave the action, appends the "scheduled"
history event to ``step.outputs`` and the work to ``step.write.new_messages``. Work done outside the
orchestrator (an activity, an HTTP call) is a ``kind="activity"`` message whose body carries a
``"work"`` type; the engine's ``WORK_RUNNERS`` runs it and turns its outcome into the completion
event (see ``engine.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .actions import ActionType
from .catalog import FunctionCatalog
from .entity_messages import schedule_entity_operation
from .history import EventType, HistoryEvent, completion_target, event, format_timestamp, is_failure
from .history import parse_timestamp as parse_history_timestamp
from .http_calls import schedule_http_call
from .instances import execution_started, new_instance, orchestration_message
from .store import EpisodeWrite, Instance, NewMessage


@dataclass
class Step:
    """One episode of one instance: what it appends to history and what it writes."""

    instance: Instance
    now: datetime
    write: EpisodeWrite
    outputs: list[HistoryEvent] = field(default_factory=list)
    # What the app defines, for schedulers that check the function an action names.
    catalog: FunctionCatalog | None = None

    def work_message(self, work: str, body: dict[str, Any]) -> NewMessage:
        """Work for the engine's ``WORK_RUNNERS[work]``; its completion comes back to this execution."""
        return NewMessage(
            instance_id=self.instance.instance_id,
            kind="activity",
            visible_at=self.now.timestamp(),
            body={**body, "work": work, "executionId": self.instance.execution_id},
        )


Scheduler = Callable[[Step, int, dict[str, Any]], None]


class ActionRefused(Exception):
    """An action the extension refuses while it replays the orchestrator's actions (a call to an
    entity the app does not define): the orchestration fails with this message."""


def schedule_action(step: Step, action: dict[str, Any]) -> None:
    """Give the action the SDK's next event id and schedule it."""
    event_id = step.instance.next_event_id
    step.instance.next_event_id += 1
    SCHEDULERS[ActionType(action["actionType"])](step, event_id, action)


def schedule_timer(step: Step, event_id: int, action: dict[str, Any]) -> None:
    create_timer(step, event_id, parse_history_timestamp(action["fireAt"]))


def schedule_with_retry(step: Step, event_id: int, action: dict[str, Any]) -> None:
    step.instance.retries[str(event_id)] = {"kind": "task", "attempt": 1, "action": action}
    schedule_task(step, event_id, action)


def schedule_task(step: Step, event_id: int, action: dict[str, Any]) -> None:
    if action["actionType"] in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
        schedule_activity(step, event_id, action)
    else:
        schedule_sub_orchestration(step, event_id, action)


def schedule_activity(step: Step, event_id: int, action: dict[str, Any]) -> None:
    name = action["functionName"]
    step.outputs.append(
        event(EventType.TASK_SCHEDULED, step.now, event_id, Name=name, Input=action.get("input"))
    )
    step.write.new_messages.append(
        step.work_message("activity", {"name": name, "input": action.get("input"), "taskId": event_id})
    )


def schedule_sub_orchestration(step: Step, event_id: int, action: dict[str, Any]) -> None:
    instance, now = step.instance, step.now
    name = action["functionName"]
    child_id = action.get("instanceId") or f"{instance.instance_id}:{event_id:04d}"
    step.outputs.append(
        event(
            EventType.SUB_ORCHESTRATION_INSTANCE_CREATED,
            now,
            event_id,
            Name=name,
            InstanceId=child_id,
            Input=action.get("input"),
        )
    )
    child = new_instance(child_id, name, action.get("input"), now, version=action.get("version") or "")
    child.parent_instance_id = instance.instance_id
    child.parent_execution_id = instance.execution_id
    child.parent_task_id = event_id
    child.parent_name = instance.name
    started = execution_started(child, now)
    step.write.new_messages.append(orchestration_message(child_id, started, now, child.execution_id))


def create_timer(step: Step, event_id: int, fire_at: datetime) -> None:
    fire_at_text = format_timestamp(fire_at)
    step.outputs.append(event(EventType.TIMER_CREATED, step.now, event_id, FireAt=fire_at_text))
    fired = event(EventType.TIMER_FIRED, fire_at, TimerId=event_id, FireAt=fire_at_text)
    instance = step.instance
    step.write.new_messages.append(
        orchestration_message(instance.instance_id, fired, fire_at, execution_id=instance.execution_id)
    )


SCHEDULERS: dict[ActionType, Scheduler] = {
    ActionType.CALL_ACTIVITY: schedule_task,
    ActionType.CALL_SUB_ORCHESTRATOR: schedule_task,
    ActionType.CALL_ACTIVITY_WITH_RETRY: schedule_with_retry,
    ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY: schedule_with_retry,
    ActionType.CREATE_TIMER: schedule_timer,
    ActionType.CALL_HTTP: schedule_http_call,
    ActionType.CALL_ENTITY: schedule_entity_operation,
    ActionType.SIGNAL_ENTITY: schedule_entity_operation,
}


# -- retries -------------------------------------------------------------------------------------


def is_retry_step(instance: Instance, history_event: HistoryEvent) -> bool:
    target = completion_target(history_event)
    if target is None or str(target) not in instance.retries:
        return False
    return is_failure(history_event) or history_event["EventType"] == EventType.TIMER_FIRED


def advance_retries(step: Step, batch: list[HistoryEvent]) -> None:
    """Mirror what the SDK's RetryAbleTask does for the completions in this batch."""
    instance = step.instance
    for history_event in batch:
        target = completion_target(history_event)
        record = instance.retries.pop(str(target), None) if target is not None else None
        if record is None:
            continue
        if record["kind"] == "task" and is_failure(history_event):
            timer_id = instance.next_event_id
            instance.next_event_id += 1
            delay = retry_delay(record["action"].get("retryOptions", {}), record["attempt"])
            instance.retries[str(timer_id)] = {**record, "kind": "timer"}
            create_timer(step, timer_id, step.now + delay)
        elif record["kind"] == "timer":
            options = record["action"].get("retryOptions", {})
            if record["attempt"] < int(options.get("maxNumberOfAttempts", 1)):
                task_id = instance.next_event_id
                instance.next_event_id += 1
                instance.retries[str(task_id)] = {**record, "kind": "task", "attempt": record["attempt"] + 1}
                schedule_task(step, task_id, record["action"])


def retry_delay(options: dict[str, Any], attempt: int) -> timedelta:
    """DTFx RetryOptions: first interval * backoff^(attempt-1), capped by the maximum interval."""
    first_ms = float(options.get("firstRetryIntervalInMilliseconds", 1000))
    backoff = float(options.get("backoffCoefficient", 1.0))
    delay_ms = first_ms * backoff ** (attempt - 1)
    if "maxRetryIntervalInMilliseconds" in options:
        delay_ms = min(delay_ms, float(options["maxRetryIntervalInMilliseconds"]))
    return timedelta(milliseconds=delay_ms)
