"""A Web PubSub echo app: the event handler of a hub, written against the service's HTTP protocol.

- ``OPTIONS`` / ``POST /runtime/webpubsub/{hub}``: the event handler. Abuse protection allows the
  connection string's host; every event's ``ce-signature`` is checked; ``connect`` accepts and takes
  ``userId`` from the token (``?reject`` refuses with 401, ``?group=g`` joins g); ``message`` echoes
  through the SDK (``echo:`` + payload) and answers in the response body (``reply:`` + payload); a text
  message ``fail`` is answered 500.
- ``/runtime/webpubsub-closed/{hub}``: a handler whose abuse protection allows another origin only.
- ``POST /api/negotiate``: ``get_client_access_token`` for ``{"userId", "groups", "roles"}``.
- ``GET /api/events``: what the handlers received (for tests).
"""

import base64
import hashlib
import hmac
import json
import os
import threading
from urllib.parse import urlsplit

import azure.functions as func
from azure.messaging.webpubsubservice import WebPubSubServiceClient

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

_received: list[dict] = []
_lock = threading.Lock()


def _connection_string() -> str:
    return os.environ["WEBPUBSUB_CONNECTION_STRING"]


def _hub() -> str:
    return os.environ.get("WEBPUBSUB_HUB", "omniagent")


def _service() -> WebPubSubServiceClient:
    return WebPubSubServiceClient.from_connection_string(_connection_string(), hub=_hub())


def _setting(name: str) -> str:
    for segment in _connection_string().split(";"):
        key, _, value = segment.partition("=")
        if key.strip().lower() == name:
            return value.strip()
    raise KeyError(name)


def _signature_valid(req: func.HttpRequest) -> bool:
    connection_id = req.headers.get("ce-connectionId", "")
    expected = hmac.new(_setting("accesskey").encode(), connection_id.encode(), hashlib.sha256).hexdigest()
    offered = [s.strip() for s in req.headers.get("ce-signature", "").split(",")]
    return any(hmac.compare_digest(s, f"sha256={expected}") for s in offered)


def _record(req: func.HttpRequest, handler: str) -> None:
    body = req.get_body()
    entry = {
        "handler": handler,
        "method": req.method,
        "url": req.url,
        "headers": {k.lower(): v for k, v in req.headers.items()},
        "body": body.decode("utf-8", errors="replace"),
        "body_b64": base64.b64encode(body).decode(),
    }
    with _lock:
        _received.append(entry)


def _handle(req: func.HttpRequest, handler: str, allowed_origin: str) -> func.HttpResponse:
    _record(req, handler)
    if req.method == "OPTIONS":
        # CloudEvents abuse protection: allow the service's host only.
        return func.HttpResponse(status_code=200, headers={"WebHook-Allowed-Origin": allowed_origin})
    if not _signature_valid(req):
        return func.HttpResponse("bad signature", status_code=401)
    event = req.headers.get("ce-eventName")
    connection_id = req.headers.get("ce-connectionId", "")
    if event == "connect":
        request = req.get_json()
        if "reject" in request.get("query", {}):
            return func.HttpResponse("refused by the echo app", status_code=401)
        answer: dict = {}
        subject = request.get("claims", {}).get("sub")
        if subject:
            answer["userId"] = subject[0]
        if groups := request.get("query", {}).get("group"):
            answer["groups"] = groups
        return func.HttpResponse(json.dumps(answer), status_code=200, mimetype="application/json")
    if event == "message":
        payload = req.get_body()
        if req.headers.get("Content-Type", "").startswith("text/plain"):
            text = payload.decode()
            if text == "fail":
                return func.HttpResponse("the echo app fails on 'fail'", status_code=500)
            _service().send_to_connection(connection_id, f"echo:{text}", content_type="text/plain")
            return func.HttpResponse(f"reply:{text}", mimetype="text/plain")
        _service().send_to_connection(
            connection_id, b"echo:" + payload, content_type="application/octet-stream"
        )
        return func.HttpResponse(b"reply:" + payload, mimetype="application/octet-stream")
    return func.HttpResponse(status_code=204)  # connected, disconnected


@app.route(route="runtime/webpubsub/{hub}", methods=["OPTIONS", "POST"])
def webpubsub_events(req: func.HttpRequest) -> func.HttpResponse:
    return _handle(req, "echo", urlsplit(_setting("endpoint")).hostname or "")


@app.route(route="runtime/webpubsub-closed/{hub}", methods=["OPTIONS", "POST"])
def webpubsub_closed(req: func.HttpRequest) -> func.HttpResponse:
    return _handle(req, "closed", "other.webpubsub.azure.com")


@app.route(route="api/negotiate", methods=["POST"])
def negotiate(req: func.HttpRequest) -> func.HttpResponse:
    request = req.get_json() if req.get_body() else {}
    token = _service().get_client_access_token(
        user_id=request.get("userId"), groups=request.get("groups") or [], roles=request.get("roles") or []
    )
    return func.HttpResponse(json.dumps(token), mimetype="application/json")


@app.route(route="api/events", methods=["GET"])
def events(req: func.HttpRequest) -> func.HttpResponse:
    with _lock:
        received = list(_received)
    return func.HttpResponse(json.dumps(received), mimetype="application/json")
