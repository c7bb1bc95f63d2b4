"""Storage queue triggers: poll each queue in Azurite and run the function once per message.

As the host's queue extension (``extensions.queues`` in host.json):

- Messages are fetched ``batchSize`` (16) at a time and run concurrently, hidden for 10 minutes while
  they run. An empty queue (or one not made yet) is polled again after a wait that doubles from
  100 ms up to ``maxPollingInterval``; a message found means the next poll is at once.
- Messages are base64 (``messageEncoding``, default ``base64``; ``none`` takes the text as it is). A
  message that is not valid base64 is moved to the poison queue without running the function.
- Success deletes the message. A failure makes it visible again after ``visibilityTimeout`` (0), and
  it is dequeued again with its dequeue count one higher; after ``maxDequeueCount`` (5) failed tries it
  is moved to ``<queue>-poison`` (its text unchanged; the poison queue is made on first use). A message
  dequeued with a count already over the limit goes to the poison queue without a run.
- The function gets ``func.QueueMessage`` (or the text as ``str``/``bytes``), with ``id``,
  ``dequeue_count``, ``insertion_time``, ``expiration_time``, ``time_next_visible`` and ``pop_receipt``;
  binding expressions see ``{queueTrigger}``, ``{id}``, ``{dequeueCount}`` ... and the properties of a
  JSON message.

Difference: the host renews the 10-minute visibility of a long run; devhost does not.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.functions import meta
from azure.storage.queue import QueueClient, QueueMessage

from .expressions import json_properties
from .invocation import decode_value
from .loops import FunctionLoops, Invoke
from .spec import TriggeredFunction

log = logging.getLogger("devhost.queues")

PROCESSING_VISIBILITY_S = 600
MIN_POLL_S = 0.1


@dataclass(frozen=True)
class QueueSettings:
    batch_size: int = 16
    max_dequeue_count: int = 5
    visibility_timeout_s: float = 0.0
    max_polling_interval_s: float = 2.0  # the host's is 1 minute; set it in host.json to match
    message_encoding: str = "base64"

    @classmethod
    def from_host_json(cls, host: dict[str, Any]) -> QueueSettings:
        queues = host.get("extensions", {}).get("queues", {})
        defaults = cls()
        return cls(
            batch_size=max(1, min(32, int(queues.get("batchSize", defaults.batch_size)))),
            max_dequeue_count=max(1, int(queues.get("maxDequeueCount", defaults.max_dequeue_count))),
            visibility_timeout_s=timespan_seconds(
                queues.get("visibilityTimeout"), defaults.visibility_timeout_s
            ),
            max_polling_interval_s=max(
                MIN_POLL_S,
                timespan_seconds(queues.get("maxPollingInterval"), defaults.max_polling_interval_s),
            ),
            message_encoding=str(queues.get("messageEncoding", defaults.message_encoding)).lower(),
        )


def timespan_seconds(value: Any, default: float) -> float:
    """A host.json TimeSpan ("00:00:02", "00:00:00.500") or milliseconds (a number)."""
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return float(value) / 1000
    parts = str(value).split(":")
    try:
        hours, minutes, seconds = (float(p) for p in ([*["0"] * (3 - len(parts)), *parts]))
    except ValueError:
        return default
    return hours * 3600 + minutes * 60 + seconds


class QueueTriggerListener(FunctionLoops):
    """One polling loop per queue-triggered function."""

    def __init__(self, functions: list[TriggeredFunction], settings: QueueSettings, invoke: Invoke) -> None:
        super().__init__(functions)
        self.settings = settings
        self._invoke = invoke
        self._poison_queues: dict[str, QueueClient] = {}

    async def _loop(self, function: TriggeredFunction) -> None:
        queue = self._queue(function)
        delay = MIN_POLL_S
        while True:
            try:
                messages = await asyncio.to_thread(self._receive, queue)
            except ResourceNotFoundError:
                messages = []  # not made yet: the app (or someone) makes it
            except AzureError as error:
                log.warning("Polling queue '%s' for '%s' failed: %s", queue.queue_name, function.name, error)
                messages = []
            if messages:
                delay = MIN_POLL_S
                await asyncio.gather(*(self._process(function, queue, m) for m in messages))
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.max_polling_interval_s)

    def _queue(self, function: TriggeredFunction) -> QueueClient:
        trigger = function.trigger
        assert trigger.connection is not None
        name = str(trigger.settings["queueName"])
        service = trigger.connection.queues()
        self._poison_queues[name] = service.get_queue_client(f"{name}-poison")
        return service.get_queue_client(name)

    def _receive(self, queue: QueueClient) -> list[QueueMessage]:
        pages = queue.receive_messages(
            messages_per_page=self.settings.batch_size, visibility_timeout=PROCESSING_VISIBILITY_S
        )
        return list(next(pages.by_page(), []))

    async def _process(self, function: TriggeredFunction, queue: QueueClient, message: QueueMessage) -> None:
        body = self._decode_body(message.content)
        if body is None:
            log.error(
                "Message %s on '%s' is not valid base64 (messageEncoding is base64): moved to '%s-poison'.",
                message.id,
                queue.queue_name,
                queue.queue_name,
            )
            await asyncio.to_thread(self._poison, queue, message)
            return
        if message.dequeue_count and message.dequeue_count > self.settings.max_dequeue_count:
            await asyncio.to_thread(self._poison, queue, message)
            return
        text = body.decode("utf-8", errors="replace")
        metadata = _trigger_metadata(message)
        argument = decode_value(function.trigger, meta.Datum(text, "string"), metadata)
        if function.trigger.wants is bytes:
            argument = body
        binding_data: dict[str, Any] = {
            **json_properties(text),
            "QueueTrigger": text,
            **{key: datum.value for key, datum in metadata.items()},
        }
        invocation_id = str(uuid.uuid4())
        try:
            await self._invoke(function, argument, binding_data, invocation_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "Executed 'Functions.%s' (Failed, Id=%s, dequeue count %s)",
                function.name,
                invocation_id,
                message.dequeue_count,
            )
            await asyncio.to_thread(self._release_or_poison, queue, message)
            return
        with contextlib.suppress(ResourceNotFoundError):
            await asyncio.to_thread(queue.delete_message, message.id, message.pop_receipt)

    def _decode_body(self, content: Any) -> bytes | None:
        raw = content if isinstance(content, str) else (content or b"").decode("utf-8", errors="replace")
        if self.settings.message_encoding == "none":
            return raw.encode()
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return None

    def _release_or_poison(self, queue: QueueClient, message: QueueMessage) -> None:
        if (message.dequeue_count or 0) >= self.settings.max_dequeue_count:
            self._poison(queue, message)
            return
        with contextlib.suppress(ResourceNotFoundError):
            queue.update_message(
                message.id,
                message.pop_receipt,
                visibility_timeout=int(self.settings.visibility_timeout_s),
            )

    def _poison(self, queue: QueueClient, message: QueueMessage) -> None:
        poison_name = f"{queue.queue_name}-poison"
        poison = self._poison_queues[queue.queue_name]
        with contextlib.suppress(ResourceExistsError):
            poison.create_queue()
        poison.send_message(message.content)
        with contextlib.suppress(ResourceNotFoundError):
            queue.delete_message(message.id, message.pop_receipt)
        log.warning(
            "Message %s has reached MaxDequeueCount of %d: moved to '%s'.",
            message.id,
            self.settings.max_dequeue_count,
            poison_name,
        )


def _trigger_metadata(message: QueueMessage) -> dict[str, meta.Datum]:
    def when(value: datetime | None) -> meta.Datum:
        return meta.Datum(value.isoformat() if value else None, "string" if value else None)

    return {
        "Id": meta.Datum(message.id, "string"),
        "DequeueCount": meta.Datum(int(message.dequeue_count or 0), "int"),
        "InsertionTime": when(message.inserted_on),
        "ExpirationTime": when(message.expires_on),
        "NextVisibleTime": when(message.next_visible_on),
        "PopReceipt": meta.Datum(message.pop_receipt, "string"),
    }
