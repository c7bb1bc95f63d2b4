"""The devhost's durable engine: the part of the Durable Functions extension that decides nothing.

The orchestrator code (through the real ``azure-functions-durable`` SDK) decides; this engine keeps
the task hub: it builds the history JSON the SDK replays, turns the actions the SDK answers into
history events and messages, runs activities, fires timers, delivers external events, and does the
retries of ``call_*_with_retry`` the way DTFx's RetryInterceptor does (a durable timer between
attempts, and one more after the last failed attempt, which the SDK waits for).

Event ids. The SDK numbers every task, timer and sub-orchestration it creates, in the order it
creates them while replaying, and matches completions by that number. The engine hands out the same
numbers by scheduling new actions in the SDK's order. Retries are the one place where the SDK creates
numbered tasks (the retry timer, the rescheduled attempt) in reaction to a history event rather than
as actions, so an episode starts with at most one such event, which the SDK handles before any user
code of the episode runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from .actions import UNSUPPORTED_ACTIONS, ActionType, OrchestratorResult, parse_failure, parse_result
from .history import EventType, HistoryEvent, completion_target, event, format_timestamp, is_failure
from .history import parse_timestamp as parse_history_timestamp
from .store import EpisodeWrite, Instance, Message, NewMessage, TaskHubStore

log = logging.getLogger("devhost.durable")

# Replay schema V2: one flat action list (azure.durable_functions.models.ReplaySchema.V2).
REPLAY_SCHEMA_VERSION = 1

OrchestratorFunction = Callable[[str], str]
ActivityFunction = Callable[[str | None], Awaitable[str]]


class ActivityNotFound(LookupError):
    pass


@dataclass
class ReplayStats:
    """How often an instance was replayed since this host started, and what it cost (for benchmarks)."""

    episodes: int = 0
    sdk_seconds: float = 0.0
    last_sdk_seconds: float = 0.0
    last_history_length: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "episodes": self.episodes,
            "sdkSeconds": self.sdk_seconds,
            "lastSdkSeconds": self.last_sdk_seconds,
            "lastHistoryLength": self.last_history_length,
        }


class ClientOutcome(Enum):
    ACCEPTED = "accepted"
    NOT_FOUND = "not_found"
    GONE = "gone"
    CONFLICT = "conflict"


@dataclass
class FunctionCatalog:
    """What the engine needs from the host: orchestrators by name (context JSON in, state JSON out)
    and a way to run an activity by name (input JSON in, result JSON out)."""

    orchestrators: dict[str, OrchestratorFunction]
    run_activity: Callable[[str, str | None], Awaitable[str]]
    activity_names: set[str] = field(default_factory=set)


def utc_now() -> datetime:
    return datetime.now(UTC)


class DurableEngine:
    def __init__(
        self,
        store: TaskHubStore,
        catalog: FunctionCatalog,
        max_concurrent_activities: int = 8,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._clock = clock
        self._max_activities = max_concurrent_activities
        self._episode_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="orchestrator")
        self._busy_instances: set[str] = set()
        self._running_activities: set[int] = set()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.replay_stats: dict[str, ReplayStats] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._dispatcher = asyncio.create_task(self._dispatch_forever(), name="durable-dispatcher")

    async def stop(self) -> None:
        if self._dispatcher:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._episode_pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        """Tell the dispatcher there is new work; safe from any thread."""
        if self._loop and self._wake:
            self._loop.call_soon_threadsafe(self._wake.set)

    # -- client operations (the durable client binding and the HTTP management API) -----------

    def start_new(
        self, name: str, instance_id: str | None, input_json: str | None
    ) -> tuple[ClientOutcome, str]:
        if name not in self.catalog.orchestrators:
            return ClientOutcome.NOT_FOUND, f"The function '{name}' doesn't exist or is not an orchestrator."
        instance_id = instance_id or uuid.uuid4().hex
        existing = self.store.get_instance(instance_id)
        if existing and not existing.is_terminal:
            return (
                ClientOutcome.CONFLICT,
                f"An orchestration instance with the ID '{instance_id}' is {existing.runtime_status}.",
            )
        now = self._clock()
        instance = self._new_instance(instance_id, name, input_json, now)
        started = self._execution_started(instance, now)
        self.store.commit(
            EpisodeWrite(
                delete_instance_id=instance_id if existing else None,
                instance=instance,
                new_messages=[self._orchestration_message(instance_id, started, now, instance.execution_id)],
            )
        )
        self.wake()
        return ClientOutcome.ACCEPTED, instance_id

    def raise_event(self, instance_id: str, event_name: str, data_json: str | None) -> ClientOutcome:
        return self._send_to_running(
            instance_id, event(EventType.EVENT_RAISED, self._clock(), Name=event_name, Input=data_json)
        )

    def terminate(self, instance_id: str, reason: str | None) -> ClientOutcome:
        return self._send_to_running(
            instance_id, event(EventType.EXECUTION_TERMINATED, self._clock(), Input=json.dumps(reason))
        )

    def suspend(self, instance_id: str, reason: str | None) -> ClientOutcome:
        return self._send_to_running(
            instance_id, event(EventType.EXECUTION_SUSPENDED, self._clock(), Reason=reason)
        )

    def resume(self, instance_id: str, reason: str | None) -> ClientOutcome:
        return self._send_to_running(
            instance_id, event(EventType.EXECUTION_RESUMED, self._clock(), Reason=reason)
        )

    def _send_to_running(self, instance_id: str, history_event: HistoryEvent) -> ClientOutcome:
        instance = self.store.get_instance(instance_id)
        if instance is None:
            return ClientOutcome.NOT_FOUND
        if instance.is_terminal:
            return ClientOutcome.GONE
        self.store.enqueue(self._orchestration_message(instance_id, history_event, self._clock()))
        self.wake()
        return ClientOutcome.ACCEPTED

    # -- dispatching ---------------------------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            now = self._clock().timestamp()
            for instance_id in self.store.instances_with_work(now):
                if instance_id not in self._busy_instances:
                    self._busy_instances.add(instance_id)
                    self._spawn(self._process_instance(instance_id))
            for message in self.store.activity_messages(exclude=self._running_activities):
                if len(self._running_activities) >= self._max_activities:
                    break
                self._running_activities.add(message.id)
                self._spawn(self._run_activity(message))
            next_due = self.store.next_visible_time(after=now)
            timeout = None if next_due is None else max(0.0, next_due - self._clock().timestamp())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process_instance(self, instance_id: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while await loop.run_in_executor(self._episode_pool, self.run_episode, instance_id):
                pass
        except Exception:
            log.exception("durable engine failed while processing instance %s", instance_id)
        finally:
            self._busy_instances.discard(instance_id)
            self.wake()

    async def _run_activity(self, message: Message) -> None:
        body = message.body
        name = body["name"]
        try:
            result = await self.catalog.run_activity(name, body.get("input"))
            outcome = event(
                EventType.TASK_COMPLETED, self._clock(), TaskScheduledId=body["taskId"], Result=result
            )
        except ActivityNotFound:
            outcome = event(
                EventType.TASK_FAILED,
                self._clock(),
                TaskScheduledId=body["taskId"],
                Reason=f"The function '{name}' doesn't exist, is disabled, or is not an activity function.",
                Details=None,
            )
        except Exception as error:  # an activity's failure is data for the orchestrator
            outcome = event(
                EventType.TASK_FAILED,
                self._clock(),
                TaskScheduledId=body["taskId"],
                Reason=f"Activity function '{name}' failed: {type(error).__name__}: {error}",
                Details="".join(traceback.format_exception(error)),
            )
        try:
            self.store.complete_activity(
                message.id,
                self._orchestration_message(
                    message.instance_id, outcome, self._clock(), execution_id=body["executionId"]
                ),
            )
        finally:
            self._running_activities.discard(message.id)
            self.wake()

    # -- one orchestration episode ---------------------------------------------------------------

    def run_episode(self, instance_id: str) -> bool:
        """Process the instance's visible messages; True when a step was taken (more may follow)."""
        now = self._clock()
        messages = self.store.visible_messages(instance_id, now.timestamp())
        if not messages:
            return False
        instance = self.store.get_instance(instance_id)
        write = EpisodeWrite()
        first = messages[0].body["event"]
        if first["EventType"] == EventType.EXECUTION_STARTED and (instance is None or instance.is_terminal):
            # A sub-orchestration's first message, or a new start of a finished instance id.
            write.delete_instance_id = instance_id if instance else None
            instance = self._instance_from_started(instance_id, first, now)
        if instance is None or instance.is_terminal:
            write.consumed_message_ids = [m.id for m in messages]
            self.store.commit(write)
            return True

        control = self._control_step(instance, messages, now)
        if control is not None:
            self.store.commit(control)
            return True
        if instance.runtime_status == "Suspended":
            return False

        write.instance = instance
        batch = self._take_batch(instance, messages, write)
        if batch:
            self._replay(instance, batch, now, write)
        self.store.commit(write)
        return True

    def _instance_from_started(self, instance_id: str, started: HistoryEvent, now: datetime) -> Instance:
        instance = self._new_instance(instance_id, started["Name"], started.get("Input"), now)
        instance.execution_id = started["OrchestrationInstance"]["ExecutionId"]
        parent = started.get("ParentInstance")
        if parent:
            instance.parent_instance_id = parent["OrchestrationInstance"]["InstanceId"]
            instance.parent_execution_id = parent["OrchestrationInstance"]["ExecutionId"]
            instance.parent_task_id = parent["TaskScheduledId"]
            instance.parent_name = parent["Name"]
        return instance

    def _control_step(
        self, instance: Instance, messages: list[Message], now: datetime
    ) -> EpisodeWrite | None:
        """Terminate, suspend and resume act at once, ahead of other work, as in the extension."""
        for message in messages:
            history_event = message.body["event"]
            event_type = history_event["EventType"]
            if event_type == EventType.EXECUTION_TERMINATED:
                reason = json.loads(history_event.get("Input") or "null")
                done = replace(
                    instance,
                    runtime_status="Terminated",
                    output=json.dumps(reason),
                    last_updated_time=format_timestamp(now),
                )
                write = EpisodeWrite(
                    instance=done,
                    append_history=[history_event],
                    consumed_message_ids=[m.id for m in messages],
                )
                write.new_messages.extend(self._notify_parent(done, failed_reason=f"Terminated: {reason}"))
                return write
            if event_type == EventType.EXECUTION_SUSPENDED and instance.runtime_status != "Suspended":
                suspended = replace(
                    instance, runtime_status="Suspended", last_updated_time=format_timestamp(now)
                )
                return EpisodeWrite(
                    instance=suspended, append_history=[history_event], consumed_message_ids=[message.id]
                )
            if event_type == EventType.EXECUTION_RESUMED:
                status = "Running" if instance.runtime_status == "Suspended" else instance.runtime_status
                resumed = replace(instance, runtime_status=status, last_updated_time=format_timestamp(now))
                return EpisodeWrite(
                    instance=resumed, append_history=[history_event], consumed_message_ids=[message.id]
                )
            if event_type == EventType.EXECUTION_SUSPENDED:
                return EpisodeWrite(consumed_message_ids=[message.id])
        return None

    def _take_batch(
        self, instance: Instance, messages: list[Message], write: EpisodeWrite
    ) -> list[HistoryEvent]:
        batch: list[HistoryEvent] = []
        for message in messages:
            history_event = message.body["event"]
            stale = message.body.get("executionId") not in (None, instance.execution_id)
            if stale:
                write.consumed_message_ids.append(message.id)
                continue
            if self._is_retry_step(instance, history_event) and batch:
                break  # a retry step must open its own episode (see the module docstring)
            write.consumed_message_ids.append(message.id)
            batch.append(history_event)
        return batch

    @staticmethod
    def _is_retry_step(instance: Instance, history_event: HistoryEvent) -> bool:
        target = completion_target(history_event)
        if target is None or str(target) not in instance.retries:
            return False
        return is_failure(history_event) or history_event["EventType"] == EventType.TIMER_FIRED

    def _replay(
        self, instance: Instance, batch: list[HistoryEvent], now: datetime, write: EpisodeWrite
    ) -> None:
        old_history = self.store.history(instance.instance_id)
        new_events = [event(EventType.ORCHESTRATOR_STARTED, now), *batch]
        if batch[0]["EventType"] == EventType.EXECUTION_STARTED:
            instance.runtime_status = "Running"
        outputs: list[HistoryEvent] = []
        self._advance_retries(instance, batch, now, outputs, write)

        result = self._call_orchestrator(instance, old_history, new_events)
        new_actions = result.actions[instance.actions_seen :]
        instance.actions_seen = len(result.actions)
        error = result.error
        for action in new_actions:
            unsupported = UNSUPPORTED_ACTIONS.get(ActionType(action["actionType"]))
            if unsupported and not error:
                error = f"devhost does not support {unsupported} yet; run this app with `func start`."
            if action["actionType"] != ActionType.CONTINUE_AS_NEW and not unsupported:
                self._schedule(instance, action, now, outputs, write)
            else:
                instance.next_event_id += 1  # the SDK numbers fire-and-forget actions too

        instance.custom_status = None if result.custom_status is None else json.dumps(result.custom_status)
        instance.last_updated_time = format_timestamp(now)
        outputs.append(event(EventType.ORCHESTRATOR_COMPLETED, now))

        if error:
            self._finish(instance, now, outputs, write, failed=self._failure_message(instance, error))
        elif result.is_done and result.continue_as_new is not None:
            self._continue_as_new(instance, result.continue_as_new.get("input"), now, write)
            return
        elif result.is_done:
            self._finish(instance, now, outputs, write, output=json.dumps(result.output))
        write.append_history = [*new_events, *outputs]

    def _call_orchestrator(
        self, instance: Instance, old_history: list[HistoryEvent], new_events: list[HistoryEvent]
    ) -> OrchestratorResult:
        orchestrator = self.catalog.orchestrators.get(instance.name)
        if orchestrator is None:
            return OrchestratorResult(
                True, [], None, f"The orchestrator '{instance.name}' does not exist.", None
            )
        history = [{**e, "IsPlayed": True} for e in old_history] + new_events
        context = {
            "history": history,
            "instanceId": instance.instance_id,
            "isReplaying": bool(old_history),
            "parentInstanceId": instance.parent_instance_id,
            "input": instance.input,
            "upperSchemaVersion": REPLAY_SCHEMA_VERSION,
        }
        stats = self.replay_stats.setdefault(instance.instance_id, ReplayStats())
        started = time.perf_counter()
        try:
            return parse_result(orchestrator(json.dumps(context)))
        except Exception as error:  # the orchestrator's own failure: it fails the instance
            return parse_failure(error)
        finally:
            elapsed = time.perf_counter() - started
            stats.episodes += 1
            stats.sdk_seconds += elapsed
            stats.last_sdk_seconds = elapsed
            stats.last_history_length = len(history)

    @staticmethod
    def _failure_message(instance: Instance, error: str) -> str:
        return f"Orchestrator function '{instance.name}' failed: {error.strip()}"

    # -- scheduling what the SDK asked for -----------------------------------------------------

    def _schedule(
        self,
        instance: Instance,
        action: dict[str, Any],
        now: datetime,
        outputs: list[HistoryEvent],
        write: EpisodeWrite,
    ) -> None:
        event_id = instance.next_event_id
        instance.next_event_id += 1
        action_type = action["actionType"]
        if action_type == ActionType.CREATE_TIMER:
            fire_at = parse_history_timestamp(action["fireAt"])
            self._create_timer(instance, event_id, fire_at, now, outputs, write)
            return
        if action_type in (ActionType.CALL_ACTIVITY_WITH_RETRY, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY):
            instance.retries[str(event_id)] = {"kind": "task", "attempt": 1, "action": action}
        self._schedule_task(instance, event_id, action, now, outputs, write)

    def _schedule_task(
        self,
        instance: Instance,
        event_id: int,
        action: dict[str, Any],
        now: datetime,
        outputs: list[HistoryEvent],
        write: EpisodeWrite,
    ) -> None:
        name = action["functionName"]
        if action["actionType"] in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
            outputs.append(
                event(EventType.TASK_SCHEDULED, now, event_id, Name=name, Input=action.get("input"))
            )
            write.new_messages.append(
                NewMessage(
                    instance_id=instance.instance_id,
                    kind="activity",
                    visible_at=now.timestamp(),
                    body={
                        "name": name,
                        "input": action.get("input"),
                        "taskId": event_id,
                        "executionId": instance.execution_id,
                    },
                )
            )
            return
        child_id = action.get("instanceId") or f"{instance.instance_id}:{event_id:04d}"
        outputs.append(
            event(
                EventType.SUB_ORCHESTRATION_INSTANCE_CREATED,
                now,
                event_id,
                Name=name,
                InstanceId=child_id,
                Input=action.get("input"),
            )
        )
        child = self._new_instance(child_id, name, action.get("input"), now)
        child.parent_instance_id = instance.instance_id
        child.parent_execution_id = instance.execution_id
        child.parent_task_id = event_id
        child.parent_name = instance.name
        started = self._execution_started(child, now)
        write.new_messages.append(self._orchestration_message(child_id, started, now, child.execution_id))

    def _create_timer(
        self,
        instance: Instance,
        event_id: int,
        fire_at: datetime,
        now: datetime,
        outputs: list[HistoryEvent],
        write: EpisodeWrite,
    ) -> None:
        fire_at_text = format_timestamp(fire_at)
        outputs.append(event(EventType.TIMER_CREATED, now, event_id, FireAt=fire_at_text))
        fired = event(EventType.TIMER_FIRED, fire_at, TimerId=event_id, FireAt=fire_at_text)
        write.new_messages.append(
            self._orchestration_message(
                instance.instance_id, fired, fire_at, execution_id=instance.execution_id
            )
        )

    def _advance_retries(
        self,
        instance: Instance,
        batch: list[HistoryEvent],
        now: datetime,
        outputs: list[HistoryEvent],
        write: EpisodeWrite,
    ) -> None:
        """Mirror what the SDK's RetryAbleTask does for the completions in this batch."""
        for history_event in batch:
            target = completion_target(history_event)
            record = instance.retries.pop(str(target), None) if target is not None else None
            if record is None:
                continue
            if record["kind"] == "task" and is_failure(history_event):
                timer_id = instance.next_event_id
                instance.next_event_id += 1
                delay = _retry_delay(record["action"].get("retryOptions", {}), record["attempt"])
                instance.retries[str(timer_id)] = {**record, "kind": "timer"}
                self._create_timer(instance, timer_id, now + delay, now, outputs, write)
            elif record["kind"] == "timer":
                options = record["action"].get("retryOptions", {})
                if record["attempt"] < int(options.get("maxNumberOfAttempts", 1)):
                    task_id = instance.next_event_id
                    instance.next_event_id += 1
                    instance.retries[str(task_id)] = {
                        **record,
                        "kind": "task",
                        "attempt": record["attempt"] + 1,
                    }
                    self._schedule_task(instance, task_id, record["action"], now, outputs, write)

    # -- the end of an execution ---------------------------------------------------------------

    def _finish(
        self,
        instance: Instance,
        now: datetime,
        outputs: list[HistoryEvent],
        write: EpisodeWrite,
        output: str | None = None,
        failed: str | None = None,
    ) -> None:
        status = "Failed" if failed is not None else "Completed"
        instance.runtime_status = status
        instance.output = json.dumps(failed) if failed is not None else output
        outputs.append(
            event(EventType.EXECUTION_COMPLETED, now, OrchestrationStatus=status, Result=instance.output)
        )
        write.new_messages.extend(self._notify_parent(instance, failed_reason=failed))

    def _notify_parent(self, instance: Instance, failed_reason: str | None) -> list[NewMessage]:
        if instance.parent_instance_id is None:
            return []
        now = self._clock()
        if failed_reason is not None:
            outcome = event(
                EventType.SUB_ORCHESTRATION_INSTANCE_FAILED,
                now,
                TaskScheduledId=instance.parent_task_id,
                Reason=failed_reason,
                Details=None,
            )
        else:
            outcome = event(
                EventType.SUB_ORCHESTRATION_INSTANCE_COMPLETED,
                now,
                TaskScheduledId=instance.parent_task_id,
                Result=instance.output,
            )
        return [
            self._orchestration_message(
                instance.parent_instance_id, outcome, now, execution_id=instance.parent_execution_id
            )
        ]

    def _continue_as_new(
        self, instance: Instance, input_json: str | None, now: datetime, write: EpisodeWrite
    ) -> None:
        """A new execution of the same instance: history starts again, messages not yet delivered
        (events raised meanwhile) go to the new execution."""
        fresh = replace(
            instance,
            execution_id=uuid.uuid4().hex,
            input=input_json,
            next_event_id=0,
            actions_seen=0,
            retries={},
            last_updated_time=format_timestamp(now),
        )
        write.instance = fresh
        write.replace_history = []
        started = self._execution_started(fresh, now)
        write.new_messages.append(
            self._orchestration_message(instance.instance_id, started, now, fresh.execution_id)
        )

    # -- building blocks -----------------------------------------------------------------------

    def _new_instance(self, instance_id: str, name: str, input_json: str | None, now: datetime) -> Instance:
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
        )

    @staticmethod
    def _execution_started(instance: Instance, now: datetime) -> HistoryEvent:
        started = event(
            EventType.EXECUTION_STARTED,
            now,
            Name=instance.name,
            Input=instance.input,
            Version="",
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

    @staticmethod
    def _orchestration_message(
        instance_id: str, history_event: HistoryEvent, visible_at: datetime, execution_id: str | None = None
    ) -> NewMessage:
        return NewMessage(
            instance_id=instance_id,
            kind="orchestration",
            visible_at=visible_at.timestamp(),
            body={"event": history_event, "executionId": execution_id},
        )


def _retry_delay(options: dict[str, Any], attempt: int) -> timedelta:
    """DTFx RetryOptions: first interval * backoff^(attempt-1), capped by the maximum interval."""
    first_ms = float(options.get("firstRetryIntervalInMilliseconds", 1000))
    backoff = float(options.get("backoffCoefficient", 1.0))
    delay_ms = first_ms * backoff ** (attempt - 1)
    if "maxRetryIntervalInMilliseconds" in options:
        delay_ms = min(delay_ms, float(options["maxRetryIntervalInMilliseconds"]))
    return timedelta(milliseconds=delay_ms)
