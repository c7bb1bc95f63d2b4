"""Durable entities sample app (Python v2 programming model), written for the devhost tests.

An ordinary app that knows nothing about devhost and runs unchanged on ``func start``: a counter
entity and a bank account entity, orchestrations that call and signal them, and HTTP functions that
signal entities and read their state through the durable client.
"""

import json
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


# ---------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------


@app.entity_trigger(context_name="context", entity_name="Counter")
def counter(context: df.DurableEntityContext) -> None:
    value = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "add":
        value += context.get_input()
        context.set_state(value)
    elif operation == "reset":
        value = 0
        context.set_state(value)
    elif operation == "delete":
        context.destruct_on_exit()
        return
    elif operation != "get":
        raise ValueError(f"Counter has no operation '{operation}'")
    context.set_result(value)


@app.entity_trigger(context_name="context", entity_name="Account")
def account(context: df.DurableEntityContext) -> None:
    balance = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "deposit":
        amount = context.get_input()
        if amount <= 0:
            raise ValueError(f"A deposit must be positive, not {amount}")
        balance += amount
        context.set_state(balance)
    elif operation == "withdraw":
        amount = context.get_input()
        if amount > balance:
            raise ValueError(f"Insufficient funds: the balance is {balance}, {amount} was asked")
        balance -= amount
        context.set_state(balance)
    elif operation != "balance":
        raise ValueError(f"Account has no operation '{operation}'")
    context.set_result(balance)


# ---------------------------------------------------------------------------
# Orchestrations
# ---------------------------------------------------------------------------


@app.orchestration_trigger(context_name="context")
def count_through_calls(context: df.DurableOrchestrationContext):
    """Call, signal, call again, and call an operation the entity refuses."""
    entity = df.EntityId("Counter", context.get_input()["key"])
    first = yield context.call_entity(entity, "add", 2)
    context.signal_entity(entity, "add", 10)
    after_signal = yield context.call_entity(entity, "get")
    try:
        yield context.call_entity(entity, "explode")
        refused = None
    except Exception as error:
        refused = str(error)
    return {"first": first, "afterSignal": after_signal, "refused": refused}


@app.orchestration_trigger(context_name="context")
def transfer(context: df.DurableOrchestrationContext):
    """Move money between two accounts: withdraw (which may refuse), then deposit."""
    order = context.get_input()
    source = df.EntityId("Account", order["from"])
    target = df.EntityId("Account", order["to"])
    try:
        yield context.call_entity(source, "withdraw", order["amount"])
    except Exception as error:
        return {"transferred": False, "reason": str(error)}
    yield context.call_entity(target, "deposit", order["amount"])
    balances = yield context.task_all(
        [context.call_entity(source, "balance"), context.call_entity(target, "balance")]
    )
    return {"transferred": True, "balances": balances}


@app.orchestration_trigger(context_name="context")
def locked_transfer(context: df.DurableOrchestrationContext):
    """A transfer inside a critical section, as the .NET and JavaScript SDKs write it."""
    order = context.get_input()
    source = df.EntityId("Account", order["from"])
    target = df.EntityId("Account", order["to"])
    with (yield context.lock([source, target])):
        yield context.call_entity(source, "withdraw", order["amount"])
        yield context.call_entity(target, "deposit", order["amount"])
    return "transferred"


@app.orchestration_trigger(context_name="context")
def call_unknown_entity(context: df.DurableOrchestrationContext):
    try:
        yield context.call_entity(df.EntityId("Nobody", "k"), "add", 1)
    except Exception as error:  # not reached: the extension fails the orchestration at the call
        return f"caught {error}"
    return "answered"


@app.orchestration_trigger(context_name="context")
def signal_after_timer(context: df.DurableOrchestrationContext):
    order = context.get_input()
    context.set_custom_status("timer set")
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=order["seconds"]))
    context.signal_entity(df.EntityId("Counter", order["key"]), "add", 1)
    return "signalled"


@app.orchestration_trigger(context_name="context")
def call_wait_call(context: df.DurableOrchestrationContext):
    entity = df.EntityId("Counter", context.get_input()["key"])
    first = yield context.call_entity(entity, "add", 1)
    context.set_custom_status("waiting for Go")
    yield context.wait_for_external_event("Go")
    second = yield context.call_entity(entity, "add", 1)
    return [first, second]


# ---------------------------------------------------------------------------
# HTTP functions
# ---------------------------------------------------------------------------


@app.route(route="orchestrators/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"], None, req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.route(route="entities/{name}/{key}/{operation}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def signal(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    entity = df.EntityId(req.route_params["name"], req.route_params["key"])
    operation_input = req.get_json() if req.get_body() else None
    await client.signal_entity(entity, req.route_params["operation"], operation_input)
    return func.HttpResponse(status_code=202)


@app.route(route="entities/{name}/{key}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def read_state(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    entity = df.EntityId(req.route_params["name"], req.route_params["key"])
    response = await client.read_entity_state(entity)
    body = {"exists": response.entity_exists, "state": response.entity_state}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")
