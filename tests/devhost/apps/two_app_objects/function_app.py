"""An app module with two Functions app objects: the worker refuses it (it takes exactly one)."""

import azure.durable_functions as df
import azure.functions as func

api = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
workflows = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@api.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")
