"""The Event Grid trigger's webhook, as the host's Event Grid extension serves it.

``/runtime/webhooks/eventgrid?functionName=<name>`` with the ``eventgrid_extension`` system key (or
the master key) as ``code`` or ``x-functions-key``; without it 401 and no body. Then, as the extension:

- ``functionName`` missing or not an Event Grid function: 404 ``cannot find function: '<name>'``.
- ``OPTIONS`` (the CloudEvents webhook validation): 200 with ``WebHook-Allowed-Origin``: the request's
  ``WebHook-Request-Origin`` when it is one of Event Grid's clouds, else ``eventgrid.azure.net``.
- ``aeg-event-type: SubscriptionValidation`` (Event Grid schema): 200
  ``{"validationResponse": <data.validationCode>}`` of the first event.
- ``aeg-event-type: Notification``: a JSON array of events (Event Grid schema or CloudEvents batch) or one
  object (a structured CloudEvent); the function runs once per event (``func.EventGridEvent``, or
  ``func.CloudEvent`` for an event with ``specversion``), all at once. 202 when every run succeeded, else
  500 with the first failure's message (Event Grid then delivers the whole request again).
- ``aeg-event-type: Unsubscribe``: 202; any other or none: 400.

``GET /admin/host/systemkeys/eventgrid_extension`` (master key) answers the key, as the host's admin API.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import web
from azure.functions import meta

from ..host_keys import EVENTGRID_SYSTEM_KEY, HostKeys
from .invocation import decode_value
from .loops import Invoke
from .spec import TriggeredFunction

WEBHOOK_PATH = "/runtime/webhooks/eventgrid"
EVENT_TYPE_HEADER = "aeg-event-type"
_CLOUD_ORIGINS = frozenset(
    {
        "eventgrid.azure.net",
        "eventgrid.azure.us",
        "eventgrid.azure.eaglex.ic.gov",
        "eventgrid.azure.microsoft.scloud",
        "eventgrid.azure.cn",
    }
)


class EventGridWebhook:
    def __init__(self, functions: list[TriggeredFunction], keys: HostKeys, invoke: Invoke) -> None:
        self.functions = {f.name: f for f in functions}
        self.keys = keys
        self._invoke = invoke

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", WEBHOOK_PATH, self.keys.require_eventgrid(self.handle))
        router.add_get(f"/admin/host/systemkeys/{EVENTGRID_SYSTEM_KEY}", self.keys.require_master(self._key))

    async def _key(self, request: web.Request) -> web.Response:
        return web.json_response({"name": EVENTGRID_SYSTEM_KEY, "value": self.keys.eventgrid})

    async def handle(self, request: web.Request) -> web.Response:
        requested = request.query.get("functionName", "")
        function = self.functions.get(requested)
        if function is None:
            return web.Response(status=404, text=f"cannot find function: '{requested}'")
        if request.method == "OPTIONS":
            origin = request.headers.get("WebHook-Request-Origin", "")
            allowed = origin if origin in _CLOUD_ORIGINS else "eventgrid.azure.net"
            return web.Response(status=200, headers={"WebHook-Allowed-Origin": allowed})
        event_type = request.headers.get(EVENT_TYPE_HEADER, "").lower()
        if event_type == "subscriptionvalidation":
            code = _validation_code(await _json_body(request))
            if code is None:
                return web.Response(status=400, text="The validation event carries no data.validationCode.")
            return web.json_response({"validationResponse": code})
        if event_type == "notification":
            body = await _json_body(request)
            if isinstance(body, dict):
                body = [body]
            if not isinstance(body, list) or not all(isinstance(e, dict) for e in body):
                return web.Response(
                    status=400, text="The request content should be a JSON object or an array of events."
                )
            return await self._deliver(function, body)
        if event_type == "unsubscribe":
            return web.Response(status=202)
        return web.Response(status=400)

    async def _deliver(self, function: TriggeredFunction, events: list[dict[str, Any]]) -> web.Response:
        runs = [self._run(function, event) for event in events]
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                return web.Response(status=500, text=f"Exception while executing function: {outcome}")
        return web.Response(status=202)

    async def _run(self, function: TriggeredFunction, event: dict[str, Any]) -> Any:
        argument = decode_value(function.trigger, meta.Datum(json.dumps(event), "json"))
        return await self._invoke(function, argument, {"data": event.get("data")}, str(uuid.uuid4()))


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except ValueError:
        return None


def _validation_code(body: Any) -> str | None:
    """``data.validationCode`` of the first event; a CloudEvent's data may come as a JSON string."""
    event = body[0] if isinstance(body, list) and body else body
    if not isinstance(event, dict):
        return None
    data = event.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    code = data.get("validationCode") if isinstance(data, dict) else None
    return str(code) if code is not None else None
