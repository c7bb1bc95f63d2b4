"""How the host calls an orchestrator or an activity, the same in the host process and in a worker
process (``worker_processes.py``): the trigger's JSON decoded as the Python worker decodes it, the
function called, its result encoded."""

from __future__ import annotations

import asyncio
import inspect
import traceback
import uuid
from dataclasses import dataclass
from typing import Any

from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter, OrchestrationTriggerConverter
from azure.functions.durable_functions import EnitityTriggerConverter as EntityTriggerConverter

from .app_loader import DurableFunction


@dataclass(frozen=True)
class InvocationContext:
    """What the worker passes to a parameter named ``context`` (``azure.functions.Context``)."""

    invocation_id: str
    function_name: str
    function_directory: str
    trace_context: Any = None
    retry_context: Any = None


class WorkerFailure(Exception):
    """A function that raised in a worker process, as text: any exception type crosses the boundary."""

    def __init__(self, type_name: str, message: str, details: str) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.details = details


def failure_kind(error: BaseException) -> str:
    """The name of the exception's type, also for one raised in a worker process."""
    return error.type_name if isinstance(error, WorkerFailure) else type(error).__name__


def failure_details(error: BaseException) -> str:
    """The traceback, also for one raised in a worker process."""
    return error.details if isinstance(error, WorkerFailure) else "".join(traceback.format_exception(error))


def orchestrate(function: DurableFunction, context_json: str) -> str:
    """One run of an orchestrator: the SDK's context JSON in, its state JSON out."""
    context = OrchestrationTriggerConverter.decode(
        meta.Datum(type="json", value=context_json), trigger_metadata=None
    )
    result: str = function.user_function(**{function.trigger_param: context})
    return result


def run_entity(function: DurableFunction, context_json: str) -> str:
    """One batch of an entity's operations: the SDK's batch context JSON in, its EntityState JSON out
    (the SDK's entity handler runs the whole batch synchronously)."""
    context = EntityTriggerConverter.decode(
        meta.Datum(type="json", value=context_json), trigger_metadata=None
    )
    result: str = function.user_function(**{function.trigger_param: context})
    return result


def activity_arguments(function: DurableFunction, input_json: str | None, app_dir: str) -> dict[str, Any]:
    """The trigger parameter (and ``context``) of an activity; storage bindings are the host's."""
    argument = ActivityTriggerConverter.decode(
        meta.Datum(type="json", value=input_json if input_json is not None else "null"), trigger_metadata=None
    )
    kwargs: dict[str, Any] = {function.trigger_param: argument}
    if function.accepts_context:
        kwargs["context"] = InvocationContext(uuid.uuid4().hex, function.name, app_dir)
    return kwargs


def activity_output(result: Any) -> str:
    return str(ActivityTriggerConverter.encode(result, expected_type=None).value)


def call_activity(function: DurableFunction, input_json: str | None, app_dir: str) -> str:
    """An activity without storage bindings, start to end, on the calling thread."""
    kwargs = activity_arguments(function, input_json, app_dir)
    result = function.user_function(**kwargs)
    if inspect.isawaitable(result):
        result = asyncio.run(_awaited(result))
    return activity_output(result)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
