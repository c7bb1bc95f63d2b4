"""Durable HTTP calls (``context.call_http``) against a loopback server the test starts.

The extension's behaviour, which devhost follows (docs/devhost.md, "Durable HTTP"):
  * https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-features
    (consuming HTTP APIs, HTTP 202 handling, managed identities)
  * the response is the ``DurableHttpResponse`` JSON: ``statusCode``, ``headers`` (without the
    content headers, as .NET's ``HttpResponseMessage.Headers``), ``content``; any status is an answer
  * the managed-identity token comes from ``DefaultAzureCredential``; here its managed-identity
    source talks to the loopback server's App Service token endpoint (IDENTITY_ENDPOINT).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.devhost.helpers import (
    APPS_DIR,
    ORCHESTRATION_TIMEOUT_S,
    DevHost,
    free_port,
    start_orchestration,
    wait_for_terminal,
)

CALL_HTTP_APP = APPS_DIR / "call_http_app"
IDENTITY_HEADER = "identity-header-for-tests"
POLLS_UNTIL_DONE = 3  # the status endpoint answers 202, 202, then 200


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class HttpTarget:
    """What the orchestrators call: a real HTTP server on 127.0.0.1 that records every request."""

    server: ThreadingHTTPServer
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def requests_to(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if urlsplit(s.path).path == path]


def _handler(target: HttpTarget) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: str, headers: list[tuple[str, str]] = ()) -> None:
            data = body.encode()
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> tuple[str, int]:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            with target.lock:
                target.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                count = len([s for s in target.seen if s.path == self.path])
            return body, count

        def do_GET(self) -> None:
            _, count = self._record()
            path = urlsplit(self.path).path
            if path == "/hello":
                self._answer(
                    200,
                    "hello, devhost",
                    [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("X-Sample", "one"),
                        ("Set-Cookie", "a=1"),
                        ("Set-Cookie", "b=2"),
                    ],
                )
            elif path == "/broken":
                self._answer(500, "boom", [("Content-Type", "text/plain")])
            elif path == "/whoami":
                self._answer(200, self.headers.get("Authorization", "<none>"))
            elif path.startswith("/jobs/") and path.endswith("/status"):
                if count < POLLS_UNTIL_DONE:
                    self._answer(202, "running", [("Location", target.url(path)), ("Retry-After", "1")])
                else:
                    self._answer(200, json.dumps({"job": path.split("/")[2], "state": "done"}))
            elif path == "/msi/token":  # App Service managed identity, api-version 2019-08-01
                resource = parse_qs(urlsplit(self.path).query)["resource"][0]
                if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER or "denied" in resource:
                    self._answer(400, json.dumps({"error": "invalid_resource"}))
                else:
                    token = {
                        "access_token": f"token-for-{resource}",
                        "expires_on": "4102444800",
                        "resource": resource,
                        "token_type": "Bearer",
                    }
                    self._answer(200, json.dumps(token), [("Content-Type", "application/json")])
            else:
                self._answer(404, "no such path")

        def do_POST(self) -> None:
            body, _ = self._record()
            path = urlsplit(self.path).path
            if path == "/echo":
                echoed = {
                    "body": body,
                    "contentType": self.headers.get("Content-Type"),
                    "trace": self.headers.get("X-Trace"),
                }
                self._answer(200, json.dumps(echoed), [("Content-Type", "application/json")])
            elif path.startswith("/jobs/"):
                status = target.url(f"{path}/status")
                self._answer(202, "accepted", [("Location", status), ("Retry-After", "1")])
            else:
                self._answer(404, "no such path")

    return Handler


@pytest.fixture(scope="module")
def target() -> Iterator[HttpTarget]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    served = HttpTarget(server)
    server.RequestHandlerClass = _handler(served)
    thread = threading.Thread(target=server.serve_forever, name="call-http-target", daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _host_environment(target: HttpTarget) -> dict[str, str]:
    # DefaultAzureCredential limited to its managed-identity source, whose endpoint is the target.
    return {
        "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential",
        "IDENTITY_ENDPOINT": target.url("/msi/token"),
        "IDENTITY_HEADER": IDENTITY_HEADER,
    }


@pytest.fixture(scope="module")
def host(target: HttpTarget, tmp_path_factory) -> Iterator[DevHost]:
    root = tmp_path_factory.mktemp("call-http")
    devhost = DevHost(
        app_dir=CALL_HTTP_APP,
        data_dir=root / "data",
        log_dir=root / "logs",
        environment=_host_environment(target),
    )
    with devhost:
        yield devhost


def _run(host: DevHost, orchestrator: str, call: dict) -> dict:
    started = start_orchestration(host, orchestrator, body=call)
    return wait_for_terminal(started["statusQueryGetUri"], host=host)


def _completed_output(host: DevHost, orchestrator: str, call: dict) -> Any:
    status = _run(host, orchestrator, call)
    assert status["runtimeStatus"] == "Completed", f"{status}\n{host.output()}"
    return status["output"]


def test_a_get_answers_status_headers_and_content(host, target):
    response = _completed_output(host, "call_once", {"method": "GET", "uri": target.url("/hello")})

    assert response["statusCode"] == 200
    assert response["content"] == "hello, devhost"
    assert response["headers"]["X-Sample"] == "one"
    assert response["headers"]["Set-Cookie"] == ["a=1", "b=2"]
    # .NET's HttpResponseMessage.Headers holds no content headers, so neither does the response.
    assert {name.lower() for name in response["headers"]} & {"content-type", "content-length"} == set()
    assert [s.method for s in target.requests_to("/hello")] == ["GET"]


def test_a_post_sends_its_content_and_headers(host, target):
    trace = uuid.uuid4().hex
    call = {
        "method": "POST",
        "uri": target.url("/echo"),
        "content": {"order": 7, "items": ["tea"]},
        "headers": {"Content-Type": "application/json", "X-Trace": trace},
    }
    response = _completed_output(host, "call_once", call)

    echoed = json.loads(response["content"])
    assert response["statusCode"] == 200
    assert json.loads(echoed["body"]) == {"order": 7, "items": ["tea"]}  # the SDK JSON-encodes it
    assert echoed["contentType"] == "application/json"
    assert echoed["trace"] == trace


def test_a_202_with_location_is_polled_until_it_answers_200(host, target):
    job = uuid.uuid4().hex
    call = {
        "method": "POST",
        "uri": target.url(f"/jobs/{job}"),
        "content": {"job": job},
        "headers": {"Content-Type": "application/json", "x-functions-key": "secret", "X-Trace": job},
    }
    started = start_orchestration(host, "call_once", body=call)
    status = wait_for_terminal(started["statusQueryGetUri"], host=host, showHistory="true")

    assert status["runtimeStatus"] == "Completed", f"{status}\n{host.output()}"
    assert status["output"]["statusCode"] == 200
    assert json.loads(status["output"]["content"]) == {"job": job, "state": "done"}
    assert len(target.requests_to(f"/jobs/{job}")) == 1
    polls = target.requests_to(f"/jobs/{job}/status")
    assert len(polls) == POLLS_UNTIL_DONE
    assert {p.method for p in polls} == {"GET"}
    assert all(p.headers.get("X-Trace") == job and "x-functions-key" not in p.headers for p in polls)
    # One BuiltIn::HttpActivity task for the whole call: the polling is not in the history.
    completed = [e for e in status["historyEvents"] if e["EventType"] == "TaskCompleted"]
    assert [e["FunctionName"] for e in completed] == ["BuiltIn::HttpActivity"]


def test_a_500_is_a_response_not_a_failure(host, target):
    response = _completed_output(host, "call_once", {"method": "GET", "uri": target.url("/broken")})

    assert response["statusCode"] == 500
    assert response["content"] == "boom"


def test_an_unreachable_endpoint_fails_the_task_clearly(host):
    unreachable = f"http://127.0.0.1:{free_port()}/nothing-listens"

    status = _run(host, "call_once", {"method": "GET", "uri": unreachable})
    assert status["runtimeStatus"] == "Failed", status
    assert status["output"].startswith("Orchestrator function 'call_once' failed: ")
    assert f"The HTTP request GET {unreachable} failed: Cannot connect to host" in status["output"]

    caught = _completed_output(host, "call_and_catch", {"method": "GET", "uri": unreachable})
    assert caught["caught"].startswith(f"The HTTP request GET {unreachable} failed: ")
    assert not caught["caught"].endswith("None")


def test_a_header_that_cannot_be_sent_fails_the_task_not_the_host(host, target):
    call = {"method": "GET", "uri": target.url("/hello"), "headers": {"X-Injected": "a\r\nb"}}
    caught = _completed_output(host, "call_and_catch", call)["caught"]

    assert caught.startswith(f"call_http could not send to {target.url('/hello')!r}: ValueError: ")
    response = _completed_output(host, "call_once", {"method": "GET", "uri": target.url("/hello")})
    assert response["statusCode"] == 200  # the host goes on serving calls


def test_multipart_content_is_refused_with_the_extensions_words(host, target):
    sent_before = len(target.requests_to("/echo"))
    call = {
        "method": "POST",
        "uri": target.url("/echo"),
        "content": "--b--",
        "headers": {"Content-Type": "multipart/form-data; boundary=b"},
    }
    caught = _completed_output(host, "call_and_catch", call)["caught"]

    assert caught.startswith("Multipart content is not supported with CallHttpAsync.")
    assert len(target.requests_to("/echo")) == sent_before


def test_the_tasks_after_a_polled_call_get_their_own_results(host, target):
    job = uuid.uuid4().hex
    calls = {
        "first": {"method": "POST", "uri": target.url(f"/jobs/{job}")},
        "second": {"method": "GET", "uri": target.url("/hello")},
    }
    output = _completed_output(host, "call_then_continue", calls)

    assert output == {
        "first": 200,
        "shouted": json.dumps({"job": job, "state": "done"}).upper(),
        "second": "hello, devhost",
    }


def test_a_managed_identity_token_source_sends_a_bearer_token(host, target):
    call = {"method": "GET", "uri": target.url("/whoami"), "resource": "api://omniagent-tests"}
    response = _completed_output(host, "call_once", call)

    assert response["content"] == "Bearer token-for-api://omniagent-tests"
    token_requests = [s for s in target.requests_to("/msi/token") if "omniagent-tests" in s.path]
    assert len(token_requests) == 1  # DefaultAzureCredential caches the token


def test_a_token_source_without_a_token_fails_naming_the_settings(host, target):
    call = {"method": "GET", "uri": target.url("/whoami"), "resource": "api://denied"}
    caught = _completed_output(host, "call_and_catch", call)["caught"]

    assert caught.startswith("ManagedIdentityTokenSource('api://denied') got no token")
    for setting in ("AZURE_CLIENT_ID", "az login", "IDENTITY_ENDPOINT", "AZURE_TOKEN_CREDENTIALS"):
        assert setting in caught
    assert "App Service managed identity" in caught  # then the credential's own words
    assert len([s for s in target.requests_to("/msi/token") if "denied" in s.path]) >= 1


def test_a_restart_goes_on_polling_without_sending_the_request_again(target, tmp_path):
    devhost = DevHost(
        app_dir=CALL_HTTP_APP,
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        environment=_host_environment(target),
    )
    devhost.start()
    try:
        job = uuid.uuid4().hex
        call = {"method": "POST", "uri": target.url(f"/jobs/{job}")}
        started = start_orchestration(devhost, "call_once", body=call)
        deadline = time.monotonic() + ORCHESTRATION_TIMEOUT_S
        while not target.requests_to(f"/jobs/{job}/status") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert target.requests_to(f"/jobs/{job}/status"), devhost.output()
        devhost.kill()  # SIGKILL while the call waits for its next poll
        devhost.restart_on_new_port()
        status = wait_for_terminal(devhost.rebase(started["statusQueryGetUri"]), host=devhost)
    finally:
        devhost.stop()

    assert status["runtimeStatus"] == "Completed", status
    assert status["output"]["statusCode"] == 200
    assert len(target.requests_to(f"/jobs/{job}")) == 1  # the job was started once
    # at least once: a poll under way at the kill may be sent again
    assert len(target.requests_to(f"/jobs/{job}/status")) in (POLLS_UNTIL_DONE, POLLS_UNTIL_DONE + 1)
