"""The Durable Functions HTTP management API and the durable client binding.

Reference: "HTTP API reference" of Durable Functions
(https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-http-api) and
"Manage instances" (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-instance-management).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from tests.devhost.helpers import (
    DURABLE_WEBHOOKS,
    decoded_input,
    event_url,
    start_orchestration,
    terminate_url,
    wait_for_status,
    wait_for_terminal,
)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _instances_url(host) -> str:
    """The instances route of the HTTP API, with the host's durable key (``code``), as the host wants."""
    return host.url(f"{DURABLE_WEBHOOKS}/instances?code={host.durable_key}")


def _instance_url(host, instance_id: str, action: str = "") -> str:
    return host.url(f"{DURABLE_WEBHOOKS}/instances/{instance_id}{action}?code={host.durable_key}")


def _start_waiting_instance(host, instance_id: str | None = None) -> dict:
    """An instance that stays Running until it gets the 'Go' event."""
    started = start_orchestration(host, "wait_for_go", instance_id=instance_id)
    wait_for_status(
        started["statusQueryGetUri"],
        lambda s: s.get("customStatus") == "waiting for Go",
        "wait_for_go to wait for its event",
        host=host,
    )
    return started


# ---------------------------------------------------------------------------
# create_check_status_response and the status endpoint
# ---------------------------------------------------------------------------


def test_check_status_response_is_202_with_location_and_management_urls(samples_host):
    response = requests.post(samples_host.url("/api/orchestrators/hello_sequence"), timeout=30)

    assert response.status_code == 202, response.text
    payload = response.json()
    assert response.headers["Location"] == payload["statusQueryGetUri"]
    instance_id = payload["id"]
    assert instance_id
    base = samples_host.base_url
    expected_paths = {
        "statusQueryGetUri": f"{DURABLE_WEBHOOKS}/instances/{instance_id}",
        "sendEventPostUri": f"{DURABLE_WEBHOOKS}/instances/{instance_id}/raiseEvent/{{eventName}}",
        "terminatePostUri": f"{DURABLE_WEBHOOKS}/instances/{instance_id}/terminate",
        "purgeHistoryDeleteUri": f"{DURABLE_WEBHOOKS}/instances/{instance_id}",
    }
    for key, path in expected_paths.items():
        url = payload[key]
        assert url.startswith(base + "/"), f"{key} is not on the request's origin: {url}"
        assert urlsplit(url).path.lower() == path.lower(), (key, url)
    assert "reason={text}" in payload["terminatePostUri"]
    wait_for_terminal(payload["statusQueryGetUri"], host=samples_host)


def test_starter_uses_the_instance_id_from_the_route(samples_host):
    instance_id = _unique("explicit-id")
    started = start_orchestration(samples_host, "hello_sequence", instance_id=instance_id)

    assert started["id"] == instance_id
    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert status["instanceId"] == instance_id
    assert status["name"] == "hello_sequence"
    assert status["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


def test_status_is_202_with_location_while_running_and_200_when_completed(samples_host):
    started = _start_waiting_instance(samples_host)

    running = requests.get(started["statusQueryGetUri"], timeout=30)
    assert running.status_code == 202
    assert running.json()["runtimeStatus"] == "Running"
    assert running.json()["output"] is None
    assert "Location" in running.headers
    assert urlsplit(running.headers["Location"]).path == urlsplit(started["statusQueryGetUri"]).path

    raised = requests.post(event_url(started, "Go"), json={"name": "Ada"}, timeout=30)
    assert raised.status_code == 202, raised.text
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    done = requests.get(started["statusQueryGetUri"], timeout=30)
    assert done.status_code == 200
    body = done.json()
    assert body["runtimeStatus"] == "Completed", body
    assert body["output"] == {"received": {"name": "Ada"}, "greeting": "Hello Ada!"}
    for key in (
        "name",
        "instanceId",
        "runtimeStatus",
        "input",
        "customStatus",
        "output",
        "createdTime",
        "lastUpdatedTime",
    ):
        assert key in body, f"status payload lacks {key}: {body}"


def test_status_input_is_shown_by_default_and_hidden_with_show_input_false(samples_host):
    started = start_orchestration(samples_host, "fan_out_fan_in", body={"count": 3})
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    shown = requests.get(started["statusQueryGetUri"], timeout=30).json()
    assert decoded_input(shown) == {"count": 3}

    hidden = requests.get(started["statusQueryGetUri"], params={"showInput": "false"}, timeout=30)
    assert hidden.status_code == 200
    assert hidden.json().get("input") is None
    assert hidden.json()["output"] == {"results": [1, 4, 9], "sum": 14}


def test_show_history_returns_execution_and_task_events(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    response = requests.get(
        started["statusQueryGetUri"], params={"showHistory": "true", "showHistoryOutput": "true"}, timeout=30
    )
    assert response.status_code == 200
    history = response.json()["historyEvents"]
    event_types = [event["EventType"] for event in history]

    assert event_types[0] == "ExecutionStarted"
    assert history[0]["FunctionName"] == "hello_sequence"
    assert event_types[-1] == "ExecutionCompleted"
    assert history[-1]["OrchestrationStatus"] == "Completed"
    assert history[-1]["Result"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]

    completed = [event for event in history if event["EventType"] == "TaskCompleted"]
    assert [event["FunctionName"] for event in completed] == ["say_hello"] * 3
    assert [event["Result"] for event in completed] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    for event in history:
        assert "Timestamp" in event


def test_show_history_without_history_output_omits_activity_results(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    response = requests.get(started["statusQueryGetUri"], params={"showHistory": "true"}, timeout=30)
    history = response.json()["historyEvents"]
    completed = [event for event in history if event["EventType"] == "TaskCompleted"]
    assert len(completed) == 3
    assert all(event.get("Result") is None for event in completed)

    without = requests.get(started["statusQueryGetUri"], timeout=30).json()
    assert without.get("historyEvents") is None


def test_status_of_an_unknown_instance_is_404(samples_host):
    response = requests.get(_instance_url(samples_host, _unique("missing")), timeout=30)
    assert response.status_code == 404


# ---------------------------------------------------------------------------
# Raise event
# ---------------------------------------------------------------------------


def test_raise_event_via_send_event_post_uri_resumes_the_orchestration(samples_host):
    started = _start_waiting_instance(samples_host)

    raised = requests.post(event_url(started, "Go"), json={"name": "Grace"}, timeout=30)
    assert raised.status_code == 202

    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert status["runtimeStatus"] == "Completed", status
    assert status["output"] == {"received": {"name": "Grace"}, "greeting": "Hello Grace!"}


def test_raise_event_to_unknown_instance_is_404(samples_host):
    url = _instance_url(samples_host, _unique("missing"), "/raiseEvent/Go")
    response = requests.post(url, json={"name": "nobody"}, timeout=30)
    assert response.status_code == 404


def test_raise_event_to_completed_instance_is_410(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    response = requests.post(event_url(started, "Go"), json={"name": "late"}, timeout=30)
    assert response.status_code == 410


# ---------------------------------------------------------------------------
# Terminate
# ---------------------------------------------------------------------------


def test_terminate_via_terminate_post_uri_marks_instance_terminated(samples_host):
    started = _start_waiting_instance(samples_host)

    response = requests.post(terminate_url(started, "no longer needed"), timeout=30)
    assert response.status_code == 202

    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert status["runtimeStatus"] == "Terminated", status


def test_terminate_a_completed_instance_is_410(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    response = requests.post(terminate_url(started, "too late"), timeout=30)
    assert response.status_code == 410


def test_terminate_an_unknown_instance_is_404(samples_host):
    url = _instance_url(samples_host, _unique("missing"), "/terminate")
    assert requests.post(url, params={"reason": "nothing"}, timeout=30).status_code == 404


# ---------------------------------------------------------------------------
# Purge
# ---------------------------------------------------------------------------


def test_purge_via_purge_history_delete_uri_removes_the_instance(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    purged = requests.delete(started["purgeHistoryDeleteUri"], timeout=30)
    assert purged.status_code == 200
    assert purged.json() == {"instancesDeleted": 1}

    assert requests.get(started["statusQueryGetUri"], timeout=30).status_code == 404
    assert requests.delete(started["purgeHistoryDeleteUri"], timeout=30).status_code == 404


def test_purge_many_by_runtime_status_and_time_window(samples_host):
    window_start = datetime.now(UTC) - timedelta(seconds=2)
    first = start_orchestration(samples_host, "hello_sequence")
    second = start_orchestration(samples_host, "hello_sequence")
    for started in (first, second):
        wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    waiting = _start_waiting_instance(samples_host)
    window_end = datetime.now(UTC) + timedelta(seconds=2)

    response = requests.delete(
        _instances_url(samples_host),
        params={
            "runtimeStatus": "Completed",
            "createdTimeFrom": window_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "createdTimeTo": window_end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["instancesDeleted"] >= 2

    for started in (first, second):
        assert requests.get(started["statusQueryGetUri"], timeout=30).status_code == 404
    # A Running instance does not match the Completed filter and survives.
    assert requests.get(waiting["statusQueryGetUri"], timeout=30).status_code == 202
    requests.post(terminate_url(waiting, "cleanup"), timeout=30)


# ---------------------------------------------------------------------------
# List / query instances
# ---------------------------------------------------------------------------


def test_list_instances_filters_by_runtime_status(samples_host):
    prefix = _unique("list")
    completed = start_orchestration(samples_host, "hello_sequence", instance_id=f"{prefix}-done")
    wait_for_terminal(completed["statusQueryGetUri"], host=samples_host)
    waiting = _start_waiting_instance(samples_host, instance_id=f"{prefix}-waiting")

    def listed(**params) -> dict[str, str]:
        response = requests.get(_instances_url(samples_host), params=params, timeout=30)
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)
        return {item["instanceId"]: item["runtimeStatus"] for item in response.json()}

    running = listed(runtimeStatus="Running")
    assert running[f"{prefix}-waiting"] == "Running"
    assert f"{prefix}-done" not in running
    assert set(running.values()) == {"Running"}

    done = listed(runtimeStatus="Completed")
    assert done[f"{prefix}-done"] == "Completed"
    assert f"{prefix}-waiting" not in done
    assert set(done.values()) == {"Completed"}

    both = listed(runtimeStatus="Running,Completed")
    assert both[f"{prefix}-done"] == "Completed"
    assert both[f"{prefix}-waiting"] == "Running"

    by_prefix = listed(instanceIdPrefix=prefix)
    assert by_prefix == {f"{prefix}-done": "Completed", f"{prefix}-waiting": "Running"}

    requests.post(terminate_url(waiting, "cleanup"), timeout=30)


def test_list_instances_pages_with_top_and_continuation_token(samples_host):
    prefix = _unique("page")
    for n in range(3):
        started = start_orchestration(samples_host, "hello_sequence", instance_id=f"{prefix}-{n}")
        wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    seen: list[str] = []
    headers: dict[str, str] = {}
    for _ in range(10):
        response = requests.get(
            _instances_url(samples_host),
            params={"instanceIdPrefix": prefix, "top": "1"},
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page) <= 1
        seen.extend(item["instanceId"] for item in page)
        token = response.headers.get("x-ms-continuation-token")
        if not token or token == "null" or len(seen) >= 3:
            break
        headers = {"x-ms-continuation-token": token}

    assert sorted(seen) == [f"{prefix}-0", f"{prefix}-1", f"{prefix}-2"]


# ---------------------------------------------------------------------------
# Start orchestration through the management API
# ---------------------------------------------------------------------------


def test_start_orchestration_via_management_api(samples_host):
    instance_id = _unique("webhook-start")
    response = requests.post(
        samples_host.url(f"{DURABLE_WEBHOOKS}/orchestrators/fan_out_fan_in/{instance_id}"),
        headers=samples_host.admin_headers(),
        json={"count": 4},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    payload = response.json()
    assert payload["id"] == instance_id
    assert "Location" in response.headers

    status = wait_for_terminal(payload["statusQueryGetUri"], host=samples_host)
    assert status["runtimeStatus"] == "Completed", status
    # The request content is the orchestrator input, as sent.
    assert status["input"] == {"count": 4}
    assert status["output"] == {"results": [1, 4, 9, 16], "sum": 30}


def test_start_unknown_orchestrator_via_management_api_is_400(samples_host):
    response = requests.post(
        samples_host.url(f"{DURABLE_WEBHOOKS}/orchestrators/no_such_orchestrator"),
        headers=samples_host.admin_headers(),
        json={},
        timeout=30,
    )
    assert response.status_code == 400


# ---------------------------------------------------------------------------
# Durable client binding used inside ordinary HTTP functions
# ---------------------------------------------------------------------------


def test_client_get_status_from_an_http_function(samples_host):
    started = start_orchestration(samples_host, "fan_out_fan_in", body={"count": 2})
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    response = requests.get(samples_host.url(f"/api/client/instances/{started['id']}"), timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert decoded_input(body) == {"count": 2}
    body.pop("input")
    assert body == {
        "name": "fan_out_fan_in",
        "instanceId": started["id"],
        "runtimeStatus": "Completed",
        "output": {"results": [1, 4], "sum": 5},
        "customStatus": None,
    }


def test_client_raise_event_from_an_http_function(samples_host):
    started = _start_waiting_instance(samples_host)

    response = requests.post(
        samples_host.url(f"/api/client/instances/{started['id']}/events/Go"),
        json={"name": "Linus"},
        timeout=30,
    )
    assert response.status_code == 202, response.text

    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert status["output"] == {"received": {"name": "Linus"}, "greeting": "Hello Linus!"}


def test_client_terminate_from_an_http_function(samples_host):
    started = _start_waiting_instance(samples_host)

    response = requests.post(
        samples_host.url(f"/api/client/instances/{started['id']}/terminate"),
        params={"reason": "cancelled by user"},
        timeout=30,
    )
    assert response.status_code == 202, response.text

    status = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert status["runtimeStatus"] == "Terminated", status


def test_client_purge_from_an_http_function(samples_host):
    started = start_orchestration(samples_host, "hello_sequence")
    wait_for_terminal(started["statusQueryGetUri"], host=samples_host)

    response = requests.delete(samples_host.url(f"/api/client/instances/{started['id']}"), timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"instancesDeleted": 1}
    assert requests.get(started["statusQueryGetUri"], timeout=30).status_code == 404


def test_client_get_status_by_and_get_status_all_from_an_http_function(samples_host):
    prefix = _unique("client-list")
    done = start_orchestration(samples_host, "hello_sequence", instance_id=f"{prefix}-done")
    wait_for_terminal(done["statusQueryGetUri"], host=samples_host)
    waiting = _start_waiting_instance(samples_host, instance_id=f"{prefix}-waiting")

    url = samples_host.url("/api/client/instances")
    running = requests.get(url, params={"runtimeStatus": "Running"}, timeout=30)
    assert running.status_code == 200, running.text
    running_ids = {item["instanceId"] for item in running.json()}
    assert f"{prefix}-waiting" in running_ids
    assert f"{prefix}-done" not in running_ids

    by_prefix = requests.get(url, params={"instanceIdPrefix": prefix}, timeout=30).json()
    assert by_prefix == [
        {"instanceId": f"{prefix}-done", "runtimeStatus": "Completed"},
        {"instanceId": f"{prefix}-waiting", "runtimeStatus": "Running"},
    ]

    everything = requests.get(url, timeout=30).json()
    all_ids = {item["instanceId"] for item in everything}
    assert {f"{prefix}-done", f"{prefix}-waiting"} <= all_ids

    requests.post(terminate_url(waiting, "cleanup"), timeout=30)
