"""Numbers and routing of the phone channel, end to end on devhost: the SIP channel config binds ACS
numbers and SIP addresses to an agent, the routing table follows every PUT and DELETE (of the config
and of the agent), and ``resolve`` answers which agent a called number rings (issue 15, item 1)."""

from __future__ import annotations

import random

import requests

from shared.agents.models import ChannelConfigRecord
from shared.catalog.tables import CHANNEL_CONFIGS
from shared.phone.routing import PHONE_ROUTES_TABLE, PhoneRoute, PhoneRoutes, RouteOwner
from shared.storage import TableRepository, table_service
from tests.e2e.builders import create, new_agent
from tests.e2e.conftest import error_of

T = 30


def _routes(platform) -> PhoneRoutes:
    service = table_service(platform.settings.storage)
    return PhoneRoutes(
        TableRepository(service, PHONE_ROUTES_TABLE, PhoneRoute),
        TableRepository(service, CHANNEL_CONFIGS, ChannelConfigRecord),
    )


def _number() -> str:
    """A number no other test binds (the routing table is global)."""
    return f"+1555{random.randrange(10**7):07d}"


def _sip(platform, key, agent_id: str) -> str:
    return platform.url(f"/public/agents/{agent_id}/channels/sip")


def _bind(platform, key, agent_id: str, numbers: list[str], **fields) -> requests.Response:
    body = {"phoneNumbers": numbers, **fields}
    return requests.put(_sip(platform, key, agent_id), json=body, headers=key.headers, timeout=T)


def test_bound_numbers_route_to_the_agent_until_the_config_goes(platform, project_key):
    agent = new_agent(platform, project_key)
    number, routes = _number(), _routes(platform)
    spaced = f"{number[:2]} ({number[2:5]}) {number[5:8]}-{number[8:]}"
    bound = _bind(platform, project_key, agent["id"], [spaced, "SIP:Desk@PBX.example.com"])
    assert bound.status_code == 200, bound.text
    assert bound.json()["phoneNumbers"] == [number, "sip:Desk@pbx.example.com"]
    owner = RouteOwner(project_key.organization_id, project_key.project_id, agent["id"])
    assert routes.resolve(number) == owner
    assert routes.resolve(f"4:{number}") == owner  # as ACS names the called number
    assert routes.resolve("sip:Desk@pbx.example.com") == owner
    assert routes.resolve(_number()) is None
    assert routes.resolve("not a number") is None
    read = requests.get(_sip(platform, project_key, agent["id"]), headers=project_key.headers, timeout=T)
    assert read.json()["phoneNumbers"] == [number, "sip:Desk@pbx.example.com"]

    assert _bind(platform, project_key, agent["id"], [number]).status_code == 200
    assert routes.resolve("sip:Desk@pbx.example.com") is None  # dropped from the list: unrouted
    assert routes.routes.list_all("sip:Desk@pbx.example.com") == []
    assert routes.resolve(number) == owner

    gone = requests.delete(_sip(platform, project_key, agent["id"]), headers=project_key.headers, timeout=T)
    assert gone.status_code == 204
    assert routes.resolve(number) is None
    assert routes.routes.list_all(number) == []


def test_a_number_rings_one_agent_of_any_project(platform, project_key, project_key_factory):
    number, routes = _number(), _routes(platform)
    first = new_agent(platform, project_key)
    assert _bind(platform, project_key, first["id"], [number]).status_code == 200
    same_project = new_agent(platform, project_key)
    other_key = project_key_factory()
    other_project = new_agent(platform, other_key)
    for key, agent in ((project_key, same_project), (other_key, other_project)):
        taken = _bind(platform, key, agent["id"], [_number(), number])
        assert taken.status_code == 409, taken.text
        body = error_of(taken)
        assert body["code"] == "PhoneNumberInUse" and number in body["description"]
        url = _sip(platform, key, agent["id"])
        assert requests.get(url, headers=key.headers, timeout=T).status_code == 404  # nothing written
    assert routes.resolve(number).agent_id == first["id"]

    assert _bind(platform, project_key, first["id"], []).status_code == 200  # the first lets it go
    assert _bind(platform, other_key, other_project["id"], [number]).status_code == 200
    owner = routes.resolve(number)
    assert owner == RouteOwner(other_key.organization_id, other_key.project_id, other_project["id"])


def test_deleting_the_agent_frees_its_numbers(platform, project_key):
    number, routes = _number(), _routes(platform)
    agent = new_agent(platform, project_key)
    assert _bind(platform, project_key, agent["id"], [number]).status_code == 200
    url = platform.url(f"/public/agents/{agent['id']}")
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204
    assert routes.resolve(number) is None
    assert routes.routes.list_all(number) == []
    successor = new_agent(platform, project_key)
    assert _bind(platform, project_key, successor["id"], [number]).status_code == 200
    assert routes.resolve(number).agent_id == successor["id"]


def test_a_row_whose_agent_no_longer_lists_the_number_routes_nothing_and_is_taken_over(platform, project_key):
    number, routes = _number(), _routes(platform)
    ghost = RouteOwner(project_key.organization_id, project_key.project_id, "agent_crashed")
    routes.routes.create(number, PhoneRoute(address=number, **ghost.__dict__))  # a crash left it
    assert routes.resolve(number) is None
    agent = new_agent(platform, project_key)
    assert _bind(platform, project_key, agent["id"], [number]).status_code == 200
    assert routes.resolve(number).agent_id == agent["id"]


def test_malformed_numbers_and_numbers_on_other_channels_are_400(platform, project_key):
    agent = new_agent(platform, project_key)
    number = _number()
    cases = [
        ("sip", ["5550100"], "phoneNumbers[0]"),
        ("sip", [number, "sip:desk@pbx.example.com;transport=tls"], "phoneNumbers[1]"),
        ("sip", [number, number.replace("+1", "+1 ")], "phoneNumbers[1]"),
        ("sip", [f"+1555{n:07d}" for n in range(11)], "phoneNumbers"),
        ("voip", [number], "phoneNumbers"),
        ("webrtc", [number], "phoneNumbers"),
    ]
    for channel, numbers, field in cases:
        url = platform.url(f"/public/agents/{agent['id']}/channels/{channel}")
        response = requests.put(url, json={"phoneNumbers": numbers}, headers=project_key.headers, timeout=T)
        assert response.status_code == 400, (channel, numbers, response.text)
        assert field in [d["field"] for d in error_of(response)["details"]], (channel, response.text)
    assert _routes(platform).resolve(number) is None


def _function(platform, key, flow: str) -> str:
    body = {
        "data": {"name": f"{flow}_tool", "description": "A tool.", "parameters": {"type": "object"}},
        "flow": flow,
        **({"url": "https://tools.example.com/run"} if flow == "explicit" else {}),
    }
    return create(platform, key, "/public/functions", body)["id"]


def test_implicit_functions_are_refused_on_phone_channels(platform, project_key):
    implicit, explicit = (
        _function(platform, project_key, "implicit"),
        _function(platform, project_key, "explicit"),
    )
    agent = new_agent(platform, project_key, functions=[explicit, implicit])
    for channel in ("sip", "voip"):
        url = platform.url(f"/public/agents/{agent['id']}/channels/{channel}")
        refused = requests.put(url, json={}, headers=project_key.headers, timeout=T)
        assert refused.status_code == 400, refused.text
        body = error_of(refused)
        assert body["code"] == "TelephonyChannelNotAllowed"
        assert [d["field"] for d in body["details"]] == ["functions[1]"] and implicit in body["description"]
        own = requests.put(url, json={"functions": [implicit]}, headers=project_key.headers, timeout=T)
        assert error_of(own)["code"] == "TelephonyChannelNotAllowed"
        replaced = requests.put(url, json={"functions": [explicit]}, headers=project_key.headers, timeout=T)
        assert replaced.status_code == 200 and replaced.json()["functions"] == [explicit]
    web = platform.url(f"/public/agents/{agent['id']}/channels/websocket")
    assert requests.put(web, json={}, headers=project_key.headers, timeout=T).status_code == 200


def test_an_agent_on_a_phone_channel_cannot_take_an_implicit_function(platform, project_key):
    implicit = _function(platform, project_key, "implicit")
    explicit = _function(platform, project_key, "explicit")
    on_phone, overridden = new_agent(platform, project_key), new_agent(platform, project_key)
    assert _bind(platform, project_key, on_phone["id"], [_number()]).status_code == 200
    assert _bind(platform, project_key, overridden["id"], [], functions=[explicit]).status_code == 200
    url = platform.url(f"/public/agents/{on_phone['id']}")
    refused = requests.patch(
        url, json={"functions": [explicit, implicit]}, headers=project_key.headers, timeout=T
    )
    assert refused.status_code == 400, refused.text
    body = error_of(refused)
    assert body["code"] == "TelephonyChannelNotAllowed" and "sip channel config" in body["description"]
    assert [d["field"] for d in body["details"]] == ["functions[1]"]
    assert requests.get(url, headers=project_key.headers, timeout=T).json()["functions"] == []
    assert (
        requests.patch(url, json={"name": "Still fine"}, headers=project_key.headers, timeout=T).status_code
        == 200
    )
    # The SIP config's own list replaces the agent's on calls: the agent may take an implicit one.
    other = platform.url(f"/public/agents/{overridden['id']}")
    allowed = requests.patch(other, json={"functions": [implicit]}, headers=project_key.headers, timeout=T)
    assert allowed.status_code == 200 and allowed.json()["functions"] == [implicit]
