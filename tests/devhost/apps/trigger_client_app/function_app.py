"""An Event Grid trigger with a durable client binding, as the platform's ``acs_incoming_call`` has:
each event starts an orchestration whose instance id is the event's ``data.instanceId``."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.event_grid_trigger(arg_name="event")
@app.durable_client_input(client_name="client")
async def on_call(event: func.EventGridEvent, client: df.DurableOrchestrationClient) -> None:
    data = event.get_json()
    await client.start_new("greeter", data["instanceId"], data["name"])


@app.orchestration_trigger(context_name="context")
def greeter(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("greet", context.get_input()))


@app.activity_trigger(input_name="name")
def greet(name: str) -> str:
    return f"Hello, {name}."
