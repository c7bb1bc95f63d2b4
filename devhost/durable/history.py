"""History events in the JSON shape the Durable Functions extension hands to the Python SDK.

The SDK reads these fields (``EventType``, ``EventId``, ``IsPlayed``, ``Timestamp`` and the
per-type fields such as ``TaskScheduledId`` or ``Result``); everything else is for people reading
history through the management API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

HistoryEvent = dict[str, Any]

# A failure event's Details when there is no stack to give. Never None: the SDK raises
# Exception(f"{Reason} \n {Details}"), and the host's failures never end in " \n None".
NO_DETAILS = ""


class EventType(IntEnum):
    """Mirrors ``azure.durable_functions.models.history.HistoryEventType`` (DTFx numbering)."""

    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_INSTANCE_CREATED = 7
    SUB_ORCHESTRATION_INSTANCE_COMPLETED = 8
    SUB_ORCHESTRATION_INSTANCE_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    GENERIC_EVENT = 17
    HISTORY_STATE = 18
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


# The SDK formats datetimes this way (azure.durable_functions.constants.DATETIME_STRING_FORMAT).
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def query_timestamp(text: str) -> str:
    """A time filter from a query string as the task hub's timestamp text (UTC, fixed width, so it
    compares as an instant); ValueError when it is no date. An unencoded "+" arrives as a space."""
    return format_timestamp(parse_timestamp(text.replace(" ", "+")))


def event(event_type: EventType, timestamp: datetime, event_id: int = -1, **fields: Any) -> HistoryEvent:
    return {
        "EventType": int(event_type),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": format_timestamp(timestamp),
        **fields,
    }


def completion_target(history_event: HistoryEvent) -> int | None:
    """The event id of the scheduled task or timer that this event completes, if any."""
    event_type = history_event["EventType"]
    if event_type in (
        EventType.TASK_COMPLETED,
        EventType.TASK_FAILED,
        EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED,
        EventType.SUB_ORCHESTRATION_INSTANCE_FAILED,
    ):
        return int(history_event["TaskScheduledId"])
    if event_type == EventType.TIMER_FIRED:
        return int(history_event["TimerId"])
    return None


def is_failure(history_event: HistoryEvent) -> bool:
    return history_event["EventType"] in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_INSTANCE_FAILED)


_FUNCTION_NAME_EVENTS = {
    EventType.EXECUTION_STARTED,
    EventType.TASK_COMPLETED,
    EventType.TASK_FAILED,
    EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED,
    EventType.SUB_ORCHESTRATION_INSTANCE_FAILED,
}
_HIDDEN_IN_API = {
    EventType.ORCHESTRATOR_STARTED,
    EventType.ORCHESTRATOR_COMPLETED,
    EventType.TASK_SCHEDULED,
    EventType.SUB_ORCHESTRATION_INSTANCE_CREATED,
}


def format_for_api(history: list[HistoryEvent], show_output: bool) -> list[dict[str, Any]]:
    """History as the Durable HTTP API shows it: scheduling events folded into their completions
    (``FunctionName`` and ``ScheduledTime``), replay bookkeeping left out, event types by name."""

    scheduled = {
        e["EventId"]: e
        for e in history
        if e["EventType"] in (EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_INSTANCE_CREATED)
    }
    shown: list[dict[str, Any]] = []
    for raw in history:
        event_type = EventType(raw["EventType"])
        if event_type in _HIDDEN_IN_API:
            continue
        item: dict[str, Any] = {"EventType": _pascal(event_type), "Timestamp": raw["Timestamp"]}
        target = completion_target(raw)
        if event_type == EventType.EXECUTION_STARTED:
            item["FunctionName"] = raw.get("Name")
            if raw.get("Version"):
                item["Version"] = raw["Version"]
        elif target is not None and event_type != EventType.TIMER_FIRED:
            origin = scheduled.get(target, {})
            item["FunctionName"] = origin.get("Name")
            item["ScheduledTime"] = origin.get("Timestamp")
        for key in ("Name", "FireAt", "TimerId", "Reason", "Details", "OrchestrationStatus"):
            if key in raw and key not in item and event_type not in _FUNCTION_NAME_EVENTS:
                item[key] = raw[key]
        if "Reason" in raw:
            item["Reason"] = raw["Reason"]
            item["Details"] = raw.get("Details")
        if show_output:
            for key in ("Result", "Input"):
                if raw.get(key) is not None:
                    item[key] = _maybe_json(raw[key])
        shown.append(item)
    return shown


def _pascal(event_type: EventType) -> str:
    return "".join(part.capitalize() for part in event_type.name.split("_"))


def _maybe_json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
