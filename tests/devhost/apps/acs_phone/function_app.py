"""The smallest app on the ACS stand-in, wired as the phone channel will be (the channel itself is
issue 15's later work): the Event Grid trigger ``acs_incoming_call`` answers with the official client,
``POST /api/acs/callbacks`` checks each callback's JWT with the platform's verifier, greets on
``CallConnected`` and records what it was sent; ``GET /api/acs/seen`` answers that record."""

import json
import os
import threading

import azure.functions as func
from azure.communication.callautomation import TextSource

from shared.phone.acs_client import call_automation_client
from shared.phone.callback_auth import CallbackTokenError, CallbackTokenVerifier
from shared.phone.settings import load_acs_settings

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_lock = threading.Lock()
_seen: list[dict] = []
_verifier: list[CallbackTokenVerifier] = []


def _record(entry: dict) -> None:
    with _lock:
        _seen.append(entry)


def _base_url() -> str:
    port = os.environ["WEBSITE_HOSTNAME"].rsplit(":", 1)[1]
    return f"http://127.0.0.1:{port}"


def _verify(authorization: str | None) -> None:
    if not _verifier:
        _verifier.append(CallbackTokenVerifier.from_settings(load_acs_settings(os.environ)))
    _verifier[0].verify(authorization)


# A call from this number fails its first IncomingCall (as a transient fault would), once per call.
FLAKY_CALLER = "+15550000009"
_failed_once: set[str] = set()


@app.event_grid_trigger(arg_name="event")
def acs_incoming_call(event: func.EventGridEvent) -> None:
    data = event.get_json()
    caller = data["from"]["phoneNumber"]["value"]
    if caller == FLAKY_CALLER and data["correlationId"] not in _failed_once:
        _failed_once.add(data["correlationId"])
        raise RuntimeError("a transient failure")
    _record({"incomingCall": caller})
    client = call_automation_client(os.environ["ACS_CONNECTION_STRING"])
    client.answer_call(data["incomingCallContext"], f"{_base_url()}/api/acs/callbacks")


@app.route(route="acs/callbacks", methods=["POST"])
def acs_callbacks(req: func.HttpRequest) -> func.HttpResponse:
    try:
        _verify(req.headers.get("Authorization"))
    except CallbackTokenError as error:
        _record({"refused": str(error)})
        return func.HttpResponse(status_code=401)
    for event in req.get_json():
        _record({"event": event["type"]})
        if event["type"] == "Microsoft.Communication.CallConnected":
            client = call_automation_client(os.environ["ACS_CONNECTION_STRING"])
            greeting = TextSource(text="Hello from the app.", voice_name="en-US-JennyNeural")
            client.get_call_connection(event["data"]["callConnectionId"]).play_media(greeting)
    return func.HttpResponse(status_code=200)


@app.route(route="acs/seen", methods=["GET"])
def acs_seen(req: func.HttpRequest) -> func.HttpResponse:
    with _lock:
        return func.HttpResponse(json.dumps(_seen), mimetype="application/json")
