"""The end of an execution: completed or failed (telling a parent orchestration), or continued as
a new execution of the same instance."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime

from .history import NO_DETAILS, EventType, HistoryEvent, event, format_timestamp
from .instances import execution_started, orchestration_message
from .scheduling import Step
from .store import Instance, NewMessage


def failure_message(instance: Instance, error: str) -> str:
    return f"Orchestrator function '{instance.name}' failed: {error.strip()}"


def finish(step: Step, output: str | None = None, failed: str | None = None) -> None:
    instance = step.instance
    status = "Failed" if failed is not None else "Completed"
    instance.runtime_status = status
    instance.output = json.dumps(failed) if failed is not None else output
    step.outputs.append(
        event(EventType.EXECUTION_COMPLETED, step.now, OrchestrationStatus=status, Result=instance.output)
    )
    step.write.new_messages.extend(notify_parent(instance, step.now, failed_reason=failed))


def notify_parent(instance: Instance, now: datetime, failed_reason: str | None) -> list[NewMessage]:
    if instance.parent_instance_id is None:
        return []
    if failed_reason is not None:
        outcome = event(
            EventType.SUB_ORCHESTRATION_INSTANCE_FAILED,
            now,
            TaskScheduledId=instance.parent_task_id,
            Reason=failed_reason,
            Details=NO_DETAILS,
        )
    else:
        outcome = event(
            EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED,
            now,
            TaskScheduledId=instance.parent_task_id,
            Result=instance.output,
        )
    return [
        orchestration_message(
            instance.parent_instance_id, outcome, now, execution_id=instance.parent_execution_id
        )
    ]


def continue_as_new(step: Step, input_json: str | None) -> tuple[Instance, HistoryEvent]:
    """A new execution of the same instance: history starts again, messages not yet delivered
    (events raised meanwhile) go to the new execution. Answers the new execution and its
    ``ExecutionStarted``, which the caller runs in the same episode (see ``EpisodeRunner``)."""
    fresh = replace(
        step.instance,
        execution_id=uuid.uuid4().hex,
        input=input_json,
        next_event_id=0,
        actions_seen=0,
        retries={},
        last_updated_time=format_timestamp(step.now),
    )
    step.write.instance = fresh
    step.write.replace_history = []
    return fresh, execution_started(fresh, step.now)


def start_later(step: Step, fresh: Instance, started: HistoryEvent) -> None:
    """The new execution's start as a message of its own: its first run is an episode of its own."""
    step.write.new_messages.append(
        orchestration_message(fresh.instance_id, started, step.now, fresh.execution_id)
    )
