"""A two-route app for the devhost's CORS, HEAD and error answers (tests/devhost/test_http_edges.py)."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="greeting", methods=["GET"])
def greeting(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        '{"hello": "world"}', mimetype="application/json", headers={"X-Method-Seen": req.method}
    )


@app.route(route="notes", methods=["POST"])
def add_note(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body(), status_code=201, mimetype="text/plain")
