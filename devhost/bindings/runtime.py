"""The bindings and triggers of one app, as the host (``server.py``) uses them."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..app_loader import FunctionIndex, read_host_json
from ..host_keys import HostKeys
from .blob_trigger import BlobTriggerListener
from .event_grid import EventGridWebhook
from .invocation import BindingIO
from .queue_trigger import QueueSettings, QueueTriggerListener
from .spec import TriggeredFunction

log = logging.getLogger("devhost.bindings")
# Why the host ran a function, in its log line's words.
_REASONS = {
    "queueTrigger": "New queue message detected on '{queueName}'.",
    "blobTrigger": "New blob detected({path}).",
    "eventGridTrigger": "EventGrid trigger fired",
}

# The host's call of a user function: (function, keyword arguments, invocation id) -> its result.
CallTriggered = Callable[[TriggeredFunction, dict[str, Any], str], Awaitable[Any]]


class BindingRuntime:
    def __init__(self, index: FunctionIndex, keys: HostKeys, call: CallTriggered) -> None:
        self.index = index
        self.settings = QueueSettings.from_host_json(read_host_json(index.app_dir))
        self._call = call
        by_kind: dict[str, list[TriggeredFunction]] = {}
        for function in index.triggered.values():
            by_kind.setdefault(function.trigger.binding_type, []).append(function)
        self.queues = QueueTriggerListener(by_kind.get("queueTrigger", []), self.settings, self.invoke)
        self.blobs = BlobTriggerListener(
            by_kind.get("blobTrigger", []), self.settings, self.invoke, index.app_dir
        )
        self.event_grid = EventGridWebhook(by_kind.get("eventGridTrigger", []), keys, self.invoke)

    def io_for(self, user_function: Any) -> BindingIO | None:
        """The input/output bindings of an HTTP function or an activity, if it has any."""
        bindings = self.index.bindings.get(user_function)
        if bindings is None or (not bindings.inputs and not bindings.outputs):
            return None
        return BindingIO(bindings, self.settings.message_encoding)

    def register(self, router: web.UrlDispatcher) -> None:
        if self.event_grid.functions:
            self.event_grid.register(router)

    def start(self) -> None:
        self.queues.start()
        self.blobs.start()

    async def stop(self) -> None:
        await self.queues.stop()
        await self.blobs.stop()

    async def invoke(
        self, function: TriggeredFunction, argument: Any, binding_data: dict[str, Any], invocation_id: str
    ) -> Any:
        """Run a triggered function with its bindings: inputs read, the call, outputs written."""
        reason = _REASONS[function.trigger.binding_type].format(**function.trigger.settings)
        log.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", function.name, reason, invocation_id)
        started = time.monotonic()
        io = BindingIO(function.bindings, self.settings.message_encoding)
        kwargs = {function.trigger.name: argument, **await io.prepare(binding_data)}
        result = await self._call(function, kwargs, invocation_id)
        await io.complete(kwargs, result, binding_data)
        log.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)",
            function.name,
            invocation_id,
            (time.monotonic() - started) * 1000,
        )
        return result
