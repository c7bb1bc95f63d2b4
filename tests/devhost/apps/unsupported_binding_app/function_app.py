"""An app with a Service Bus trigger, which devhost does not serve: it must refuse to start, naming it."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello")
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("hello")


@app.service_bus_queue_trigger(arg_name="message", queue_name="orders", connection="ServiceBusConnection")
def on_order(message: func.ServiceBusMessage) -> None:
    print(message.get_body())
