"""Storage bindings and triggers (Python v2 programming model), written for the devhost tests.

An ordinary app: it knows nothing about devhost and would run unchanged on ``func start``.

- HTTP + queue output: ``POST /api/orders/{id}`` puts ``{"id", "body"}`` on the ``%ORDERS_QUEUE%``
  queue; ``POST /api/batch`` puts one message per line on ``batch`` (``func.Out[List[str]]``).
- HTTP + blob output/input: ``PUT /api/files/{name}`` writes ``files/{name}`` (bytes, through the
  ``BindingsStorage`` connection); ``GET /api/files/{name}`` reads it as ``func.InputStream``,
  ``GET /api/texts/{name}`` as ``str`` (404 when missing).
- HTTP + table output/input: ``POST /api/people/{team}`` inserts the body's entity into ``people``
  (PartitionKey from the route); ``GET /api/people/{team}/{member}`` reads one,
  ``GET /api/people/{team}`` the team (``take`` 10).
- Activity + blob output: ``POST /api/archive`` starts ``archive_orchestrator``, whose activity
  writes ``archive/{noteId}.txt`` from its input.
- Queue trigger: ``work`` messages are recorded (``GET /api/seen/work``); a JSON message on ``copy``
  copies ``files/{name}`` to ``copies/{name}`` (binding data from the message); ``lookups`` returns
  (``$return``) the length of ``files/{queueTrigger}`` to ``lookups-done``; ``fragile`` always fails
  (tries recorded: ``GET /api/seen/fragile``).
- Blob triggers: ``uploads/{name}.txt`` puts ``{"path", "length", "content", "uri"}`` on ``uploads-seen``;
  ``brittle/{name}`` always fails (tries recorded: ``GET /api/seen/brittle``).
- Event Grid trigger: ``on_event`` records each event (``GET /api/seen/events``); an event whose data
  has ``"fail": true`` raises.
"""

import json
import threading
from typing import List  # noqa: UP035

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

_seen: dict[str, list] = {"work": [], "fragile": [], "brittle": [], "events": []}
_lock = threading.Lock()


def _record(kind: str, entry) -> None:
    with _lock:
        _seen[kind].append(entry)


@app.route(route="seen/{kind}", methods=["GET"])
def seen(req: func.HttpRequest) -> func.HttpResponse:
    with _lock:
        entries = list(_seen.get(req.route_params["kind"], []))
    return func.HttpResponse(json.dumps(entries), mimetype="application/json")


# -- HTTP functions with storage bindings ------------------------------------------------------


@app.route(route="orders/{id}", methods=["POST"])
@app.queue_output(arg_name="order", queue_name="%ORDERS_QUEUE%", connection="AzureWebJobsStorage")
def place_order(req: func.HttpRequest, order: func.Out[str]) -> func.HttpResponse:
    order.set(json.dumps({"id": req.route_params["id"], "body": req.get_body().decode()}))
    return func.HttpResponse(status_code=202)


@app.route(route="batch", methods=["POST"])
@app.queue_output(arg_name="lines", queue_name="batch", connection="AzureWebJobsStorage")
# typing.List, as the worker's converter recognises it (it does not take the builtin list[str]).
def batch(req: func.HttpRequest, lines: func.Out[List[str]]) -> func.HttpResponse:  # noqa: UP006
    lines.set(req.get_body().decode().splitlines())
    return func.HttpResponse(status_code=202)


@app.route(route="files/{name}", methods=["PUT"])
@app.blob_output(arg_name="file", path="files/{name}", connection="BindingsStorage")
def put_file(req: func.HttpRequest, file: func.Out[bytes]) -> func.HttpResponse:
    file.set(req.get_body())
    return func.HttpResponse(status_code=201)


@app.route(route="files/{name}", methods=["GET"])
@app.blob_input(arg_name="file", path="files/{name}", connection="BindingsStorage")
def get_file(req: func.HttpRequest, file: func.InputStream) -> func.HttpResponse:
    if file is None:
        return func.HttpResponse("no such file", status_code=404)
    return func.HttpResponse(file.read(), mimetype="application/octet-stream")


@app.route(route="texts/{name}", methods=["GET"])
@app.blob_input(arg_name="text", path="files/{name}", connection="AzureWebJobsStorage")
def get_text(req: func.HttpRequest, text: str) -> func.HttpResponse:
    if text is None:
        return func.HttpResponse("no such file", status_code=404)
    return func.HttpResponse(
        json.dumps({"type": type(text).__name__, "text": text}), mimetype="application/json"
    )


@app.route(route="people/{team}", methods=["POST"])
@app.table_output(
    arg_name="person", table_name="people", partition_key="{team}", connection="AzureWebJobsStorage"
)
def add_person(req: func.HttpRequest, person: func.Out[str]) -> func.HttpResponse:
    person.set(req.get_body().decode())
    return func.HttpResponse(status_code=201)


@app.route(route="people/{team}/{member}", methods=["GET"])
@app.table_input(
    arg_name="person",
    table_name="people",
    partition_key="{team}",
    row_key="{member}",
    connection="AzureWebJobsStorage",
)
def get_person(req: func.HttpRequest, person: str) -> func.HttpResponse:
    if person is None:
        return func.HttpResponse("no such person", status_code=404)
    return func.HttpResponse(person, mimetype="application/json")


@app.route(route="people/{team}", methods=["GET"])
@app.table_input(
    arg_name="people", table_name="people", partition_key="{team}", take=10, connection="AzureWebJobsStorage"
)
def list_people(req: func.HttpRequest, people: str) -> func.HttpResponse:
    return func.HttpResponse(people, mimetype="application/json")


# -- an activity with an output binding --------------------------------------------------------


@app.route(route="archive", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_archive(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new("archive_orchestrator", client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def archive_orchestrator(context: df.DurableOrchestrationContext):
    result = yield context.call_activity("archive_note", context.get_input())
    return result


@app.activity_trigger(input_name="note")
@app.blob_output(arg_name="archived", path="archive/{noteId}.txt", connection="AzureWebJobsStorage")
def archive_note(note: dict, archived: func.Out[str]) -> str:
    archived.set(note["text"])
    return f"archived {note['noteId']}"


# -- queue triggers ----------------------------------------------------------------------------


@app.queue_trigger(arg_name="message", queue_name="work", connection="AzureWebJobsStorage")
def on_work(message: func.QueueMessage) -> None:
    _record(
        "work",
        {
            "id": message.id,
            "body": message.get_body().decode(),
            "dequeueCount": message.dequeue_count,
            "hasInsertionTime": message.insertion_time is not None,
            "hasPopReceipt": bool(message.pop_receipt),
        },
    )


@app.queue_trigger(arg_name="request", queue_name="copy", connection="AzureWebJobsStorage")
@app.blob_input(arg_name="source", path="files/{name}", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="target", path="copies/{name}", connection="AzureWebJobsStorage")
def copy_file(request: str, source: bytes, target: func.Out[bytes]) -> None:
    target.set(source)


@app.queue_trigger(arg_name="name", queue_name="lookups", connection="AzureWebJobsStorage")
@app.blob_input(
    arg_name="text", path="files/{queueTrigger}", data_type="STRING", connection="AzureWebJobsStorage"
)
@app.queue_output(arg_name="$return", queue_name="lookups-done", connection="AzureWebJobsStorage")
def look_up(name: str, text: str) -> str:
    return json.dumps({"name": name, "length": len(text) if text is not None else None})


@app.queue_trigger(arg_name="message", queue_name="fragile", connection="AzureWebJobsStorage")
def on_fragile(message: func.QueueMessage) -> None:
    _record("fragile", {"body": message.get_body().decode(), "dequeueCount": message.dequeue_count})
    raise RuntimeError("fragile always fails")


# -- a blob trigger ----------------------------------------------------------------------------


@app.blob_trigger(arg_name="blob", path="uploads/{name}.txt", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="seen", queue_name="uploads-seen", connection="AzureWebJobsStorage")
def on_upload(blob: func.InputStream, seen: func.Out[str]) -> None:
    content = blob.read().decode()
    seen.set(json.dumps({"path": blob.name, "length": blob.length, "content": content, "uri": blob.uri}))


@app.blob_trigger(arg_name="blob", path="brittle/{name}", connection="AzureWebJobsStorage")
def on_brittle(blob: bytes) -> None:
    _record("brittle", len(blob))
    raise RuntimeError("brittle blobs always fail")


# -- an Event Grid trigger ---------------------------------------------------------------------


@app.event_grid_trigger(arg_name="event")
def on_event(event: func.EventGridEvent) -> None:
    data = event.get_json()
    entry = {"class": type(event).__name__, "id": event.id, "data": data, "subject": event.subject}
    entry["type"] = event.event_type if isinstance(event, func.EventGridEvent) else event.type
    _record("events", entry)
    if isinstance(data, dict) and data.get("fail"):
        raise RuntimeError("the event asked to fail")
