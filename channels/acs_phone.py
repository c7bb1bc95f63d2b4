"""The phone channel's triggers (ACS Call Automation, turn mode): thin edges over ``shared/phone``.

- ``acs_incoming_call``: the Event Grid trigger ACS's ``IncomingCall`` is delivered to (the host answers
  Event Grid's subscription validation itself, at ``/runtime/webhooks/eventgrid?functionName=``):
  the call is answered as a session of the agent its number is bound to, or rejected
  (``shared.phone.inbound``).
- ``POST /runtime/acs/callbacks/{callId}?secret=``: Call Automation's callback events for one call,
  checked and turned into the session's commands (``shared.phone.callbacks``).

A sip session's replies go back to the call through ``shared.phone.transport``.
"""

from __future__ import annotations

import asyncio
import json
import logging

import azure.durable_functions as df
import azure.functions as func

from api.endpoint import DurableClient
from shared.phone.acs_client import call_automation_client
from shared.phone.callbacks import handle_callbacks
from shared.phone.inbound import CALLBACK_ROUTE, INCOMING_CALL_EVENT, CallAnswerer, IncomingCall
from shared.platform import get_platform

log = logging.getLogger("omniagent.phone")

bp = df.Blueprint()


@bp.function_name("acs_incoming_call")
@bp.event_grid_trigger(arg_name="event")
@bp.durable_client_input(client_name="client")
async def acs_incoming_call(event: func.EventGridEvent, client: df.DurableOrchestrationClient) -> None:
    durable = DurableClient(client, asyncio.get_running_loop())
    await asyncio.to_thread(_take_call, event.event_type, event.get_json(), durable)


def _take_call(event_type: str, data: object, durable: DurableClient) -> None:
    if event_type != INCOMING_CALL_EVENT:
        log.info("Event Grid event %s ignored", event_type)
        return
    call = IncomingCall.from_event(data)
    if call is None:
        log.warning("IncomingCall without caller, callee or context ignored")
        return
    platform = get_platform()
    connection_string = platform.settings.acs.connection_string
    if not connection_string:
        log.warning("IncomingCall ignored: ACS_CONNECTION_STRING is not set")
        return
    answerer = CallAnswerer(
        platform, call_automation_client(connection_string), durable.start_new, durable.raise_event
    )
    log.info("IncomingCall from %s to %s %s", call.caller, call.called, answerer.take(call))


@bp.function_name("acs_callbacks")
@bp.route(route=CALLBACK_ROUTE + "/{callId}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def acs_callbacks(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    durable = DurableClient(client, asyncio.get_running_loop())
    return await asyncio.to_thread(_on_callbacks, req, durable)


def _on_callbacks(req: func.HttpRequest, durable: DurableClient) -> func.HttpResponse:
    try:
        events = json.loads(req.get_body() or b"null")
    except ValueError:
        events = None
    status = handle_callbacks(
        get_platform(),
        req.route_params.get("callId", ""),
        req.params.get("secret"),
        req.headers.get("Authorization"),
        events,
        durable.raise_event,
    )
    return func.HttpResponse(status_code=status)
