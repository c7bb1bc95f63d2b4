"""Durable Functions sample app (Python v2 programming model).

An ordinary app, written the way Microsoft's ``samples-v2`` are: it knows nothing
about devhost and runs unchanged on ``func start``.  It holds the classic Durable
Functions patterns plus plain HTTP triggers that exercise the host's HTTP features.
"""

import asyncio
import json
import logging
import os
from datetime import timedelta
from pathlib import Path

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _json_response(payload, status_code: int = 200, headers: dict | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(payload),
        status_code=status_code,
        mimetype="application/json",
        headers=headers,
    )


# ---------------------------------------------------------------------------
# Generic HTTP starter (samples-v2 "http_start")
# ---------------------------------------------------------------------------


@app.route(route="orchestrators/{functionName}/{instanceId?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    function_name = req.route_params.get("functionName")
    instance_id = req.route_params.get("instanceId") or None
    try:
        payload = req.get_json()
    except ValueError:
        payload = None
    instance_id = await client.start_new(function_name, instance_id, payload)
    logging.info("Started orchestration with ID = '%s'.", instance_id)
    return client.create_check_status_response(req, instance_id)


# ---------------------------------------------------------------------------
# Durable client operations used from ordinary HTTP functions
# ---------------------------------------------------------------------------


def _status_to_dict(status) -> dict:
    return {
        "name": status.name,
        "instanceId": status.instance_id,
        "runtimeStatus": status.runtime_status.value if status.runtime_status else None,
        "input": status.input_,
        "output": status.output,
        "customStatus": status.custom_status,
    }


@app.route(route="client/instances/{instanceId}", methods=["GET", "DELETE"])
@app.durable_client_input(client_name="client")
async def client_instance(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = req.route_params["instanceId"]
    if req.method == "DELETE":
        result = await client.purge_instance_history(instance_id)
        return _json_response({"instancesDeleted": result.instances_deleted})
    status = await client.get_status(instance_id, show_input=True)
    return _json_response(_status_to_dict(status))


@app.route(route="client/instances/{instanceId}/events/{eventName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def client_raise_event(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    await client.raise_event(req.route_params["instanceId"], req.route_params["eventName"], req.get_json())
    return func.HttpResponse(status_code=202)


@app.route(route="client/instances/{instanceId}/terminate", methods=["POST"])
@app.durable_client_input(client_name="client")
async def client_terminate(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    reason = req.params.get("reason", "terminated by client")
    await client.terminate(req.route_params["instanceId"], reason)
    return func.HttpResponse(status_code=202)


@app.route(route="client/instances", methods=["GET"])
@app.durable_client_input(client_name="client")
async def client_list_instances(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    runtime_status = req.params.get("runtimeStatus")
    prefix = req.params.get("instanceIdPrefix")
    if runtime_status or prefix:
        statuses = await client.get_status_by(
            runtime_status=[df.OrchestrationRuntimeStatus(s) for s in runtime_status.split(",")]
            if runtime_status
            else None,
            instance_id_prefix=prefix,
        )
    else:
        statuses = await client.get_status_all()
    return _json_response(
        sorted(
            ({"instanceId": s.instance_id, "runtimeStatus": s.runtime_status.value} for s in statuses),
            key=lambda item: item["instanceId"],
        )
    )


# ---------------------------------------------------------------------------
# Function chaining
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def hello_sequence(context: df.DurableOrchestrationContext):
    result1 = yield context.call_activity("say_hello", "Tokyo")
    result2 = yield context.call_activity("say_hello", "Seattle")
    result3 = yield context.call_activity("say_hello", "London")
    context.set_custom_status({"stage": "greeted", "cities": 3})
    return [result1, result2, result3]


@app.activity_trigger(input_name="city")
def say_hello(city: str) -> str:
    return f"Hello {city}!"


# ---------------------------------------------------------------------------
# Fan-out / fan-in
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def fan_out_fan_in(context: df.DurableOrchestrationContext):
    count = (context.get_input() or {}).get("count", 10)
    # Reference the activity by its function object (v2 style) as well as by name elsewhere.
    tasks = [context.call_activity(square, n) for n in range(1, count + 1)]
    results = yield context.task_all(tasks)
    return {"results": results, "sum": sum(results)}


@app.activity_trigger(input_name="number")
def square(number: int) -> int:
    return number * number


# ---------------------------------------------------------------------------
# Human interaction: approval event raced against a durable timer
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def approval_workflow(context: df.DurableOrchestrationContext):
    request = context.get_input() or {}
    timeout_seconds = request.get("timeout_seconds", 3)
    context.set_custom_status("awaiting approval")
    deadline = context.current_utc_datetime + timedelta(seconds=timeout_seconds)
    timeout_task = context.create_timer(deadline)
    approval_task = context.wait_for_external_event("Approval")
    winner = yield context.task_any([approval_task, timeout_task])
    if winner == approval_task:
        timeout_task.cancel()
        context.set_custom_status("approved")
        return {"outcome": "approved", "approval": approval_task.result}
    context.set_custom_status("escalated")
    escalation = yield context.call_activity("say_hello", "escalation team")
    return {"outcome": "timed out", "escalation": escalation}


# ---------------------------------------------------------------------------
# Monitor: poll a condition with an activity, sleeping on a durable timer
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def job_monitor(context: df.DurableOrchestrationContext):
    job = context.get_input()
    poll_seconds = job.get("poll_seconds", 1)
    max_rounds = job.get("max_rounds", 60)
    for round_no in range(1, max_rounds + 1):
        done = yield context.call_activity("check_job", job["dir"])
        context.set_custom_status({"round": round_no, "state": "done" if done else "waiting"})
        if done:
            return {"rounds": round_no, "state": "done"}
        next_check = context.current_utc_datetime + timedelta(seconds=poll_seconds)
        yield context.create_timer(next_check)
    return {"rounds": max_rounds, "state": "gave up"}


@app.activity_trigger(input_name="jobdir")
def check_job(jobdir: str) -> bool:
    return (Path(jobdir) / "job-done").exists()


# ---------------------------------------------------------------------------
# Eternal orchestration: continue_as_new carrying a counter in the input
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def counter_generations(context: df.DurableOrchestrationContext):
    state = context.get_input() or {}
    generation = state.get("generation", 0)
    stop_at = state.get("stop_at", 5)
    trail = state.get("trail", [])
    note = yield context.call_activity("record_generation", generation)
    trail = [*trail, note]
    if generation + 1 >= stop_at:
        return {"generations": generation + 1, "trail": trail}
    context.continue_as_new({"generation": generation + 1, "stop_at": stop_at, "trail": trail})


@app.activity_trigger(input_name="generation")
def record_generation(generation: int) -> str:
    return f"generation {generation}"


# ---------------------------------------------------------------------------
# Retries: an activity that fails a configurable number of times
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def retry_flaky_activity(context: df.DurableOrchestrationContext):
    job = context.get_input()
    retry_options = df.RetryOptions(first_retry_interval_in_milliseconds=500, max_number_of_attempts=3)
    result = yield context.call_activity_with_retry("flaky_activity", retry_options, job)
    return result


@app.orchestration_trigger(context_name="context")
def compensate_on_failure(context: df.DurableOrchestrationContext):
    job = context.get_input()
    try:
        yield context.call_activity("flaky_activity", job)
    except Exception as error:
        undo = yield context.call_activity("say_hello", "compensation")
        return {"compensated": True, "error": str(error), "undo": undo}
    return {"compensated": False}


@app.activity_trigger(input_name="job")
def flaky_activity(job: dict) -> str:
    # Activities may run in any worker process: the attempt counter lives in a file.
    counter = Path(job["dir"]) / "attempts.txt"
    attempts = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(attempts))
    if attempts <= job["fail_times"]:
        raise RuntimeError(f"flaky_activity attempt {attempts} failed on purpose")
    return f"succeeded on attempt {attempts}"


# ---------------------------------------------------------------------------
# Sub-orchestrations
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def parent_orchestration(context: df.DurableOrchestrationContext):
    child_id = f"{context.instance_id}-child"
    greetings = yield context.call_sub_orchestrator("hello_sequence", None, child_id)
    squares = yield context.call_sub_orchestrator("fan_out_fan_in", {"count": 3})
    return {"childInstanceId": child_id, "greetings": greetings, "squaresSum": squares["sum"]}


# ---------------------------------------------------------------------------
# Orchestrator that fails with an unhandled exception
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def validate_order(context: df.DurableOrchestrationContext):
    order = context.get_input()
    greeting = yield context.call_activity("say_hello", order["customer"])
    if order["quantity"] <= 0:
        raise ValueError(f"Order for {order['customer']} has invalid quantity {order['quantity']}")
    return {"greeting": greeting, "quantity": order["quantity"]}


# ---------------------------------------------------------------------------
# new_uuid determinism across replays
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def uuid_determinism(context: df.DurableOrchestrationContext):
    first = context.new_uuid()
    echoed_first = yield context.call_activity("echo", first)
    second = context.new_uuid()
    echoed_second = yield context.call_activity("echo", second)
    third = context.new_uuid()
    return {
        "first": first,
        "echoedFirst": echoed_first,
        "second": second,
        "echoedSecond": echoed_second,
        "third": third,
    }


@app.activity_trigger(input_name="value")
def echo(value: str) -> str:
    return value


# ---------------------------------------------------------------------------
# Long-lived orchestrations (used by the restart test)
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def timer_then_activity(context: df.DurableOrchestrationContext):
    seconds = (context.get_input() or {}).get("seconds", 3)
    context.set_custom_status("waiting for timer")
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=seconds))
    context.set_custom_status("timer fired")
    greeting = yield context.call_activity("say_hello", "after the timer")
    return greeting


@app.orchestration_trigger(context_name="context")
def wait_for_go(context: df.DurableOrchestrationContext):
    context.set_custom_status("waiting for Go")
    payload = yield context.wait_for_external_event("Go")
    if isinstance(payload, str):  # raised by the SDK's client: its JSON text (durable-python#295)
        payload = json.loads(payload)
    greeting = yield context.call_activity("say_hello", payload["name"])
    context.set_custom_status("done")
    return {"received": payload, "greeting": greeting}


@app.orchestration_trigger(context_name="context")
def two_step_approval(context: df.DurableOrchestrationContext):
    context.set_custom_status("waiting for First")
    first = yield context.wait_for_external_event("First")
    context.set_custom_status("waiting for Second")
    second = yield context.wait_for_external_event("Second")
    context.set_custom_status("done")
    return [first, second]


# ---------------------------------------------------------------------------
# Plain HTTP triggers: host features
# ---------------------------------------------------------------------------


@app.route(route="hello/{name}", methods=["GET"])
def hello_name(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params.get("name")
    return func.HttpResponse(f"Hello, {name}!", mimetype="text/plain")


@app.route(route="products/{category:alpha}/{id:int?}", methods=["GET"])
def get_product(req: func.HttpRequest) -> func.HttpResponse:
    return _json_response({"category": req.route_params.get("category"), "id": req.route_params.get("id")})


@app.route(route="files/{*path}")
def get_file(req: func.HttpRequest) -> func.HttpResponse:
    return _json_response({"method": req.method, "path": req.route_params.get("path")})


@app.route(route="search", methods=["GET"])
def search(req: func.HttpRequest) -> func.HttpResponse:
    return _json_response(
        {
            "q": req.params.get("q"),
            "page": int(req.params.get("page", "1")),
            "params": dict(req.params),
        }
    )


@app.route(route="headers", methods=["GET"])
def echo_headers(req: func.HttpRequest) -> func.HttpResponse:
    return _json_response(
        {
            "custom": req.headers.get("x-custom-header"),
            "customUpper": req.headers.get("X-CUSTOM-HEADER"),
            "accept": req.headers.get("Accept"),
        }
    )


@app.route(route="echo", methods=["POST"])
async def echo_json(req: func.HttpRequest) -> func.HttpResponse:
    try:
        body = req.get_json()
    except ValueError:
        return func.HttpResponse("Request body must be JSON", status_code=400)
    return _json_response({"method": req.method, "received": body})


@app.route(route="items/{id}", methods=["GET", "PUT", "DELETE"])
def item(req: func.HttpRequest) -> func.HttpResponse:
    return _json_response(
        {
            "method": req.method,
            "id": req.route_params.get("id"),
            "body": req.get_body().decode("utf-8"),
        }
    )


@app.route(route="async-sum", methods=["POST"])
async def async_sum(req: func.HttpRequest) -> func.HttpResponse:
    numbers = req.get_json()["numbers"]
    await asyncio.sleep(0.01)
    return _json_response({"sum": sum(numbers), "handler": "async"})


@app.route(route="sync-upper", methods=["POST"])
def sync_upper(req: func.HttpRequest) -> func.HttpResponse:
    text = req.get_body().decode("utf-8")
    return func.HttpResponse(text.upper(), mimetype="text/plain", headers={"X-Handler": "sync"})


@app.route(route="created", methods=["POST"])
def create_resource(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_json()
    return _json_response(
        {"created": body["name"]},
        status_code=201,
        headers={"Location": f"/api/items/{body['name']}", "X-Sample-Header": "sample-value"},
    )


@app.route(route="respond/{code}", methods=["GET"])
def respond_with_code(req: func.HttpRequest) -> func.HttpResponse:
    code = int(req.route_params["code"])
    return func.HttpResponse(
        f"status {code}", status_code=code, mimetype="text/plain", headers={"X-Status-Echo": str(code)}
    )


@app.route(route="boom", methods=["GET"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("unhandled error in an HTTP function")


@app.route(route="settings/{name}", methods=["GET"])
def read_setting(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params["name"]
    return _json_response({"name": name, "value": os.environ.get(name)})


# ---------------------------------------------------------------------------
# Which process runs durable work (FUNCTIONS_WORKER_PROCESS_COUNT)
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def process_probe(context: df.DurableOrchestrationContext):
    activity = yield context.call_activity("process_id", None)
    return {"activity": activity, "orchestrator": os.getpid()}


@app.activity_trigger(input_name="unused")
def process_id(unused: None) -> int:
    return os.getpid()
