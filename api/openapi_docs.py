"""``GET /public/openapi.json`` (the OpenAPI 3.1 document), ``GET /public/asyncapi.json`` (the AsyncAPI
3.0 document of the live session protocol) and ``GET /docs`` (Swagger UI, linking both).

Swagger UI is served from the ``openapi-ui-bundles`` package (Swagger UI 5, which reads OpenAPI
3.1), not from a CDN: the docs work on a machine without internet.
"""

from __future__ import annotations

import json
import mimetypes
from functools import lru_cache

import azure.functions as func
from openapi_ui_bundles import swagger_ui

from api.endpoint import ENDPOINTS, Reply, RequestContext, endpoint
from shared.openapi import build_document
from shared.sessions.asyncapi import asyncapi_document
from shared.settings import get_settings

bp = func.Blueprint()

API_TITLE = "Omniagent platform API"
API_VERSION = "1.0.0"
_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Omniagent platform API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <p style="font-family: sans-serif; margin: 12px 20px">
    Live sessions (WebSocket): the <a href="/public/asyncapi.json">AsyncAPI 3.0 document</a> describes
    their commands and events; <a href="/public/openapi.json">the OpenAPI document</a> this API.
  </p>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/public/openapi.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
"""


@lru_cache(maxsize=1)
def openapi_document() -> str:
    return json.dumps(build_document(ENDPOINTS, API_TITLE, API_VERSION))


@bp.route(route="public/openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi_json(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(openapi_document(), mimetype="application/json")


@lru_cache(maxsize=1)
def asyncapi_json_text() -> str:
    return json.dumps(asyncapi_document(_websocket_url(), API_VERSION))


def _websocket_url() -> str | None:
    """The Web PubSub client URL of the hub (its ``Endpoint`` only: the access key stays out)."""
    settings = get_settings()
    parts = dict(
        part.split("=", 1) for part in (settings.webpubsub_connection_string or "").split(";") if "=" in part
    )
    endpoint_url = parts.get("Endpoint", "").rstrip("/")
    if not endpoint_url:
        return None
    scheme, _, rest = endpoint_url.partition("://")
    websocket_scheme = "ws" if scheme == "http" else "wss"
    return f"{websocket_scheme}://{rest}/client/hubs/{settings.webpubsub_hub}"


@endpoint(
    bp,
    "GET",
    "public/asyncapi.json",
    summary="The AsyncAPI 3.0 document of the live session protocol",
    tag="Connections",
    auth="none",
    description="The WebSocket commands and events of a session, generated from the models that parse and "
    "build them. Connect to the `url` of the token a connection answers.",
)
def asyncapi_json(ctx: RequestContext) -> Reply:
    return Reply(raw_body=asyncapi_json_text().encode())


@bp.route(route="docs", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def docs_page(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(_PAGE, mimetype="text/html")


@bp.route(route="docs/assets/{name}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def docs_asset(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params["name"]
    if name not in _ASSETS:
        return func.HttpResponse(status_code=404)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return func.HttpResponse(
        (swagger_ui.static_path / name).read_bytes(),
        mimetype=content_type,
        headers={"Cache-Control": "public, max-age=86400"},
    )
