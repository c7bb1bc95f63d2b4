"""The devhost's durable engine: the part of the Durable Functions extension that decides nothing.

The orchestrator code (through the real ``azure-functions-durable`` SDK) decides; this engine keeps
the task hub: it builds the history JSON the SDK replays (``episode.py``), turns the actions the SDK
answers into history events and messages (``scheduling.py``), runs activities, fires timers, delivers
external events, and does the retries of ``call_*_with_retry`` the way DTFx's RetryInterceptor does
(a durable timer between attempts, and one more after the last failed attempt, which the SDK waits
for). This module is the dispatcher and the client operations.

Work outside an orchestrator (``kind="activity"`` messages) is run by ``WORK_RUNNERS``, keyed by the
body's ``"work"`` type: a runner gets the message and answers the history event (``TaskCompleted``,
``TaskFailed``, ...) that is delivered to the orchestration that scheduled it. A new kind of work
registers its runner there and its scheduler in ``scheduling.SCHEDULERS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from ..function_calls import failure_details, failure_kind
from .catalog import ActivityNotFound, FunctionCatalog
from .entities import EntityRunner
from .entity_messages import is_entity_id
from .episode import EpisodeRunner, ReplayStats
from .history import NO_DETAILS, EventType, HistoryEvent, event
from .http_calls import HTTP_WORK, run_http_call
from .instances import execution_started, new_instance, orchestration_message
from .store import EpisodeWrite, Message, NewMessage, TaskHubStore

__all__ = ["ActivityNotFound", "ClientOutcome", "DurableEngine", "FunctionCatalog", "ReplayStats"]

log = logging.getLogger("devhost.durable")


class ClientOutcome(Enum):
    ACCEPTED = "accepted"
    NOT_FOUND = "not_found"
    GONE = "gone"
    CONFLICT = "conflict"
    INVALID = "invalid"


def utc_now() -> datetime:
    return datetime.now(UTC)


# A runner answers the completion event, or the work message that takes over (a later HTTP poll).
WorkRunner = Callable[["DurableEngine", Message], Awaitable[HistoryEvent | NewMessage]]


async def run_activity_work(engine: DurableEngine, message: Message) -> HistoryEvent:
    body = message.body
    name = body["name"]
    try:
        result = await engine.catalog.run_activity(name, body.get("input"))
        return event(EventType.TASK_COMPLETED, engine.now(), TaskScheduledId=body["taskId"], Result=result)
    except ActivityNotFound:
        return event(
            EventType.TASK_FAILED,
            engine.now(),
            TaskScheduledId=body["taskId"],
            Reason=f"The function '{name}' doesn't exist, is disabled, or is not an activity function.",
            Details=NO_DETAILS,
        )
    except Exception as error:  # an activity's failure is data for the orchestrator
        return event(
            EventType.TASK_FAILED,
            engine.now(),
            TaskScheduledId=body["taskId"],
            Reason=f"Activity function '{name}' failed: {failure_kind(error)}: {error}",
            Details=failure_details(error),
        )


# Message bodies written before the "work" field existed are activities.
WORK_RUNNERS: dict[str, WorkRunner] = {"activity": run_activity_work, HTTP_WORK: run_http_call}


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
        self._episodes = EpisodeRunner(store, catalog, clock)
        self._entities = EntityRunner(store, catalog, clock)
        self._episode_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="orchestrator")
        self._busy_instances: set[str] = set()
        self._running_activities: set[int] = set()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def replay_stats(self) -> dict[str, ReplayStats]:
        return self._episodes.replay_stats

    def now(self) -> datetime:
        return self._clock()

    def run_episode(self, instance_id: str) -> bool:
        # An entity's requests are messages to its @name@key id: one batch of them is its episode.
        if is_entity_id(instance_id):
            return self._entities.run(instance_id)
        return self._episodes.run(instance_id)

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
        self, name: str, instance_id: str | None, input_json: str | None, version: str | None = None
    ) -> tuple[ClientOutcome, str]:
        if name not in self.catalog.orchestrators:
            return ClientOutcome.NOT_FOUND, f"The function '{name}' doesn't exist or is not an orchestrator."
        if instance_id and instance_id.startswith("@"):
            # The extension's rule: such ids belong to entities (@name@key).
            return ClientOutcome.INVALID, "Orchestration instance ids must not start with @."
        instance_id = instance_id or uuid.uuid4().hex
        existing = self.store.get_instance(instance_id)
        if existing and not existing.is_terminal:
            return (
                ClientOutcome.CONFLICT,
                f"An orchestration instance with the ID '{instance_id}' is {existing.runtime_status}.",
            )
        now = self._clock()
        if version is None:
            version = self.catalog.default_version
        instance = new_instance(instance_id, name, input_json, now, version=version)
        started = execution_started(instance, now)
        self.store.commit(
            EpisodeWrite(
                delete_instance_id=instance_id if existing else None,
                instance=instance,
                new_messages=[orchestration_message(instance_id, started, now, instance.execution_id)],
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
        self.store.enqueue(orchestration_message(instance_id, history_event, self._clock()))
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
            for message in self.store.activity_messages(exclude=self._running_activities, now=now):
                if len(self._running_activities) >= self._max_activities:
                    break
                self._running_activities.add(message.id)
                self._spawn(self._run_work(message))
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

    async def _run_work(self, message: Message) -> None:
        """Run one piece of work and deliver its outcome to the orchestration that scheduled it."""
        runner = WORK_RUNNERS[message.body.get("work", "activity")]
        try:
            outcome = await runner(self, message)
            if not isinstance(outcome, NewMessage):
                outcome = orchestration_message(
                    message.instance_id, outcome, self._clock(), execution_id=message.body["executionId"]
                )
            self.store.complete_activity(message.id, outcome)
        finally:
            self._running_activities.discard(message.id)
            self.wake()
