"""What the devhost answers itself (issue 16, defect 9; ``devhost/http_edges.py``): its own 404/405/413
with the app's JSON error body (they were ``text/plain``), ``HEAD`` on ``GET`` routes, and CORS as
``func start`` applies ``Host.CORS`` / ``Host.CORSCredentials`` from local.settings.json (preflights
were refused)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from tests.devhost.helpers import APPS_DIR, DevHost

CORS_APP = APPS_DIR / "cors_app"
T = 10
ERROR_FIELDS = {"code", "description", "type", "numericType"}


@pytest.fixture(scope="module")
def listed_host(devhost_factory) -> DevHost:
    """Host.CORS names two origins, with credentials."""
    return devhost_factory(CORS_APP, "cors-listed")


@pytest.fixture(scope="module")
def any_origin_host(devhost_factory, tmp_path_factory) -> DevHost:
    """The same app with `"CORS": "*"` (as this repository's local.settings.json has)."""
    app_dir = Path(tmp_path_factory.mktemp("cors-any")) / "app"
    shutil.copytree(CORS_APP, app_dir)
    settings = json.loads((app_dir / "local.settings.json").read_text())
    settings["Host"] = {"CORS": "*"}
    (app_dir / "local.settings.json").write_text(json.dumps(settings))
    return devhost_factory(app_dir, "cors-any-host")


def _json_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_FIELDS and body["code"] == code and body["type"] == body["numericType"]
    return body


def test_no_route_is_a_404_with_the_json_error_body(listed_host):
    _json_error(requests.get(listed_host.url("/no/such/route"), timeout=T), 404, "NotFound")


def test_a_method_the_route_does_not_take_is_a_405_with_allow_and_the_json_error_body(listed_host):
    on_get = requests.delete(listed_host.url("/greeting"), timeout=T)
    on_post = requests.get(listed_host.url("/notes"), timeout=T)

    body = _json_error(on_get, 405, "MethodNotAllowed")
    assert "DELETE" in body["description"]
    assert on_get.headers["Allow"].replace(" ", "").split(",") == ["GET", "HEAD"]
    _json_error(on_post, 405, "MethodNotAllowed")
    assert on_post.headers["Allow"] == "POST"


def test_a_body_over_the_host_limit_is_a_413_with_the_json_error_body(devhost_factory, tmp_path):
    app_dir = tmp_path / "app"
    shutil.copytree(CORS_APP, app_dir)
    settings = json.loads((app_dir / "local.settings.json").read_text())
    settings["Values"]["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"] = "1024"
    (app_dir / "local.settings.json").write_text(json.dumps(settings))
    host = devhost_factory(app_dir, "small-limit")

    body = _json_error(requests.post(host.url("/notes"), data=b"x" * 2048, timeout=T), 413, "PayloadTooLarge")
    assert "1024" in body["description"]
    assert requests.post(host.url("/notes"), data=b"x" * 512, timeout=T).status_code == 201


def test_head_on_a_get_route_answers_the_gets_status_and_headers_without_a_body(listed_host):
    got = requests.get(listed_host.url("/greeting"), timeout=T)
    head = requests.head(listed_host.url("/greeting"), timeout=T)

    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert head.headers["Content-Length"] == got.headers["Content-Length"] == str(len(got.content))
    assert head.headers["X-Method-Seen"] == "HEAD"  # the function sees the request as it came
    assert requests.head(listed_host.url("/notes"), timeout=T).status_code == 405  # POST only


def _preflight(host: DevHost, path: str, origin: str, method: str = "POST") -> requests.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type,x-api-key",
    }
    return requests.options(host.url(path), headers=headers, timeout=T)


def test_a_preflight_from_a_listed_origin_is_answered_by_the_host_with_credentials(listed_host):
    answer = _preflight(listed_host, "/notes", "http://other.example:8080")
    unrouted = _preflight(listed_host, "/no/such/route", "http://app.example", "DELETE")

    assert (answer.status_code, answer.content) == (204, b"")
    assert answer.headers["Access-Control-Allow-Origin"] == "http://other.example:8080"
    assert answer.headers["Access-Control-Allow-Methods"] == "POST"
    assert answer.headers["Access-Control-Allow-Headers"] == "content-type,x-api-key"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert answer.headers["Vary"] == "Origin"
    assert unrouted.status_code == 204  # the middleware answers before routing, as the host's does
    assert unrouted.headers["Access-Control-Allow-Methods"] == "DELETE"


def test_an_unlisted_origin_gets_no_cors_headers_on_a_preflight_or_an_answer(listed_host):
    preflight = _preflight(listed_host, "/notes", "http://evil.example")
    answer = requests.get(listed_host.url("/greeting"), headers={"Origin": "http://evil.example"}, timeout=T)

    assert preflight.status_code == 204
    assert answer.status_code == 200
    for response in (preflight, answer):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]


def test_answers_to_an_allowed_origin_carry_it_errors_included(listed_host):
    origin = {"Origin": "http://app.example"}
    answer = requests.get(listed_host.url("/greeting"), headers=origin, timeout=T)
    missing = requests.get(listed_host.url("/nothing"), headers=origin, timeout=T)
    plain = requests.get(listed_host.url("/greeting"), timeout=T)

    for response in (answer, missing):
        assert response.headers["Access-Control-Allow-Origin"] == "http://app.example"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert missing.status_code == 404
    assert "Access-Control-Allow-Origin" not in plain.headers  # no Origin, no CORS


def test_cors_star_allows_any_origin_without_echoing_it(any_origin_host):
    preflight = _preflight(any_origin_host, "/notes", "http://anywhere.example")
    answer = requests.get(any_origin_host.url("/greeting"), headers={"Origin": "http://x.example"}, timeout=T)

    assert (preflight.status_code, preflight.headers["Access-Control-Allow-Origin"]) == (204, "*")
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_without_host_cors_a_preflight_reaches_the_routes(samples_host):
    response = _preflight(samples_host, "/api/echo", "http://app.example")

    _json_error(response, 405, "MethodNotAllowed")  # the echo route takes POST only
    assert "Access-Control-Allow-Origin" not in response.headers
