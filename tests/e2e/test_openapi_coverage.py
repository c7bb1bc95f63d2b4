"""Every API route is in the OpenAPI document, and the document is generated from the endpoints."""

from api.endpoint import ENDPOINTS
from shared.openapi import build_document
from tests.app_functions import app_functions


def _http_routes() -> set[tuple[str, str]]:
    routes = set()
    for function in app_functions():
        trigger = function.get_trigger()
        if trigger.type != "httpTrigger":
            continue
        for method in trigger.methods or []:
            routes.add((str(getattr(method, "value", method)).upper(), "/" + trigger.route.strip("/")))
    return routes


def test_every_public_and_manage_route_is_documented():
    api_routes = {(m, r) for m, r in _http_routes() if r.startswith(("/public/", "/manage/"))}
    document = build_document(ENDPOINTS, "test", "0")  # after the app is loaded: it fills ENDPOINTS
    documented = {(m.upper(), path) for path, methods in document["paths"].items() for m in methods}
    api_routes.discard(("GET", "/public/openapi.json"))
    assert api_routes - documented == set()


def test_every_documented_operation_has_an_error_schema_for_its_auth_failure():
    app_functions()  # loads the app, which fills ENDPOINTS
    document = build_document(ENDPOINTS, "test", "0")
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if operation["security"]:
                assert "401" in operation["responses"], f"{method.upper()} {path} lacks 401"
