"""What the stand-in sends: callback CloudEvents to the app's callback URL, ``IncomingCall`` as Event Grid.

Callbacks are POSTed as Call Automation posts them: a JSON array of one CloudEvent 1.0 (``type`` =
``Microsoft.Communication.<Event>``, ``source`` and ``subject`` = ``calling/callConnections/<id>``),
its ``data`` the published event (``callConnectionId``, ``serverCallId``, ``correlationId``,
``operationContext``, ``resultInformation``, ``version``, ``publicEventType`` and the event's own
fields), with ``Authorization: Bearer <JWT>``. ``IncomingCall`` goes out in the Event Grid schema (an
array of one event, ``aeg-event-type: Notification``), tried again (twice) when it is not answered
2xx, as Event Grid retries. Each call's deliveries go one at a time, in order; a callback that fails
is logged and recorded, not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from .callback_tokens import CallbackSigner

log = logging.getLogger("devhost.acs")

EVENT_PREFIX = "Microsoft.Communication."
DELIVERY_TIMEOUT_S = 30.0
# Event Grid retries a delivery that failed (no 2xx); its schedule starts at 10 s, 30 s, 1 min: the
# stand-in keeps the behaviour on a shorter one. Callbacks are not retried.
EVENT_GRID_RETRY_DELAYS_S = (1.0, 3.0)
# The topic a system topic on the stand-in's resource would name.
TOPIC = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/devhost/providers/"
    "Microsoft.Communication/communicationServices/devhost-acs"
)

# resultInformation of the events. Published (Call Automation's "Gather user input" event codes and
# its reason codes): 0 completed, 8508 canceled, 8545 speech matched, 8510 initial silence; 8565 is the
# cognitive-services failure code. The transfer codes and the messages not in those tables are the
# stand-in's own wording.
COMPLETED = {"code": 200, "subCode": 0, "message": "Action completed successfully."}
CANCELED = {"code": 400, "subCode": 8508, "message": "Action failed, the operation was canceled."}
SPEECH_RECOGNIZED = {"code": 200, "subCode": 8545, "message": "Action completed, speech option matched."}
INITIAL_SILENCE = {"code": 400, "subCode": 8510, "message": "Action failed, initial silence timeout reached."}
NO_VOICE = {
    "code": 400,
    "subCode": 8565,
    "message": "Action failed, bad request to cognitive services: the text source names no voice or locale.",
}
TRANSFER_ACCEPTED = {"code": 202, "subCode": 0, "message": "The transfer operation completed successfully."}
TRANSFER_FAILED = {
    "code": 480,
    "subCode": 0,
    "message": "The transfer target did not answer.",
    "sipDetails": {"code": 480, "message": "Temporarily Unavailable"},
}
CALL_ENDED = {"code": 0, "subCode": 0, "message": "The conversation has ended."}


def phone_identifier(number: str) -> dict[str, Any]:
    """A phone number as the CommunicationIdentifierModel the service and the SDK use."""
    return {"kind": "phoneNumber", "rawId": f"4:{number}", "phoneNumber": {"value": number}}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def callback_event(
    event: str,
    call_connection_id: str,
    server_call_id: str,
    correlation_id: str,
    version: str,
    fields: dict[str, Any],
) -> dict[str, Any]:
    event_type = EVENT_PREFIX + event
    source = f"calling/callConnections/{call_connection_id}"
    data = {
        **fields,
        "version": version,
        "callConnectionId": call_connection_id,
        "serverCallId": server_call_id,
        "correlationId": correlation_id,
        "publicEventType": event_type,
    }
    return {
        "id": str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "data": data,
        "time": _now(),
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "subject": source,
    }


def incoming_call_event(
    caller: dict[str, Any],
    callee: dict[str, Any],
    server_call_id: str,
    caller_display_name: str,
    incoming_call_context: str,
    correlation_id: str,
) -> dict[str, Any]:
    """The Event Grid event ACS publishes for a call to one of its numbers."""
    return {
        "id": str(uuid.uuid4()),
        "topic": TOPIC,
        "subject": f"/caller/{caller['rawId']}/recipient/{callee['rawId']}",
        "data": {
            "to": callee,
            "from": caller,
            "serverCallId": server_call_id,
            "callerDisplayName": caller_display_name,
            "incomingCallContext": incoming_call_context,
            "correlationId": correlation_id,
        },
        "eventType": EVENT_PREFIX + "IncomingCall",
        "dataVersion": "1.0",
        "metadataVersion": "1",
        "eventTime": _now(),
    }


@dataclass
class Outgoing:
    """One POST: ``record`` is the call's entry for it, which gets the answer's status (or the error)."""

    url: str
    events: list[dict[str, Any]]
    event_grid: bool
    record: dict[str, Any] = field(default_factory=dict)


class Deliverer:
    """Posts each call's events in order, one worker per call."""

    def __init__(self, signer: CallbackSigner) -> None:
        self.signer = signer
        self._session: aiohttp.ClientSession | None = None
        self._queues: dict[str, asyncio.Queue[Outgoing | None]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        for queue in self._queues.values():
            queue.put_nowait(None)
        if self._workers:
            _done, pending = await asyncio.wait(self._workers, timeout=5)
            for task in pending:
                task.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def send(self, call_key: str, outgoing: Outgoing) -> None:
        queue = self._queues.get(call_key)
        if queue is None:
            queue = self._queues[call_key] = asyncio.Queue()
            worker = asyncio.get_running_loop().create_task(self._work(queue))
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        queue.put_nowait(outgoing)

    async def _work(self, queue: asyncio.Queue[Outgoing | None]) -> None:
        while (outgoing := await queue.get()) is not None:
            attempts = 1 + (len(EVENT_GRID_RETRY_DELAYS_S) if outgoing.event_grid else 0)
            for attempt in range(attempts):
                if attempt:
                    await asyncio.sleep(EVENT_GRID_RETRY_DELAYS_S[attempt - 1])
                outgoing.record["attempts"] = attempt + 1
                outgoing.record.setdefault("postedAt", time.time())  # epoch s: benchmarks/phone_turn.py
                if await self._attempt(outgoing, attempt):
                    break

    async def _attempt(self, outgoing: Outgoing, attempt: int) -> bool:
        """One POST; True when it was answered 2xx. The answer (or the error) goes to the record."""
        try:
            status = await self._post(outgoing, attempt)
        except (aiohttp.ClientError, TimeoutError) as error:
            outgoing.record.update(status=None, error=repr(error))
            log.warning("ACS stand-in: POST %s failed: %r", outgoing.url, error)
            return False
        except Exception as error:  # a worker must outlive one bad delivery
            outgoing.record.update(status=None, error=repr(error))
            log.exception("ACS stand-in: delivering to %s failed", outgoing.url)
            return False
        outgoing.record["status"] = status
        outgoing.record.pop("error", None)
        return 200 <= status < 300

    async def _post(self, outgoing: Outgoing, attempt: int) -> int:
        if self._session is None:
            raise RuntimeError("the deliverer is not started")
        headers = {"Content-Type": "application/json"}
        if outgoing.event_grid:
            headers.update(
                {
                    "aeg-event-type": "Notification",
                    "aeg-subscription-name": "DEVHOST-ACS-INCOMING-CALL",
                    "aeg-delivery-count": str(attempt),
                    "aeg-data-version": "1.0",
                    "aeg-metadata-version": "1",
                }
            )
        else:
            headers["Authorization"] = f"Bearer {self.signer.token()}"
        async with self._session.post(
            outgoing.url,
            json=outgoing.events,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_S),
        ) as response:
            with contextlib.suppress(aiohttp.ClientError):
                await response.read()
            if not 200 <= response.status < 300:
                log.warning("ACS stand-in: %s answered %s", outgoing.url, response.status)
            return response.status
