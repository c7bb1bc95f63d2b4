"""A durable client binding on an Event Grid trigger (as on HTTP triggers): the trigger gets the
client and starts an orchestration, which runs to its end (``tests/devhost/apps/trigger_client_app``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.azurite import Azurite
from tests.devhost.helpers import REPO_ROOT, DevHost
from tests.devhost.storage_helpers import running_storage_host

APP = REPO_ROOT / "tests" / "devhost" / "apps" / "trigger_client_app"


@pytest.fixture(scope="module")
def client_host(azurite: Azurite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    root = tmp_path_factory.mktemp("trigger-client")
    with running_storage_host(APP, azurite, root) as host:
        yield host


def test_an_event_grid_trigger_starts_an_orchestration_with_its_durable_client(client_host: DevHost):
    instance_id = f"call-{uuid.uuid4().hex[:8]}"
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "topic": "/subscriptions/s/providers/Microsoft.Communication/communicationServices/c",
        "subject": "/caller/4:+15550100",
        "eventType": "Microsoft.Communication.IncomingCall",
        "eventTime": "2026-12-02T04:30:00Z",
        "data": {"instanceId": instance_id, "name": "Ada"},
        "dataVersion": "1.0",
    }
    delivered = requests.post(
        client_host.url("/runtime/webhooks/eventgrid"),
        params={"functionName": "on_call", "code": client_host.host_keys()["eventgrid_extension"]},
        json=[event],
        headers={"aeg-event-type": "Notification"},
        timeout=30,
    )
    assert delivered.status_code == 202, delivered.text
    status_url = client_host.url(f"/runtime/webhooks/durabletask/instances/{instance_id}")
    deadline = time.monotonic() + 30
    status: dict = {}
    while time.monotonic() < deadline:
        response = requests.get(status_url, headers=client_host.admin_headers(), timeout=30)
        status = response.json() if response.status_code == 200 else {}
        if status.get("runtimeStatus") == "Completed":
            break
        time.sleep(0.1)
    assert (status.get("runtimeStatus"), status.get("output")) == ("Completed", "Hello, Ada.")
