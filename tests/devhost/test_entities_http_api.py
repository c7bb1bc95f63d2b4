"""The entity routes of the Durable Functions HTTP API ("HTTP API reference": signal entity, get
entity, list entities), at the public webhook prefix and at the SDK's rpcBaseUrl prefix.

The body of a signal becomes the operation input as the extension makes it: ``application/json``
content is passed as JSON, other content as a string. The Python SDK's ``get_input`` decodes the
string form (what ``client.signal_entity`` sends), so a raw JSON number posted as
``application/json`` fails inside the entity (azure-functions-durable-python#346) while the same
text posted as ``text/plain`` works.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.devhost.entity_helpers import (
    ENTITIES_APP,
    entity_api_url,
    signal_through_client,
    unique_key,
    wait_for_entity_state,
)
from tests.devhost.helpers import DURABLE_WEBHOOKS, ORCHESTRATION_TIMEOUT_S, POLL_INTERVAL_S, DevHost


@pytest.fixture(scope="module")
def host(devhost_factory) -> DevHost:
    return devhost_factory(ENTITIES_APP, "entities-http-api")


def _signal(
    host: DevHost, name: str, key: str, operation: str, body: str, content_type: str
) -> requests.Response:
    return requests.post(
        entity_api_url(host, name, key),
        params={"op": operation},
        data=body.encode(),
        headers={**host.admin_headers(), "Content-Type": content_type},
        timeout=30,
    )


def _get(host: DevHost, url: str, **params: str) -> requests.Response:
    return requests.get(url, params=params or None, headers=host.admin_headers(), timeout=30)


def test_signal_and_read_an_entity(host):
    key = unique_key("api")
    assert _get(host, entity_api_url(host, "Counter", key)).status_code == 404

    assert _signal(host, "Counter", key, "add", "5", "text/plain").status_code == 202
    # The SDK's own shape: a JSON string holding the JSON text.
    assert _signal(host, "Counter", key, "add", '"4"', "application/json").status_code == 202
    wait_for_entity_state(host, "Counter", key, 9)

    read = _get(host, entity_api_url(host, "counter", key))
    assert read.status_code == 200
    assert read.headers["Content-Type"].startswith("application/json")
    assert read.json() == 9
    # The rpcBaseUrl prefix the Python SDK calls serves the same entity.
    assert _get(host, host.url(f"/durabletask/entities/Counter/{key}")).json() == 9


def test_raw_json_bodies_reach_the_entity_as_the_extension_passes_them(host):
    key = unique_key("raw")
    assert _signal(host, "Counter", key, "add", "5", "application/json").status_code == 202
    assert _signal(host, "Counter", key, "add", "1", "text/plain").status_code == 202

    # The first operation failed in the SDK's get_input; only the second one counted.
    assert wait_for_entity_state(host, "Counter", key, 1)["state"] == 1


def test_delete_removes_the_entity(host):
    key = unique_key("gone")
    signal_through_client(host, "Counter", key, "add", 3)
    wait_for_entity_state(host, "Counter", key, 3)

    deleted = requests.delete(entity_api_url(host, "Counter", key), headers=host.admin_headers(), timeout=30)
    assert deleted.status_code == 202
    deadline = time.monotonic() + ORCHESTRATION_TIMEOUT_S
    while _get(host, entity_api_url(host, "Counter", key)).status_code != 404:
        assert time.monotonic() < deadline, f"the delete operation never ran\n{host.output()}"
        time.sleep(POLL_INTERVAL_S)
    listed = _get(host, entity_api_url(host, "Counter"))
    assert key not in [e["entityId"]["key"] for e in listed.json()]


def test_list_entities_by_name_with_state_and_pages(host):
    keys = sorted(unique_key("listed") for _ in range(3))
    for value, key in enumerate(keys, start=1):
        signal_through_client(host, "Account", key, "deposit", value)
    for value, key in enumerate(keys, start=1):
        wait_for_entity_state(host, "Account", key, value)

    with_state = _get(host, entity_api_url(host, "Account"), fetchState="true").json()
    mine = {e["entityId"]["key"]: e for e in with_state if e["entityId"]["key"] in keys}
    assert {k: e["state"] for k, e in mine.items()} == {keys[0]: 1, keys[1]: 2, keys[2]: 3}
    assert all(e["entityId"]["name"] == "account" for e in with_state)
    assert all(e["lastOperationTime"].endswith("Z") for e in mine.values())

    without_state = _get(host, entity_api_url(host, "Account")).json()
    assert all(e["state"] is None for e in without_state)

    seen: list[str] = []
    token = None
    while True:
        headers = {**host.admin_headers(), **({"x-ms-continuation-token": token} if token else {})}
        page = requests.get(entity_api_url(host, "Account"), params={"top": "1"}, headers=headers, timeout=30)
        assert page.status_code == 200
        assert len(page.json()) <= 1
        seen += [e["entityId"]["key"] for e in page.json()]
        token = page.headers.get("x-ms-continuation-token")
        if not token:
            break
    assert set(keys) <= set(seen)
    assert sorted(seen) == sorted(e["entityId"]["key"] for e in without_state)  # each once

    everything = _get(host, host.url(f"{DURABLE_WEBHOOKS}/entities"), fetchState="true").json()
    assert set(keys) <= {e["entityId"]["key"] for e in everything}
    future = _get(host, entity_api_url(host, "Account"), lastOperationTimeFrom="2999-01-01T00:00:00Z")
    assert future.json() == []
    offset = _get(host, entity_api_url(host, "Account"), lastOperationTimeTo="2000-01-01T00:00:00+02:00")
    assert offset.json() == []


def test_bad_entity_requests_get_a_clear_4xx(host):
    unknown = _signal(host, "Nobody", "k", "add", "1", "text/plain")
    assert unknown.status_code == 400
    assert unknown.json() == {
        "Message": "The function 'nobody' doesn't exist, is disabled, or is not an entity function. "
        "Additional info: The following are the known entity functions: 'account', 'counter'."
    }

    not_json = _signal(host, "Counter", "k", "add", "{nope", "application/json")
    assert not_json.status_code == 400
    assert not_json.json()["Message"].startswith("Could not parse JSON content:")

    bad_date = _get(host, entity_api_url(host, "Counter"), lastOperationTimeFrom="yesterday")
    assert bad_date.status_code == 400
    assert "lastOperationTimeFrom" in bad_date.json()["Message"]

    bad_top = _get(host, entity_api_url(host, "Counter"), top="-1")
    assert bad_top.status_code == 400

    no_key = requests.get(entity_api_url(host, "Counter", "k"), timeout=30)
    assert no_key.status_code == 401


def test_purging_an_entity_id_deletes_the_entity(host):
    key = unique_key("purged")
    signal_through_client(host, "Counter", key, "add", 2)
    wait_for_entity_state(host, "Counter", key, 2)

    purged = requests.delete(
        host.url(f"{DURABLE_WEBHOOKS}/instances/@counter@{key}"), headers=host.admin_headers(), timeout=30
    )
    assert purged.status_code == 200
    assert purged.json() == {"instancesDeleted": 1}
    assert _get(host, entity_api_url(host, "Counter", key)).status_code == 404
