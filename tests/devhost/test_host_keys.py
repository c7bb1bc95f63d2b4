"""The host's own surfaces need its keys, as on the Functions host (issue 16, defect 6).

``/admin/*`` needs the master key; the Durable HTTP API (``/runtime/webhooks/durabletask/*`` and the
SDK's ``/durabletask/*``) the ``durabletask_extension`` system key or the master key; either as the
``code`` query parameter or the ``x-functions-key`` header. Without one: 401, empty body, and nothing
happens. The SDK's client calls and the URLs ``create_check_status_response`` answers carry the key.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests

from tests.devhost.helpers import (
    DURABLE_SAMPLES_APP,
    DURABLE_WEBHOOKS,
    HOST_KEYS_FILE,
    DevHost,
    event_url,
    start_orchestration,
    terminate_url,
    wait_for_status,
    wait_for_terminal,
)

RPC_PREFIX = "/durabletask"
T = 30


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _waiting_instance(host: DevHost) -> dict:
    started = start_orchestration(host, "wait_for_go", instance_id=_unique("keys"))
    wait_for_status(
        started["statusQueryGetUri"],
        lambda s: s.get("customStatus") == "waiting for Go",
        "the wait",
        host=host,
    )
    return started


def _without_code(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if not p.lower().startswith("code="))
    return urlunsplit(parts._replace(query=query))


def _status(host: DevHost, instance_id: str) -> dict:
    answer = requests.get(
        host.url(f"{DURABLE_WEBHOOKS}/instances/{instance_id}"), headers=host.admin_headers(), timeout=T
    )
    assert answer.status_code in (200, 202), answer.text
    return answer.json()


def _assert_refused(answer: requests.Response) -> None:
    """The host's answer to a missing or wrong key: 401 with an empty body."""
    assert answer.status_code == 401, (answer.request.method, answer.request.url, answer.text)
    assert answer.content == b""


def _durable_calls(host: DevHost, prefix: str, instance_id: str) -> list[tuple[str, str]]:
    instance = f"{prefix}/instances/{instance_id}"
    return [
        ("GET", f"{prefix}/instances?showInput=true"),
        ("GET", f"{instance}?showInput=true&showHistory=true"),
        ("POST", f"{instance}/raiseEvent/Go"),
        ("POST", f"{instance}/terminate?reason=stolen"),
        ("POST", f"{instance}/suspend?reason=stolen"),
        ("DELETE", instance),
        ("DELETE", f"{prefix}/instances?createdTimeFrom=2000-01-01T00:00:00Z"),
        ("POST", f"{prefix}/orchestrators/hello_sequence/{_unique('stolen')}"),
    ]


@pytest.mark.parametrize("prefix", [DURABLE_WEBHOOKS, RPC_PREFIX])
def test_the_durable_api_without_a_key_is_401_and_changes_nothing(samples_host, prefix):
    started = _waiting_instance(samples_host)
    instance_id = started["id"]
    for wrong in ({}, {"params": {"code": "not-the-key"}}, {"headers": {"x-functions-key": "not-the-key"}}):
        for method, path in _durable_calls(samples_host, prefix, instance_id):
            body = {"json": {"name": "Mallory"}} if "raiseEvent" in path else {}
            _assert_refused(requests.request(method, samples_host.url(path), timeout=T, **wrong, **body))

    status = _status(samples_host, instance_id)
    assert status["runtimeStatus"] == "Running"  # not terminated, suspended, purged or woken
    assert status["customStatus"] == "waiting for Go"
    requests.post(event_url(started, "Go"), json={"name": "Ada"}, timeout=T).raise_for_status()
    done = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert done["output"]["received"] == {"name": "Ada"}  # Mallory's event never arrived


def test_the_admin_routes_without_the_master_key_are_401(samples_host):
    calls = [
        ("GET", "/admin/host/status"),
        ("POST", "/admin/functions/hello_sequence"),
        ("GET", f"/admin/durable/instances/{_unique('any')}/replays"),
    ]
    durable_key_only = samples_host.durable_key  # the system key opens its extension, not /admin
    for wrong in ({}, {"params": {"code": durable_key_only}}, {"headers": {"x-functions-key": "nope"}}):
        for method, path in calls:
            _assert_refused(requests.request(method, samples_host.url(path), timeout=T, **wrong))


def test_the_master_key_opens_admin_as_a_header_or_the_code_parameter(samples_host):
    by_header = requests.get(
        samples_host.url("/admin/host/status"), headers=samples_host.admin_headers(), timeout=T
    )
    by_code = requests.get(
        samples_host.url("/admin/host/status"), params={"code": samples_host.master_key}, timeout=T
    )
    for answer in (by_header, by_code):
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "Running"
        assert "wait_for_go" in answer.json()["functions"]
    ran = requests.post(
        samples_host.url("/admin/functions/hello_sequence"),
        headers=samples_host.admin_headers(),
        json={},
        timeout=T,
    )
    assert ran.status_code == 400 and "devhost runs only timer-triggered" in ran.json()["Message"], ran.text


def test_the_ping_stays_open_as_the_hosts_does(samples_host):
    for method in ("GET", "POST"):
        answer = requests.request(method, samples_host.url("/admin/host/ping"), timeout=T)
        assert answer.status_code == 200
        assert answer.content == b""
        assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("key_name", ["master", "durabletask_extension"])
@pytest.mark.parametrize("carrier", ["code", "x-functions-key"])
def test_either_key_opens_the_durable_api_by_code_or_header(samples_host, key_name, carrier):
    key = samples_host.host_keys()[key_name]
    params = {"code": key} if carrier == "code" else {}
    headers = {"x-functions-key": key} if carrier == "x-functions-key" else {}
    started = _waiting_instance(samples_host)
    instance = samples_host.url(f"{DURABLE_WEBHOOKS}/instances/{started['id']}")

    listed = requests.get(
        samples_host.url(f"{DURABLE_WEBHOOKS}/instances?instanceIdPrefix={started['id']}&showInput=true"),
        params=params,
        headers=headers,
        timeout=T,
    )
    assert listed.status_code == 200, listed.text
    assert [i["instanceId"] for i in listed.json()] == [started["id"]]

    raised = requests.post(
        f"{instance}/raiseEvent/Go", json={"name": key_name}, params=params, headers=headers, timeout=T
    )
    assert raised.status_code == 202, raised.text
    done = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert done["output"]["greeting"] == f"Hello {key_name}!"

    purged = requests.delete(instance, params=params, headers=headers, timeout=T)
    assert purged.status_code == 200 and purged.json() == {"instancesDeleted": 1}, purged.text

    other = _waiting_instance(samples_host)
    other_instance = samples_host.url(f"{DURABLE_WEBHOOKS}/instances/{other['id']}")
    terminated = requests.post(
        f"{other_instance}/terminate?reason=done", params=params, headers=headers, timeout=T
    )
    assert terminated.status_code == 202, terminated.text
    assert wait_for_terminal(other["statusQueryGetUri"], host=samples_host)["runtimeStatus"] == "Terminated"


def test_the_check_status_urls_carry_the_durable_key_and_work(samples_host):
    started = _waiting_instance(samples_host)
    for name in ("statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri"):
        assert parse_qs(urlsplit(started[name]).query)["code"] == [samples_host.durable_key], started[name]
    _assert_refused(requests.get(_without_code(started["statusQueryGetUri"]), timeout=T))
    _assert_refused(requests.post(_without_code(event_url(started, "Go")), json={}, timeout=T))

    assert requests.get(started["statusQueryGetUri"], timeout=T).status_code == 202
    assert requests.post(event_url(started, "Go"), json={"name": "Url"}, timeout=T).status_code == 202
    done = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert done["output"]["greeting"] == "Hello Url!"
    assert requests.delete(started["purgeHistoryDeleteUri"], timeout=T).json() == {"instancesDeleted": 1}

    other = _waiting_instance(samples_host)
    assert requests.post(terminate_url(other, "by-url"), timeout=T).status_code == 202
    assert wait_for_terminal(other["statusQueryGetUri"], host=samples_host)["runtimeStatus"] == "Terminated"


def test_the_sdks_own_client_calls_work_through_the_binding(samples_host):
    """start_new, get_status, raise_event, terminate, purge and the lists: the app's durable client."""
    started = _waiting_instance(samples_host)  # http_start: client.start_new + create_check_status_response
    instance_id = started["id"]
    client = samples_host.url(f"/api/client/instances/{instance_id}")

    status = requests.get(client, timeout=T)
    assert status.status_code == 200, status.text + samples_host.output()
    assert status.json()["runtimeStatus"] == "Running"
    listed = requests.get(
        samples_host.url("/api/client/instances"), params={"runtimeStatus": "Running"}, timeout=T
    )
    assert listed.status_code == 200, listed.text
    assert instance_id in [i["instanceId"] for i in listed.json()]

    raised = requests.post(f"{client}/events/Go", json={"name": "Sdk"}, timeout=T)
    assert raised.status_code in (200, 202), raised.text
    done = wait_for_terminal(started["statusQueryGetUri"], host=samples_host)
    assert done["output"]["greeting"] == "Hello Sdk!"
    purged = requests.delete(client, timeout=T)
    assert purged.status_code == 200 and purged.json() == {"instancesDeleted": 1}, purged.text

    other = _waiting_instance(samples_host)
    terminated = requests.post(
        samples_host.url(f"/api/client/instances/{other['id']}/terminate"),
        params={"reason": "sdk"},
        timeout=T,
    )
    assert terminated.status_code in (200, 202), terminated.text
    assert wait_for_terminal(other["statusQueryGetUri"], host=samples_host)["runtimeStatus"] == "Terminated"


def test_the_keys_are_made_once_kept_in_the_data_dir_and_printed_at_start(tmp_path):
    host = DevHost(app_dir=DURABLE_SAMPLES_APP, data_dir=tmp_path / "data", log_dir=tmp_path / "logs")
    host.start()
    try:
        keys = host.host_keys()
        stderr = (tmp_path / "logs" / "devhost-1.stderr.log").read_text()
        assert keys["master"] in stderr and keys["durabletask_extension"] in stderr
        assert keys["master"] != keys["durabletask_extension"] and len(keys["master"]) >= 40
        key_file = tmp_path / "data" / HOST_KEYS_FILE
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        assert json.loads(key_file.read_text())["masterKey"]["name"] == "master"
        host.stop()
        host.restart_on_new_port()
        assert host.host_keys() == keys  # the same keys after a restart: issued status URLs keep working
        assert keys["master"] in (tmp_path / "logs" / "devhost-2.stderr.log").read_text()
        answer = requests.get(host.url("/admin/host/status"), params={"code": keys["master"]}, timeout=T)
        assert answer.status_code == 200
    finally:
        host.stop()
