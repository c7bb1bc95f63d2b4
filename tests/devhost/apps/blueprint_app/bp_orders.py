"""Order processing blueprint: HTTP starter, orchestrator and activity."""

import json

import azure.durable_functions as df
import azure.functions as func
from pricing import price_line

bp = df.Blueprint()


@bp.route(route="orders", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_order(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    order = req.get_json()
    instance_id = await client.start_new("process_order", None, order)
    return client.create_check_status_response(req, instance_id)


@bp.route(route="orders/{instanceId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_order(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    status = await client.get_status(req.route_params["instanceId"])
    body = {
        "runtimeStatus": status.runtime_status.value if status.runtime_status else None,
        "output": status.output,
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@bp.orchestration_trigger(context_name="context")
def process_order(context: df.DurableOrchestrationContext):
    order = context.get_input()
    tasks = [context.call_activity("price_order_line", line) for line in order["lines"]]
    prices = yield context.task_all(tasks)
    return {"orderId": order["orderId"], "linePrices": prices, "total": round(sum(prices), 2)}


@bp.activity_trigger(input_name="line")
def price_order_line(line: dict) -> float:
    return price_line(line["quantity"], line["unitPrice"])
