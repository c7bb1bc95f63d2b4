"""The Event Grid trigger under devhost, delivered as Event Grid delivers to the Functions host.

This test plays Event Grid: it posts to ``/runtime/webhooks/eventgrid?functionName=on_event`` with the
``eventgrid_extension`` system key as ``code`` (the URL an Event Grid subscription is given), in both
schemas, and answers nothing itself. ``on_event`` (``tests/devhost/apps/bindings_app``) records what it
got, read back over ``GET /api/seen/events``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.azurite import Azurite
from tests.devhost.helpers import DevHost
from tests.devhost.storage_helpers import BINDINGS_APP, running_storage_host

WEBHOOK = "/runtime/webhooks/eventgrid"
ACS_TOPIC = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/c"


@pytest.fixture(scope="module")
def grid_host(azurite: Azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    root = tmp_path_factory.mktemp("event-grid")
    with running_storage_host(BINDINGS_APP, azurite, root) as host:
        yield host


def deliver(host: DevHost, body: Any, event_type: str = "Notification", **params: str) -> requests.Response:
    query = {"functionName": "on_event", "code": host.host_keys()["eventgrid_extension"], **params}
    headers = {"aeg-event-type": event_type, "aeg-delivery-count": "0"}
    return requests.post(host.url(WEBHOOK), params=query, json=body, headers=headers, timeout=30)


def events_seen(host: DevHost, marker: str) -> list[dict]:
    seen = requests.get(host.url("/api/seen/events"), timeout=30).json()
    return [e for e in seen if isinstance(e["data"], dict) and e["data"].get("marker") == marker]


def grid_event(marker: str, **data: Any) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "topic": ACS_TOPIC,
        "subject": "/caller/4:+15550100",
        "eventType": "Microsoft.Communication.IncomingCall",
        "eventTime": "2026-12-02T04:30:00.1234567Z",
        "data": {"marker": marker, **data},
        "dataVersion": "1.0",
        "metadataVersion": "1",
    }


def cloud_event(marker: str) -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct",
        "type": "Microsoft.Storage.BlobCreated",
        "subject": "/blobServices/default/containers/c/blobs/b.txt",
        "time": "2026-12-02T04:30:00Z",
        "datacontenttype": "application/json",
        "data": {"marker": marker},
    }


def test_subscription_validation_answers_the_code_and_runs_nothing(grid_host: DevHost) -> None:
    validation = grid_event("validation", validationCode="512d38b6-c7b8-40c8-89fe-f46f9e9622b6")
    validation["eventType"] = "Microsoft.EventGrid.SubscriptionValidationEvent"
    response = deliver(grid_host, [validation], event_type="SubscriptionValidation")
    assert response.status_code == 200
    assert response.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}
    assert events_seen(grid_host, "validation") == []


def test_cloud_events_validation_allows_event_grids_origin(grid_host: DevHost) -> None:
    key = grid_host.host_keys()["eventgrid_extension"]
    for origin, allowed in (
        ("eventgrid.azure.net", "eventgrid.azure.net"),
        ("eventgrid.azure.us", "eventgrid.azure.us"),
    ):
        response = requests.options(
            grid_host.url(WEBHOOK),
            params={"functionName": "on_event", "code": key},
            headers={"WebHook-Request-Origin": origin},
            timeout=30,
        )
        assert response.status_code == 200
        assert response.headers["WebHook-Allowed-Origin"] == allowed
    # An origin that is not one of Event Grid's clouds gets the public cloud's, as from the extension.
    other = requests.options(
        grid_host.url(WEBHOOK),
        params={"functionName": "on_event", "code": key},
        headers={"WebHook-Request-Origin": "attacker.example"},
        timeout=30,
    )
    assert other.headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"


def test_event_grid_schema_events_each_run_the_function_once(grid_host: DevHost) -> None:
    events = [grid_event("eg-batch", n=1), grid_event("eg-batch", n=2)]
    response = deliver(grid_host, events)
    assert (response.status_code, response.text) == (202, "")
    seen = sorted(events_seen(grid_host, "eg-batch"), key=lambda e: e["data"]["n"])
    assert [(e["class"], e["id"], e["type"], e["subject"]) for e in seen] == [
        ("EventGridEvent", events[0]["id"], "Microsoft.Communication.IncomingCall", "/caller/4:+15550100"),
        ("EventGridEvent", events[1]["id"], "Microsoft.Communication.IncomingCall", "/caller/4:+15550100"),
    ]


def test_cloud_events_one_structured_and_a_batch(grid_host: DevHost) -> None:
    one = cloud_event("ce-one")
    headers = {
        "aeg-event-type": "Notification",
        "Content-Type": "application/cloudevents+json; charset=utf-8",
    }
    key = grid_host.host_keys()["eventgrid_extension"]
    response = requests.post(
        grid_host.url(WEBHOOK),
        params={"functionName": "on_event", "code": key},
        json=one,
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 202
    [seen] = events_seen(grid_host, "ce-one")
    assert (seen["class"], seen["id"], seen["type"]) == (
        "CloudEvent",
        one["id"],
        "Microsoft.Storage.BlobCreated",
    )
    batch = deliver(grid_host, [cloud_event("ce-batch"), cloud_event("ce-batch")])
    assert batch.status_code == 202
    assert len(events_seen(grid_host, "ce-batch")) == 2


def test_a_failing_run_answers_500_so_event_grid_retries(grid_host: DevHost) -> None:
    response = deliver(grid_host, [grid_event("fails", fail=True), grid_event("fails")])
    assert response.status_code == 500
    assert "the event asked to fail" in response.text
    assert len(events_seen(grid_host, "fails")) == 2  # both ran


def test_a_wrong_or_missing_key_is_refused_before_anything_runs(grid_host: DevHost) -> None:
    url = grid_host.url(WEBHOOK)
    body = [grid_event("unkeyed")]
    headers = {"aeg-event-type": "Notification"}
    for params in ({"functionName": "on_event"}, {"functionName": "on_event", "code": "not-the-key"}):
        response = requests.post(url, params=params, json=body, headers=headers, timeout=30)
        assert (response.status_code, response.content) == (401, b"")
    durable_key = {"functionName": "on_event", "code": grid_host.host_keys()["durabletask_extension"]}
    assert requests.post(url, params=durable_key, json=body, headers=headers, timeout=30).status_code == 401
    assert events_seen(grid_host, "unkeyed") == []
    # The master key opens every system webhook, as on the host.
    master = requests.post(
        url,
        params={"functionName": "on_event"},
        json=body,
        headers={**headers, **grid_host.admin_headers()},
        timeout=30,
    )
    assert master.status_code == 202
    assert len(events_seen(grid_host, "unkeyed")) == 1


def test_unknown_function_and_unknown_delivery_kind(grid_host: DevHost) -> None:
    unknown = deliver(grid_host, [grid_event("nowhere")], functionName="place_order")
    assert (unknown.status_code, unknown.text) == (404, "cannot find function: 'place_order'")
    assert deliver(grid_host, [grid_event("odd")], event_type="Surprise").status_code == 400
    assert deliver(grid_host, [], event_type="Unsubscribe").status_code == 202
    assert events_seen(grid_host, "nowhere") == events_seen(grid_host, "odd") == []


def test_the_admin_api_hands_out_the_system_key(grid_host: DevHost) -> None:
    path = "/admin/host/systemkeys/eventgrid_extension"
    assert requests.get(grid_host.url(path), timeout=30).status_code == 401
    answer = requests.get(grid_host.url(path), headers=grid_host.admin_headers(), timeout=30)
    assert answer.json() == {
        "name": "eventgrid_extension",
        "value": grid_host.host_keys()["eventgrid_extension"],
    }
