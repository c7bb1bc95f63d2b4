"""Durable HTTP calls (``context.call_http``), written for the devhost tests.

An ordinary Python v2 app: it knows nothing about devhost and runs unchanged on ``func start``.
Each orchestrator takes the call to make as its input, so the tests point it at their own
loopback server.
"""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="orchestrators/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["functionName"], None, req.get_json())
    return client.create_check_status_response(req, instance_id)


def _call(context: df.DurableOrchestrationContext, call: dict):
    resource = call.get("resource")
    return context.call_http(
        call["method"],
        call["uri"],
        content=call.get("content"),
        headers=call.get("headers"),
        token_source=df.ManagedIdentityTokenSource(resource) if resource else None,
    )


@app.orchestration_trigger(context_name="context")
def call_once(context: df.DurableOrchestrationContext):
    """One durable HTTP call; the orchestration's output is the response the SDK hands over."""
    response = yield _call(context, context.get_input())
    return response


@app.orchestration_trigger(context_name="context")
def call_and_catch(context: df.DurableOrchestrationContext):
    """A call that may fail: the failure is an exception the orchestrator can catch."""
    try:
        response = yield _call(context, context.get_input())
    except Exception as error:
        return {"caught": str(error)}
    return {"response": response}


@app.orchestration_trigger(context_name="context")
def call_then_continue(context: df.DurableOrchestrationContext):
    """A polled call, then an activity, then another call: the tasks after the polling still get
    their own results."""
    calls = context.get_input()
    polled = yield _call(context, calls["first"])
    shouted = yield context.call_activity("shout", polled["content"])
    second = yield _call(context, calls["second"])
    return {"first": polled["statusCode"], "shouted": shouted, "second": second["content"]}


@app.activity_trigger(input_name="text")
def shout(text: str) -> str:
    return text.upper()
