"""Plain HTTP triggers of the durable_samples app: the host's HTTP features.

Reference: "Azure Functions HTTP trigger"
(https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger),
host.json reference (extensions.http.routePrefix) and "Develop Azure Functions locally using
Core Tools" (local.settings.json Values become environment variables).
"""

from __future__ import annotations

import requests


def test_host_status_reports_running(samples_host):
    response = requests.get(
        samples_host.url("/admin/host/status"), headers=samples_host.admin_headers(), timeout=10
    )
    assert response.status_code == 200
    assert response.json()["state"] == "Running"


def test_route_parameter_is_passed_to_a_sync_handler(samples_host):
    response = requests.get(samples_host.url("/api/hello/Seattle"), timeout=10)
    assert response.status_code == 200
    assert response.text == "Hello, Seattle!"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_route_parameter_is_url_decoded(samples_host):
    response = requests.get(samples_host.url("/api/hello/S%C3%A3o%20Paulo"), timeout=10)
    assert response.status_code == 200
    assert response.text == "Hello, São Paulo!"


def test_route_prefix_api_is_applied(samples_host):
    assert requests.get(samples_host.url("/hello/Seattle"), timeout=10).status_code == 404


def test_unknown_route_is_404(samples_host):
    assert requests.get(samples_host.url("/api/no/such/route"), timeout=10).status_code == 404


def test_constrained_and_optional_route_parameters(samples_host):
    full = requests.get(samples_host.url("/api/products/electronics/357"), timeout=10)
    assert full.status_code == 200
    assert full.json() == {"category": "electronics", "id": "357"}

    optional_missing = requests.get(samples_host.url("/api/products/electronics"), timeout=10)
    assert optional_missing.status_code == 200
    assert optional_missing.json()["category"] == "electronics"
    assert not optional_missing.json()["id"]


def test_catch_all_route_parameter_captures_the_rest_of_the_path(samples_host):
    response = requests.get(samples_host.url("/api/files/reports/2024/q1/summary.txt"), timeout=10)
    assert response.status_code == 200
    assert response.json() == {"method": "GET", "path": "reports/2024/q1/summary.txt"}


def test_route_without_methods_accepts_any_method(samples_host):
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        response = requests.request(method, samples_host.url("/api/files/a/b"), timeout=10)
        assert response.status_code == 200, (method, response.status_code, response.text)
        assert response.json() == {"method": method, "path": "a/b"}


def test_query_parameters_are_available(samples_host):
    response = requests.get(
        samples_host.url("/api/search"), params={"q": "durable functions", "page": "3"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {
        "q": "durable functions",
        "page": 3,
        "params": {"q": "durable functions", "page": "3"},
    }


def test_request_headers_are_available_case_insensitively(samples_host):
    response = requests.get(
        samples_host.url("/api/headers"),
        headers={"X-Custom-Header": "custom-value", "Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json() == {
        "custom": "custom-value",
        "customUpper": "custom-value",
        "accept": "application/json",
    }


def test_json_body_is_echoed_by_an_async_handler(samples_host):
    body = {"name": "Ada", "tags": ["math", "engines"], "nested": {"n": 1, "ok": True, "none": None}}
    response = requests.post(samples_host.url("/api/echo"), json=body, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"method": "POST", "received": body}


def test_invalid_json_body_gets_the_handlers_400(samples_host):
    response = requests.post(
        samples_host.url("/api/echo"),
        data="not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.text == "Request body must be JSON"


def test_multiple_methods_on_one_route(samples_host):
    url = samples_host.url("/api/items/42")
    got = requests.get(url, timeout=10)
    assert got.status_code == 200
    assert got.json() == {"method": "GET", "id": "42", "body": ""}

    put = requests.put(url, data="new value", headers={"Content-Type": "text/plain"}, timeout=10)
    assert put.status_code == 200
    assert put.json() == {"method": "PUT", "id": "42", "body": "new value"}

    deleted = requests.delete(url, timeout=10)
    assert deleted.status_code == 200
    assert deleted.json() == {"method": "DELETE", "id": "42", "body": ""}


def test_method_not_listed_for_a_route_is_rejected(samples_host):
    response = requests.post(samples_host.url("/api/items/42"), data="x", timeout=10)
    assert response.status_code in (404, 405)


def test_async_handler(samples_host):
    response = requests.post(samples_host.url("/api/async-sum"), json={"numbers": [1, 2, 3, 4.5]}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"sum": 10.5, "handler": "async"}


def test_sync_handler_reads_the_raw_body(samples_host):
    response = requests.post(
        samples_host.url("/api/sync-upper"),
        data=b"hello functions",
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.text == "HELLO FUNCTIONS"
    assert response.headers["X-Handler"] == "sync"


def test_custom_status_code_and_headers_are_returned(samples_host):
    response = requests.post(samples_host.url("/api/created"), json={"name": "widget"}, timeout=10)
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/items/widget"
    assert response.headers["X-Sample-Header"] == "sample-value"
    assert response.json() == {"created": "widget"}


def test_handler_chosen_status_codes_pass_through(samples_host):
    for code in (202, 400, 403, 409, 418, 503):
        response = requests.get(samples_host.url(f"/api/respond/{code}"), timeout=10)
        assert response.status_code == code
        assert response.headers["X-Status-Echo"] == str(code)


def test_unhandled_exception_in_a_function_is_500(samples_host):
    response = requests.get(samples_host.url("/api/boom"), timeout=10)
    assert response.status_code == 500


def test_local_settings_values_are_environment_variables(samples_host):
    response = requests.get(samples_host.url("/api/settings/SAMPLE_GREETING"), timeout=10)
    assert response.status_code == 200
    assert response.json() == {"name": "SAMPLE_GREETING", "value": "Bonjour from local.settings.json"}


def test_existing_environment_variables_win_over_local_settings(samples_host):
    # The fixture starts the host with SAMPLE_OVERRIDDEN=from-process-environment.
    response = requests.get(samples_host.url("/api/settings/SAMPLE_OVERRIDDEN"), timeout=10)
    assert response.json() == {"name": "SAMPLE_OVERRIDDEN", "value": "from-process-environment"}
