"""An app module that defines no Functions app object: the worker refuses it."""

import azure.functions as func

blueprint = func.Blueprint()  # a blueprint is not an app: nothing registers it


@blueprint.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")
