"""One orchestration episode: take the instance's visible messages, replay the orchestrator through
the SDK with the new events, schedule the actions it newly asked for, and write it all at once.

Event ids. The SDK numbers every task, timer and sub-orchestration it creates, in the order it
creates them while replaying, and matches completions by that number. The engine hands out the same
numbers by scheduling new actions in the SDK's order. Retries are the one place where the SDK creates
numbered tasks (the retry timer, the rescheduled attempt) in reaction to a history event rather than
as actions, so an episode starts with at most one such event, which the SDK handles before any user
code of the episode runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .actions import UNSUPPORTED_ACTIONS, ActionType, OrchestratorResult, parse_failure, parse_result
from .catalog import FunctionCatalog
from .completion import continue_as_new, failure_message, finish, notify_parent, start_later
from .history import EventType, HistoryEvent, event, format_timestamp
from .instances import instance_from_started
from .scheduling import SCHEDULERS, ActionRefused, Step, advance_retries, is_retry_step, schedule_action
from .store import EpisodeWrite, Instance, Message, TaskHubStore

# Replay schema V2: one flat action list (azure.durable_functions.models.ReplaySchema.V2).
REPLAY_SCHEMA_VERSION = 1


@dataclass
class ReplayStats:
    """How often an instance was replayed since this host started, and what it cost (for benchmarks).
    ``episodes`` are work items (each one checkpoint of the task hub); ``invocations`` are runs of the
    orchestrator function, one more than the episodes' count where an execution continued as new."""

    episodes: int = 0
    invocations: int = 0
    sdk_seconds: float = 0.0
    last_sdk_seconds: float = 0.0
    last_history_length: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "episodes": self.episodes,
            "invocations": self.invocations,
            "sdkSeconds": self.sdk_seconds,
            "lastSdkSeconds": self.last_sdk_seconds,
            "lastHistoryLength": self.last_history_length,
        }


class EpisodeRunner:
    def __init__(
        self, store: TaskHubStore, catalog: FunctionCatalog, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._clock = clock
        self.replay_stats: dict[str, ReplayStats] = {}

    def run(self, instance_id: str) -> bool:
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
            instance = instance_from_started(instance_id, first, now)
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
            self.replay_stats.setdefault(instance_id, ReplayStats()).episodes += 1
            history = self.store.history(instance_id)
            self._replay(Step(instance, now, write, catalog=self.catalog), history, batch)
        self.store.commit(write)
        return True

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
                write.new_messages.extend(notify_parent(done, now, failed_reason=f"Terminated: {reason}"))
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

    @staticmethod
    def _take_batch(
        instance: Instance, messages: list[Message], write: EpisodeWrite
    ) -> list[HistoryEvent]:
        batch: list[HistoryEvent] = []
        for message in messages:
            history_event = message.body["event"]
            stale = message.body.get("executionId") not in (None, instance.execution_id)
            if stale:
                write.consumed_message_ids.append(message.id)
                continue
            if is_retry_step(instance, history_event) and batch:
                break  # a retry step must open its own episode (see the module docstring)
            write.consumed_message_ids.append(message.id)
            batch.append(history_event)
        return batch

    def _replay(
        self, step: Step, old_history: list[HistoryEvent], batch: list[HistoryEvent], continued: bool = False
    ) -> None:
        instance, now = step.instance, step.now
        new_events = [event(EventType.ORCHESTRATOR_STARTED, now), *batch]
        if batch[0]["EventType"] == EventType.EXECUTION_STARTED:
            instance.runtime_status = "Running"
        advance_retries(step, batch)

        result = self._call_orchestrator(instance, old_history, new_events)
        new_actions = result.actions[instance.actions_seen :]
        instance.actions_seen = len(result.actions)
        error = result.error
        for action in new_actions:
            action_type = ActionType(action["actionType"])
            # Registering a scheduler for an action type (scheduling.SCHEDULERS) is what serves it.
            unsupported = None if action_type in SCHEDULERS else UNSUPPORTED_ACTIONS.get(action_type)
            if unsupported and not error:
                error = f"devhost does not support {unsupported} yet; run this app with `func start`."
            if action_type != ActionType.CONTINUE_AS_NEW and not unsupported:
                try:
                    schedule_action(step, action)
                except ActionRefused as refused:
                    error = error or str(refused)
                    break  # as the extension's replay: nothing after the refused action is scheduled
            else:
                instance.next_event_id += 1  # the SDK numbers fire-and-forget actions too

        instance.custom_status = None if result.custom_status is None else json.dumps(result.custom_status)
        instance.last_updated_time = format_timestamp(now)
        step.outputs.append(event(EventType.ORCHESTRATOR_COMPLETED, now))

        if error:
            finish(step, failed=failure_message(instance, error))
        elif result.is_done and result.continue_as_new is not None:
            fresh, started = continue_as_new(step, result.continue_as_new.get("input"))
            if continued:  # it continued at once again: its next run waits for a work item of its own
                start_later(step, fresh, started)
                return
            # The new execution's first run belongs to this work item, as in DurableTask.Core's
            # orchestration dispatcher (``while (continuedAsNew)``): one checkpoint, no extra dispatch.
            self._replay(Step(fresh, now, step.write, catalog=self.catalog), [], [started], continued=True)
            return
        elif result.is_done:
            finish(step, output=json.dumps(result.output))
        step.write.append_history = [*new_events, *step.outputs]

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
            stats.invocations += 1
            stats.sdk_seconds += elapsed
            stats.last_sdk_seconds = elapsed
            stats.last_history_length = len(history)
