"""The legacy SIP resources end to end on devhost: ``/public/sip-agents`` with ``…/migrate`` (an agent
and its SIP channel config) and ``/public/sip-connections`` as published (issue 15, item 6)."""

from __future__ import annotations

import random

import requests

from tests.e2e.builders import create, new_agent, new_companion
from tests.e2e.conftest import error_of

T = 30
HANDOFF = {"enabled": True, "transferExtension": "200", "transferDescription": "Billing questions"}
SETTINGS = {
    "server": "sip.provider.example.com",
    "port": 5060,
    "domain": "provider.example.com",
    "username": "support-line",
    "password": "s3cret-sip-password",
    "transport": "TCP",
    "callerId": "support-line-01",
}


def _sip_agent(platform, key, **fields) -> dict:
    body = {
        "companionId": new_companion(platform, key),
        "name": "Support line",
        "voiceId": "alloy",
        "providerSettings": {"turnDetection": {"silence_duration_ms": 800}},
        "humanHandoff": HANDOFF,
        **fields,
    }
    return create(platform, key, "/public/sip-agents", body)


def test_sip_agent_crud(platform, project_key):
    created = _sip_agent(platform, project_key)
    assert created["id"].startswith("sipagent_") and created["humanHandoff"] == HANDOFF
    assert created["migratedAgentId"] is None and created["voiceId"] == "alloy"
    url = platform.url(f"/public/sip-agents/{created['id']}")
    assert requests.get(url, headers=project_key.headers, timeout=T).json() == created
    listed = requests.get(platform.url("/public/sip-agents"), headers=project_key.headers, timeout=T).json()
    assert listed["totalCount"] == 1 and [a["id"] for a in listed["items"]] == [created["id"]]
    patched = requests.patch(url, json={"name": "Renamed"}, headers=project_key.headers, timeout=T)
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    assert patched.json()["humanHandoff"] == HANDOFF
    bad = requests.patch(url, json={"companionId": "comp_missing"}, headers=project_key.headers, timeout=T)
    assert bad.status_code == 400 and "companionId" in [d["field"] for d in error_of(bad)["details"]]
    bad_create = requests.post(
        platform.url("/public/sip-agents"), json={"voiceId": "alloy"}, headers=project_key.headers, timeout=T
    )
    assert bad_create.status_code == 400
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404


def test_migrate_creates_the_agent_and_its_sip_channel_once(platform, project_key):
    legacy = _sip_agent(platform, project_key)
    url = platform.url(f"/public/sip-agents/{legacy['id']}/migrate")
    migrated = requests.post(url, headers=project_key.headers, timeout=T)
    assert migrated.status_code == 201, migrated.text
    agent = migrated.json()
    assert agent["id"].startswith("agent_") and agent["companionId"] == legacy["companionId"]
    assert agent["name"] == "Support line"
    assert agent["providerSettings"]["turnDetection"]["silence_duration_ms"] == 800
    read = requests.get(platform.url(f"/public/agents/{agent['id']}"), headers=project_key.headers, timeout=T)
    assert read.json() == agent
    sip = requests.get(
        platform.url(f"/public/agents/{agent['id']}/channels/sip"), headers=project_key.headers, timeout=T
    )
    assert sip.status_code == 200 and sip.json()["humanHandoff"] == HANDOFF
    marked = requests.get(
        platform.url(f"/public/sip-agents/{legacy['id']}"), headers=project_key.headers, timeout=T
    )
    assert marked.json()["migratedAgentId"] == agent["id"]

    again = requests.post(url, headers=project_key.headers, timeout=T)
    assert again.status_code == 409 and error_of(again)["code"] == "SipAgentAlreadyMigrated"
    agents = requests.get(platform.url("/public/agents"), headers=project_key.headers, timeout=T).json()
    assert agents["totalCount"] == 1
    missing = requests.post(
        platform.url("/public/sip-agents/sipagent_nope/migrate"), headers=project_key.headers, timeout=T
    )
    assert missing.status_code == 404


def test_migrating_an_agent_with_an_implicit_function_is_refused_and_writes_nothing(platform, project_key):
    implicit = create(
        platform,
        project_key,
        "/public/functions",
        {
            "data": {"name": "show_map", "description": "Show a map.", "parameters": {"type": "object"}},
            "flow": "implicit",
        },
    )["id"]
    legacy = _sip_agent(platform, project_key, functions=[implicit])
    url = platform.url(f"/public/sip-agents/{legacy['id']}/migrate")
    refused = requests.post(url, headers=project_key.headers, timeout=T)
    assert refused.status_code == 400 and error_of(refused)["code"] == "TelephonyChannelNotAllowed"
    agents = requests.get(platform.url("/public/agents"), headers=project_key.headers, timeout=T).json()
    assert agents["totalCount"] == 0
    read = requests.get(
        platform.url(f"/public/sip-agents/{legacy['id']}"), headers=project_key.headers, timeout=T
    )
    assert read.json()["migratedAgentId"] is None


def test_sip_connection_crud_never_answers_the_password(platform, project_key):
    agent = new_agent(platform, project_key)
    body = {"agentId": agent["id"], "name": "Main Support Line", "settings": SETTINGS}
    created = create(platform, project_key, "/public/sip-connections", body)
    assert created["id"].startswith("sipconn_") and created["agentId"] == agent["id"]
    assert created["settings"] == {k: v for k, v in SETTINGS.items() if k != "password"}
    url = platform.url(f"/public/sip-connections/{created['id']}")
    read = requests.get(url, headers=project_key.headers, timeout=T)
    assert read.json() == created and SETTINGS["password"] not in read.text
    listed = requests.get(platform.url("/public/sip-connections"), headers=project_key.headers, timeout=T)
    assert [c["id"] for c in listed.json()["items"]] == [created["id"]]
    assert SETTINGS["password"] not in listed.text
    renamed = requests.patch(url, json={"name": "Renamed"}, headers=project_key.headers, timeout=T)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    assert renamed.json()["settings"] == created["settings"]

    status = requests.post(url + "/status", headers=project_key.headers, timeout=T)
    assert status.status_code == 200
    assert status.json()["lifecycleStatus"] == "Failed" and status.json()["sipStatus"] == "registering"
    assert "Azure Communication Services" in status.json()["message"]
    errors = requests.get(url + "/errors", headers=project_key.headers, timeout=T).json()
    assert isinstance(errors, list) and [e["code"] for e in errors] == [501]
    assert set(errors[0]) == {"timestamp", "message", "code"}

    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404


def test_sip_connections_are_validated(platform, project_key):
    agent = new_agent(platform, project_key)
    cases = [
        ({"agentId": "agent_missing", "name": "x", "settings": SETTINGS}, "agentId"),
        ({"agentId": agent["id"], "name": "x", "settings": {**SETTINGS, "port": 70000}}, "settings.port"),
        (
            {"agentId": agent["id"], "name": "x", "settings": {**SETTINGS, "transport": "pigeon"}},
            "settings.transport",
        ),
        (
            {
                "agentId": agent["id"],
                "name": "x",
                "settings": {k: v for k, v in SETTINGS.items() if k != "password"},
            },
            "settings.password",
        ),
    ]
    for body, field in cases:
        response = requests.post(
            platform.url("/public/sip-connections"), json=body, headers=project_key.headers, timeout=T
        )
        assert response.status_code == 400, (body, response.text)
        assert field in [d["field"] for d in error_of(response)["details"]], response.text
    listed = requests.get(
        platform.url("/public/sip-connections"), headers=project_key.headers, timeout=T
    ).json()
    assert listed["totalCount"] == 0


def test_a_call_from_a_sip_connection_is_checked_then_placed(platform, project_key):
    agent = new_agent(platform, project_key)
    connection = create(
        platform,
        project_key,
        "/public/sip-connections",
        {"agentId": agent["id"], "name": "x", "settings": SETTINGS},
    )
    url = platform.url(f"/public/sip-connections/{connection['id']}/call")
    bad = requests.post(url, json={"destination": "555 123"}, headers=project_key.headers, timeout=T)
    assert bad.status_code == 400 and [d["field"] for d in error_of(bad)["details"]] == ["destination"]
    unbound = requests.post(url, json={"destination": "15551234567"}, headers=project_key.headers, timeout=T)
    assert unbound.status_code == 400 and "no phone number to call from" in error_of(unbound)["description"]
    number = f"+1555{random.randrange(10**7):07d}"
    bind = requests.put(
        platform.url(f"/public/agents/{agent['id']}/channels/sip"),
        json={"phoneNumbers": [number]},
        headers=project_key.headers,
        timeout=T,
    )
    assert bind.status_code == 200
    valid = requests.post(
        url,
        json={"destination": "+15551234567", "initialSpeech": "Hi!"},
        headers=project_key.headers,
        timeout=T,
    )
    assert valid.status_code == 200, valid.text
    assert valid.json() == {"status": "dialing"}  # published; the call rings at the stand-in
    listed = requests.get(
        platform.host.url("/devhost/acs/calls"), headers=platform.host.admin_headers(), timeout=T
    ).json()["value"]
    dialled = [c for c in listed if c["from"] == number]
    assert [(c["direction"], c["to"]) for c in dialled] == [("outbound", "+15551234567")]
    hang_up = requests.post(  # nobody answers: the session ends (not_answered), its seat is free
        platform.host.url(f"/devhost/acs/calls/{dialled[0]['id']}/hang-up"),
        headers=platform.host.admin_headers(),
        timeout=T,
    )
    assert hang_up.status_code == 200, hang_up.text
