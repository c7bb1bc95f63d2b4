"""A Durable Functions app whose app object is not called ``app`` (as in Microsoft's quickstarts).

Written for devhost's tests; an ordinary app that runs unchanged on ``func start``. It holds the
human-interaction pattern with string codes, functions named through their triggers, an activity
that takes the invocation context, orchestration versions (host.json sets defaultVersion "1.0"),
failures, and an HTTP route under ``api/hubs/...`` (where the Web PubSub REST API also lives).
"""

import json
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

myApp = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@myApp.route(route="start/{name}", methods=["POST"])
@myApp.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    payload = req.get_json() if req.get_body() else None
    version = req.params.get("version")
    options = {"version": version} if version else {}
    instance_id = await client.start_new(req.route_params["name"], None, payload, **options)
    return client.create_check_status_response(req, instance_id)


@myApp.route(route="hubs/{hub}/members", methods=["GET"])
def hub_members(req: func.HttpRequest) -> func.HttpResponse:
    body = {"hub": req.route_params["hub"], "members": ["ada", "grace"]}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


# -- human interaction: a code sent by SMS must come back as the same string -------------------


@myApp.orchestration_trigger(context_name="context")
def sms_verification(context: df.DurableOrchestrationContext):
    expected = context.get_input()["code"]  # a string: leading zeros matter
    deadline = context.create_timer(context.current_utc_datetime + timedelta(minutes=5))
    answers = []
    for attempt in range(1, 3):
        context.set_custom_status({"waitingForAttempt": attempt})
        answer = context.wait_for_external_event("SmsChallengeResponse")
        winner = yield context.task_any([answer, deadline])
        if winner == deadline:
            return {"verified": False, "answers": answers}
        answers.append(answer.result)
        if answer.result == expected:
            deadline.cancel()
            return {"verified": True, "answers": answers}
    deadline.cancel()
    return {"verified": False, "answers": answers}


# -- names given by the triggers, and an activity taking the invocation context ---------------


@myApp.orchestration_trigger(context_name="context", orchestration="Greeting_Workflow")
def greeting_workflow_impl(context: df.DurableOrchestrationContext):
    greeting = yield context.call_activity("Say_Hello", context.get_input())
    invocation = yield context.call_activity("describe_invocation", greeting)
    return {"greeting": greeting, "invocation": invocation}


@myApp.activity_trigger(input_name="who", activity="Say_Hello")
def say_hello_impl(who: str) -> str:
    return f"Hello {who}!"


@myApp.activity_trigger(input_name="text")
def describe_invocation(text: str, context: func.Context) -> dict:
    return {
        "text": text,
        "functionName": context.function_name,
        "hasInvocationId": bool(context.invocation_id),
    }


# -- versions ----------------------------------------------------------------------------------


@myApp.orchestration_trigger(context_name="context")
def versioned_parent(context: df.DurableOrchestrationContext):
    child = yield context.call_sub_orchestrator("report_version", None, version="2.0-child")
    return {"version": context.version, "childVersion": child}


@myApp.orchestration_trigger(context_name="context")
def report_version(context: df.DurableOrchestrationContext):
    return context.version


# -- failures ----------------------------------------------------------------------------------


@myApp.orchestration_trigger(context_name="context")
def calls_missing_activity(context: df.DurableOrchestrationContext):
    yield context.call_activity("no_such_activity", None)


@myApp.orchestration_trigger(context_name="context")
def fails_through_child(context: df.DurableOrchestrationContext):
    yield context.call_sub_orchestrator("out_of_stock")


@myApp.orchestration_trigger(context_name="context")
def out_of_stock(context: df.DurableOrchestrationContext):
    raise ValueError("Item 42 is out of stock")
    yield  # an orchestrator is a generator
