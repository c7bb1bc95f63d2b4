"""Helpers for the durable entity tests: the entities sample app and the entity HTTP API."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

from tests.devhost.helpers import (
    APPS_DIR,
    DURABLE_WEBHOOKS,
    ORCHESTRATION_TIMEOUT_S,
    POLL_INTERVAL_S,
    DevHost,
    start_orchestration,
    wait_for_terminal,
)

ENTITIES_APP = APPS_DIR / "entities_app"


def unique_key(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def entity_api_url(host: DevHost, name: str, key: str | None = None) -> str:
    path = f"{DURABLE_WEBHOOKS}/entities/{name}"
    return host.url(path if key is None else f"{path}/{key}")


def read_through_client(host: DevHost, name: str, key: str) -> dict[str, Any]:
    """The app's HTTP function that calls ``client.read_entity_state``: {"exists", "state"}."""
    response = requests.get(host.url(f"/api/entities/{name}/{key}"), timeout=30)
    assert response.status_code == 200, f"{response.status_code}: {response.text}\n{host.output()}"
    body: dict[str, Any] = response.json()
    return body


def signal_through_client(host: DevHost, name: str, key: str, operation: str, value: Any = None) -> None:
    """The app's HTTP function that calls ``client.signal_entity``."""
    kwargs = {} if value is None else {"json": value}
    response = requests.post(host.url(f"/api/entities/{name}/{key}/{operation}"), timeout=30, **kwargs)
    assert response.status_code == 202, f"{response.status_code}: {response.text}\n{host.output()}"


def wait_for_entity_state(host: DevHost, name: str, key: str, expected: Any) -> dict[str, Any]:
    """Poll ``client.read_entity_state`` until the entity exists with the expected state."""
    deadline = time.monotonic() + ORCHESTRATION_TIMEOUT_S
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        last = read_through_client(host, name, key)
        if last["exists"] and last["state"] == expected:
            return last
        time.sleep(POLL_INTERVAL_S)
    raise AssertionError(f"{name}/{key} never reached {expected!r}; last {last}\n{host.output()}")


def run_orchestration(host: DevHost, name: str, body: Any) -> dict[str, Any]:
    started = start_orchestration(host, name, body=body)
    return wait_for_terminal(started["statusQueryGetUri"], host=host)
