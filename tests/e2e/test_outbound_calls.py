"""Outbound calls' requests end to end on devhost: ``POST /public/agents/{id}/connections`` with
``channelType: "sip"`` and ``destination`` is checked (the published destination rule, a bound number
to call from) before anything is dialled, then placed (201, the published connection shape; the
call itself: tests/e2e/test_phone_outbound.py); ``voip`` stays 400 (issue 15, item 5)."""

from __future__ import annotations

import base64
import json
import random

import requests

from tests.devhost.acs_world import AcsControl
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


def test_a_valid_outbound_call_is_placed_from_the_bound_phone_number(platform, project_key_factory):
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
    assert answer.status_code == 201, answer.text
    token = json.loads(base64.b64decode(answer.json()["token"]))
    assert (token["destination"], token["callerId"]) == ("+15551234567", number)
    assert token["connection"] == answer.json()["connection"]["id"]
    assert _sessions(platform, key) == 1
    hang_up = AcsControl(platform.host).act(token["callConnectionId"], "hang-up")  # nobody answers
    assert hang_up.status_code == 200, hang_up.text
