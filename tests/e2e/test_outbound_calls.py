"""Outbound calls' requests end to end on devhost: ``POST /public/agents/{id}/connections`` with
``channelType: "sip"`` and ``destination`` is checked (the published destination rule, a bound number
to call from) and, the call not being placed by this version, answered 501 (503 without ACS); ``voip``
stays 400 (issue 15, item 5)."""

from __future__ import annotations

import random

import requests

from tests.e2e.builders import new_agent
from tests.e2e.conftest import error_of

T = 30


def _connect(platform, new_key, agent_id: str, body: dict) -> requests.Response:
    """With a fresh key of the project: connections are limited to one request per 5 s per key."""
    url = platform.url(f"/public/agents/{agent_id}/connections")
    return requests.post(url, json=body, headers=new_key().headers, timeout=T)


def _keys(project_key_factory):
    key = project_key_factory()

    def another():
        return project_key_factory(organization_id=key.organization_id, project_id=key.project_id)

    return key, another


def _sessions(platform, key) -> int:
    return requests.get(platform.url("/public/sessions"), headers=key.headers, timeout=T).json()["totalCount"]


def _fields(response: requests.Response) -> list[str]:
    return [d["field"] for d in error_of(response)["details"]]


def test_an_outbound_call_request_is_checked_before_anything_is_dialled(platform, project_key_factory):
    key, another = _keys(project_key_factory)
    agent = new_agent(platform, key)
    cases = [
        ({"channelType": "sip"}, "destination"),
        ({"channelType": "sip", "destination": "+1 555 123 4567"}, "destination"),
        ({"channelType": "sip", "destination": "sip:+15551234567@pbx.example.com"}, "destination"),
        ({"channelType": "sip", "destination": "*72"}, "destination"),
        ({"channelType": "sip", "destination": "+15551234567"}, "channelType"),  # no number to call from
        ({"channelType": "websocket", "destination": "+15551234567"}, "destination"),
        ({"channelType": "voip"}, "channelType"),
    ]
    for body, field in cases:
        response = _connect(platform, another, agent["id"], body)
        assert response.status_code == 400, (body, response.text)
        assert _fields(response) == [field], (body, response.text)
    unbound = _connect(platform, another, agent["id"], {"channelType": "sip", "destination": "15551234567"})
    assert "no phone number to call from" in error_of(unbound)["description"]
    missing = _connect(
        platform, another, "agent_missing", {"channelType": "sip", "destination": "+15551234567"}
    )
    assert missing.status_code == 404
    assert _sessions(platform, key) == 0


def test_a_valid_outbound_call_says_it_is_not_placed_yet(platform, project_key_factory):
    key, another = _keys(project_key_factory)
    agent = new_agent(platform, key)
    number = f"+1555{random.randrange(10**7):07d}"
    bind = requests.put(
        platform.url(f"/public/agents/{agent['id']}/channels/sip"),
        json={"phoneNumbers": ["sip:desk@pbx.example.com", number]},  # a SIP address is no caller id
        headers=key.headers,
        timeout=T,
    )
    assert bind.status_code == 200, bind.text
    answer = _connect(platform, another, agent["id"], {"channelType": "sip", "destination": "15551234567"})
    assert answer.status_code in (501, 503), answer.text
    body = error_of(answer)
    expected = {501: "OutboundCallsNotSupported", 503: "PhoneChannelUnavailable"}[answer.status_code]
    assert body["code"] == expected and "dial" in body["description"] + "ACS"
    assert _sessions(platform, key) == 0
