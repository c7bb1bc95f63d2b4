"""Building blocks every part of the engine shares: a new instance row, its ExecutionStarted event,
and the message that carries a history event to an orchestration instance."""

from __future__ import annotations

import uuid
from datetime import datetime

from .history import EventType, HistoryEvent, event, format_timestamp
from .store import Instance, NewMessage


def new_instance(
    instance_id: str, name: str, input_json: str | None, now: datetime, version: str = ""
) -> Instance:
    stamp = format_timestamp(now)
    return Instance(
        instance_id=instance_id,
        name=name,
        execution_id=uuid.uuid4().hex,
        runtime_status="Pending",
        input=input_json,
        output=None,
        custom_status=None,
        created_time=stamp,
        last_updated_time=stamp,
        version=version,
    )


def instance_from_started(instance_id: str, started: HistoryEvent, now: datetime) -> Instance:
    """The instance a sub-orchestration's (or a restarted id's) first message describes."""
    instance = new_instance(
        instance_id, started["Name"], started.get("Input"), now, version=started.get("Version") or ""
    )
    instance.execution_id = started["OrchestrationInstance"]["ExecutionId"]
    parent = started.get("ParentInstance")
    if parent:
        instance.parent_instance_id = parent["OrchestrationInstance"]["InstanceId"]
        instance.parent_execution_id = parent["OrchestrationInstance"]["ExecutionId"]
        instance.parent_task_id = parent["TaskScheduledId"]
        instance.parent_name = parent["Name"]
    return instance


def execution_started(instance: Instance, now: datetime) -> HistoryEvent:
    started = event(
        EventType.EXECUTION_STARTED,
        now,
        Name=instance.name,
        Input=instance.input,
        Version=instance.version,
        OrchestrationInstance={"InstanceId": instance.instance_id, "ExecutionId": instance.execution_id},
    )
    if instance.parent_instance_id is not None:
        started["ParentInstance"] = {
            "Name": instance.parent_name,
            "TaskScheduledId": instance.parent_task_id,
            "OrchestrationInstance": {
                "InstanceId": instance.parent_instance_id,
                "ExecutionId": instance.parent_execution_id,
            },
        }
    return started


def orchestration_message(
    instance_id: str, history_event: HistoryEvent, visible_at: datetime, execution_id: str | None = None
) -> NewMessage:
    return NewMessage(
        instance_id=instance_id,
        kind="orchestration",
        visible_at=visible_at.timestamp(),
        body={"event": history_event, "executionId": execution_id},
    )
