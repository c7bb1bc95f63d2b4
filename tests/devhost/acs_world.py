"""The far side of the ACS stand-in's tests: a loopback receiver for callbacks and IncomingCall events
(as the app's HTTP and Event Grid triggers would be), and the stand-in's control API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from azure.communication.callautomation import CallAutomationClient

from tests.devhost.helpers import DevHost

WAIT_S = 15.0
STATE_FILE = "acs-stand-in.json"
CALLER = "+15551230001"
AGENT_NUMBER = "+14445550100"
EVENT_TYPE = "Microsoft.Communication."


@dataclass
class Received:
    path: str  # path and query, as requested
    headers: dict[str, str]  # lower-cased names
    body: Any


@dataclass
class Receiver:
    """Records every POST; answers 200 (or ``status_for(path)``)."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    status_for: Callable[[str], int] = lambda _path: 200
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)

    def matching(self, prefix: str) -> list[Received]:
        with self._lock:
            return [item for item in self.received if item.path.startswith(prefix)]

    def events(self, prefix: str) -> list[dict[str, Any]]:
        """The CloudEvents posted to paths starting with ``prefix``, in order."""
        return [event for item in self.matching(prefix) for event in item.body]

    def wait_for(self, prefix: str, count: int, what: str) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            found = self.events(prefix)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(
            f"timed out waiting for {what}; got {[e.get('type') for e in self.events(prefix)]}"
        )

    def wait_for_type(self, prefix: str, event_type: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for event in self.events(prefix):
                if event.get("type") == event_type:
                    return event
            time.sleep(0.02)
        raise AssertionError(
            f"timed out waiting for {event_type}; got {[e.get('type') for e in self.events(prefix)]}"
        )


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            receiver.record(
                Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw) if raw else None,
                )
            )
            self.send_response(receiver.status_for(self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class AcsControl:
    """The stand-in's control API on a devhost, and the identity it keeps in the host's data dir."""

    host: DevHost

    @property
    def identity(self) -> dict[str, str]:
        return json.loads((self.host.data_dir / STATE_FILE).read_text())

    @property
    def connection_string(self) -> str:
        return f"endpoint={self.host.base_url}/;accesskey={self.identity['accessKey']}"

    def _url(self, path: str) -> str:
        return self.host.url(f"/devhost/acs/calls{path}")

    def place(self, caller: str, callee: str, **options: Any) -> dict[str, Any]:
        body = {"from": caller, "to": callee, **options}
        response = requests.post(self._url(""), json=body, headers=self.host.admin_headers(), timeout=10)
        assert response.status_code == 201, response.text
        return response.json()

    def call(self, call_id: str) -> dict[str, Any]:
        response = requests.get(self._url(f"/{call_id}"), headers=self.host.admin_headers(), timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def act(self, call_id: str, action: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.post(
            self._url(f"/{call_id}/{action}"), json=body, headers=self.host.admin_headers(), timeout=10
        )

    def say(self, call_id: str, text: str) -> None:
        response = self.act(call_id, "say", {"text": text})
        assert response.status_code == 202, response.text

    def wait_for_call(self, call_id: str, predicate: Callable[[dict[str, Any]], bool], what: str) -> dict:
        deadline = time.monotonic() + WAIT_S
        record = self.call(call_id)
        while time.monotonic() < deadline:
            record = self.call(call_id)
            if predicate(record):
                return record
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; the call: {record}")


def answered_call(
    acs: AcsControl, client: CallAutomationClient, receiver: Receiver, name: str, **options: Any
) -> tuple[dict[str, Any], str]:
    """A caller dials the agent's number and the app answers; returns the call and its callback path."""
    placed = acs.place(CALLER, AGENT_NUMBER, callerDisplayName="Ada", **options)
    context = context_of(receiver, placed["correlationId"])
    callback_path = f"/callbacks/{name}?secret=s3cret-{name}"
    properties = client.answer_call(
        context, receiver.url(callback_path), cognitive_services_endpoint="https://speech.example"
    )
    assert properties.call_connection_id == placed["id"]
    receiver.wait_for_type(callback_path, EVENT_TYPE + "CallConnected")
    return placed, callback_path


def context_of(receiver: Receiver, correlation_id: str) -> str:
    """The incomingCallContext of the IncomingCall event of the call with ``correlation_id``."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for event in receiver.events("/eventgrid"):
            if event["data"]["correlationId"] == correlation_id:
                return event["data"]["incomingCallContext"]
        time.sleep(0.02)
    raise AssertionError("the IncomingCall event did not arrive")


def types(receiver: Receiver, path: str) -> list[str]:
    return [event["type"].removeprefix(EVENT_TYPE) for event in receiver.events(path)]
