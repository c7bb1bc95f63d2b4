"""Agents at /public/agents and their channel configs, end to end on devhost (published shapes:
docs/omniagent-public-api.md section 6)."""

from __future__ import annotations

import threading

import pytest
import requests

from shared.agents.limits import AGENT_LIMIT
from shared.agents.models import AgentRecord
from shared.catalog.tables import AGENTS, CHANNEL_CONFIGS
from shared.ids import new_id
from shared.storage import TableRepository, table_service
from tests.e2e.builders import create, new_agent, new_companion
from tests.e2e.conftest import error_of

T = 30


def _function(platform, key, name="get_order_status") -> str:
    body = {
        "data": {
            "name": name,
            "description": "Look up an order.",
            "parameters": {"type": "object", "properties": {}},
        },
        "flow": "implicit",
    }
    return create(platform, key, "/public/functions", body)["id"]


def _faq(platform, key) -> str:
    return create(platform, key, "/public/faqs", {"name": "Returns"})["id"]


def _kb(platform, key) -> str:
    return create(platform, key, "/public/knowledge-bases", {"name": "Docs", "provider": "azureOpenAI"})["id"]


def _count(platform, key) -> int:
    return requests.get(platform.url("/public/agents"), headers=key.headers, timeout=T).json()["totalCount"]


def _url(platform, agent_id: str, suffix: str = "") -> str:
    return platform.url(f"/public/agents/{agent_id}{suffix}")


def test_create_with_the_published_example_echoes_every_field(platform, project_key):
    companion, function = new_companion(platform, project_key), _function(platform, project_key)
    faq, kb = _faq(platform, project_key), _kb(platform, project_key)
    body = {
        "companionId": companion,
        "name": "Support Agent",
        "voiceId": "alloy",
        "language": "en",
        "functions": [function],
        "faqCollections": [faq],
        "knowledgeBaseId": kb,
        "providerSettings": {
            "instructions": "Be brief.",
            "temperature": 0.7,
            "turnDetection": {"threshold": 0.9, "prefix_padding_ms": 400, "silence_duration_ms": 500},
            "noiseReduction": {"type": "nearField"},
        },
        "tags": {"team": "support"},
        "disableIdleTimeout": True,
        "useWebSearch": False,
        "mcp": {"servers": [], "connectors": ["gmail"]},
    }
    created = create(platform, project_key, "/public/agents", body)
    assert created["id"].startswith("agent_") and isinstance(created["created"], int)
    for field, value in body.items():
        if field != "providerSettings":
            assert created[field] == value, field
    assert {k: v for k, v in created["providerSettings"].items() if v is not None} == body["providerSettings"]
    read = requests.get(_url(platform, created["id"]), headers=project_key.headers, timeout=T)
    assert read.status_code == 200 and read.headers["ETag"] and read.json() == created


def test_a_minimal_agent_gets_the_defaults_and_language_names_become_codes(platform, project_key):
    created = new_agent(platform, project_key, language="Spanish")
    assert created["language"] == "es"
    assert (
        created["functions"] == [] and created["faqCollections"] == [] and created["knowledgeBaseId"] is None
    )
    assert (
        created["useWebSearch"] is True and created["disableIdleTimeout"] is False and created["tags"] == {}
    )
    assert created["inactivity"] == {"timeoutSeconds": 120, "countdownSeconds": 15}
    assert created["disclaimer"] == {"enabled": True, "text": "This is an AI-generated avatar"}
    assert created["memory"] == {"enabled": True} and created["greeting"] is None
    assert set(created) >= {"name", "voiceId", "providerSettings", "mcp", "created"}


INVALID = [
    ({"providerSettings": None}, "providerSettings"),
    ({"companionId": None}, "companionId"),
    ({"voiceId": "not-a-voice"}, "voiceId"),
    ({"voiceId": None}, "voiceId"),
    ({"language": "Klingon"}, "language"),
    ({"providerSettings": {"temperature": 3}}, "providerSettings.temperature"),
    ({"providerSettings": {"noiseReduction": {"type": "loud"}}}, "providerSettings.noiseReduction.type"),
    ({"providerSettings": {"turnDetection": {"threshold": 2}}}, "providerSettings.turnDetection.threshold"),
    ({"inactivity": {"timeoutSeconds": 20, "countdownSeconds": 20}}, "inactivity.countdownSeconds"),
    ({"inactivity": {"timeoutSeconds": 1}}, "inactivity.timeoutSeconds"),
    ({"disclaimer": {"text": ""}}, "disclaimer.text"),
    ({"mcp": {"connectors": ["myspace"]}}, "mcp.connectors[0]"),
    ({"tags": {"team": 7}}, "tags.team"),
    ({"functions": "fn_1"}, "functions"),
    ({"companionId": "comp_missing"}, "companionId"),
    ({"functions": ["fn_missing"]}, "functions[0]"),
    ({"faqCollections": ["faq_missing"]}, "faqCollections[0]"),
    ({"knowledgeBaseId": "kb_missing"}, "knowledgeBaseId"),
    ({"knowledgeBaseId": "kb/../x"}, "knowledgeBaseId"),
    ({"favouriteColour": "blue"}, "favouriteColour"),
]


@pytest.mark.parametrize(("change", "field"), INVALID, ids=[field for _, field in INVALID])
def test_each_rule_answers_400_naming_the_field_and_writes_nothing(platform, project_key, change, field):
    body = {"companionId": new_companion(platform, project_key), "voiceId": "alloy", "providerSettings": {}}
    body = {k: v for k, v in {**body, **change}.items() if v is not None}
    response = requests.post(
        platform.url("/public/agents"), json=body, headers=project_key.headers, timeout=T
    )
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "ValidationFailed"
    assert field in [d["field"] for d in error["details"]], error
    assert _count(platform, project_key) == 0


def test_every_bad_reference_is_named_by_its_path(platform, project_key):
    good = _function(platform, project_key)
    body = {
        "companionId": new_companion(platform, project_key),
        "voiceId": "alloy",
        "providerSettings": {},
        "functions": [good, "fn_nope", good],
        "faqCollections": [_faq(platform, project_key), "faq_nope"],
    }
    response = requests.post(
        platform.url("/public/agents"), json=body, headers=project_key.headers, timeout=T
    )
    assert response.status_code == 400
    details = {d["field"]: d["message"] for d in error_of(response)["details"]}
    assert set(details) == {"functions[1]", "functions[2]", "faqCollections[1]"}
    assert details["functions[1]"] == "no function 'fn_nope' exists in this project"
    assert "repeats functions[0]" in details["functions[2]"]
    assert _count(platform, project_key) == 0


def test_an_agent_cannot_reference_another_projects_resources(platform, project_key, project_key_factory):
    theirs = project_key_factory()
    companion, function = new_companion(platform, project_key), _function(platform, project_key)
    body = {"companionId": companion, "voiceId": "alloy", "providerSettings": {}, "functions": [function]}
    response = requests.post(platform.url("/public/agents"), json=body, headers=theirs.headers, timeout=T)
    assert response.status_code == 400
    assert {d["field"] for d in error_of(response)["details"]} == {"companionId", "functions[0]"}
    assert _count(platform, theirs) == 0


def test_another_projects_key_gets_404_for_the_agent_and_its_channels(
    platform, project_key, project_key_factory
):
    agent = new_agent(platform, project_key)
    requests.put(
        _url(platform, agent["id"], "/channels/webrtc"), json={}, headers=project_key.headers, timeout=T
    )
    theirs = project_key_factory()
    answers = [
        requests.get(_url(platform, agent["id"]), headers=theirs.headers, timeout=T),
        requests.patch(_url(platform, agent["id"]), json={"name": "Mine"}, headers=theirs.headers, timeout=T),
        requests.delete(_url(platform, agent["id"]), headers=theirs.headers, timeout=T),
        requests.get(_url(platform, agent["id"], "/channels/webrtc"), headers=theirs.headers, timeout=T),
        requests.put(
            _url(platform, agent["id"], "/channels/webrtc"), json={}, headers=theirs.headers, timeout=T
        ),
        requests.delete(_url(platform, agent["id"], "/channels/webrtc"), headers=theirs.headers, timeout=T),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert error_of(answers[0])["code"] == "AgentNotFound"
    assert requests.get(_url(platform, agent["id"]), headers=project_key.headers, timeout=T).json() == agent


def test_patch_changes_only_the_fields_sent(platform, project_key):
    first, second = _function(platform, project_key, "one"), _function(platform, project_key, "two")
    kb = _kb(platform, project_key)
    agent = new_agent(
        platform,
        project_key,
        name="Before",
        functions=[first, second],
        knowledgeBaseId=kb,
        tags={"a": "1", "b": "2"},
        providerSettings={"instructions": "Be brief.", "temperature": 0.8},
        inactivity={"timeoutSeconds": 300, "countdownSeconds": 30},
    )
    patch = {
        "functions": [second],
        "providerSettings": {"temperature": 0.5},
        "tags": {"c": "3"},
        "inactivity": {"countdownSeconds": 10},
        "knowledgeBaseId": None,
    }
    changed = requests.patch(_url(platform, agent["id"]), json=patch, headers=project_key.headers, timeout=T)
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["functions"] == [second]  # arrays are replaced whole
    assert after["tags"] == {"c": "3"}
    assert after["providerSettings"]["temperature"] == 0.5
    assert after["providerSettings"]["instructions"] == "Be brief."  # not sent: kept
    assert after["inactivity"] == {"timeoutSeconds": 300, "countdownSeconds": 10}
    assert after["knowledgeBaseId"] is None
    unchanged = {k: v for k, v in agent.items() if k not in patch}
    assert {k: after[k] for k in unchanged} == unchanged
    assert requests.get(_url(platform, agent["id"]), headers=project_key.headers, timeout=T).json() == after
    empty = requests.patch(_url(platform, agent["id"]), json={}, headers=project_key.headers, timeout=T)
    assert empty.status_code == 200 and empty.json() == after


def test_an_invalid_patch_answers_400_and_changes_nothing(platform, project_key):
    agent = new_agent(platform, project_key, name="Kept")
    for patch, field in [
        ({"name": "New", "functions": ["fn_missing"]}, "functions[0]"),
        ({"name": "New", "voiceId": "nope"}, "voiceId"),
        ({"companionId": None}, "companionId"),
        ({"providerSettings": None}, "providerSettings"),
        ({"language": "Elvish"}, "language"),
        ({"inactivity": {"countdownSeconds": 500}}, "inactivity.countdownSeconds"),
    ]:
        response = requests.patch(
            _url(platform, agent["id"]), json=patch, headers=project_key.headers, timeout=T
        )
        assert response.status_code == 400, patch
        assert field in [d["field"] for d in error_of(response)["details"]], patch
    assert requests.get(_url(platform, agent["id"]), headers=project_key.headers, timeout=T).json() == agent


def test_a_stale_if_match_answers_412_and_loses_nothing(platform, project_key):
    agent = new_agent(platform, project_key, name="Start")
    url = _url(platform, agent["id"])
    etag = requests.get(url, headers=project_key.headers, timeout=T).headers["ETag"]
    first = requests.patch(
        url, json={"name": "First"}, headers={**project_key.headers, "If-Match": etag}, timeout=T
    )
    assert first.status_code == 200 and first.headers["ETag"] != etag
    stale = requests.patch(
        url, json={"greeting": "Hi"}, headers={**project_key.headers, "If-Match": etag}, timeout=T
    )
    assert stale.status_code == 412 and error_of(stale)["code"] == "PreconditionFailed"
    now = requests.get(url, headers=project_key.headers, timeout=T).json()
    assert now["name"] == "First" and now["greeting"] is None


def test_two_concurrent_patches_with_the_same_etag_one_wins_the_other_gets_412(platform, project_key):
    agent = new_agent(platform, project_key, name="Start")
    url = _url(platform, agent["id"])
    etag = requests.get(url, headers=project_key.headers, timeout=T).headers["ETag"]
    barrier = threading.Barrier(2)
    answers: dict[str, requests.Response] = {}

    def patch(name: str) -> None:
        barrier.wait()
        headers = {**project_key.headers, "If-Match": etag}
        answers[name] = requests.patch(url, json={"name": name}, headers=headers, timeout=T)

    threads = [threading.Thread(target=patch, args=(name,)) for name in ("Alice", "Bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 412], {n: a.text for n, a in answers.items()}
    (winner,) = [name for name, answer in answers.items() if answer.status_code == 200]
    assert requests.get(url, headers=project_key.headers, timeout=T).json()["name"] == winner


def test_concurrent_patches_without_if_match_all_land(platform, project_key):
    agent = new_agent(platform, project_key)
    url = _url(platform, agent["id"])
    barrier = threading.Barrier(3)
    statuses: list[int] = []

    def patch(body: dict) -> None:
        barrier.wait()
        statuses.append(requests.patch(url, json=body, headers=project_key.headers, timeout=T).status_code)

    bodies = [{"name": "Named"}, {"greeting": "Hello"}, {"tags": {"k": "v"}}]
    threads = [threading.Thread(target=patch, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200]
    final = requests.get(url, headers=project_key.headers, timeout=T).json()
    assert (final["name"], final["greeting"], final["tags"]) == ("Named", "Hello", {"k": "v"})


def test_list_uses_the_published_envelope(platform, project_key):
    companion = new_companion(platform, project_key)
    for name in ("Sales", "Support", "Billing support"):
        new_agent(platform, project_key, companionId=companion, name=name)
    page = requests.get(
        platform.url("/public/agents"),
        params={"search": "support", "pageSize": 1},
        headers=project_key.headers,
        timeout=T,
    ).json()
    assert set(page) == {"items", "filteredCount", "totalCount", "pageIndex", "pageSize", "search"}
    assert (page["filteredCount"], page["totalCount"], page["pageSize"]) == (2, 3, 1)
    assert page["items"][0]["name"] == "Support"


def test_the_organizations_agent_cap_answers_409_agent_limit_exceeded(platform, project_key_factory):
    key = project_key_factory()
    sibling = project_key_factory(organization_id=key.organization_id)  # the cap is per organization
    repository = TableRepository(table_service(platform.settings.storage), AGENTS, AgentRecord)
    companion = new_companion(platform, key)
    for number in range(AGENT_LIMIT):
        repository.create(
            sibling.project_id,
            AgentRecord.model_validate(
                {
                    "id": new_id("agent"),
                    "organization_id": key.organization_id,
                    "created": number,
                    "companion_id": "comp_x",
                    "voice_id": "alloy",
                    "provider_settings": {},
                },
                by_name=True,
            ),
        )
    body = {"companionId": companion, "voiceId": "alloy", "providerSettings": {}}
    refused = requests.post(platform.url("/public/agents"), json=body, headers=key.headers, timeout=T)
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["code"] == "AgentLimitExceeded" and error["numericType"] == 3
    assert _count(platform, key) == 0
    other_organization = project_key_factory()
    new_agent(platform, other_organization)


def test_channel_configs_are_upserted_read_and_removed(platform, project_key):
    agent = new_agent(platform, project_key)
    url = _url(platform, agent["id"], "/channels/voip")
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404
    created = requests.put(url, headers=project_key.headers, timeout=T)  # the body is optional
    assert created.status_code == 200, created.text
    config = created.json()
    assert config["id"].startswith("chanconfig_") and config["channelType"] == "voip"
    assert config["apiKeyId"] == project_key.key_id and isinstance(config["created"], int)
    published = ("functions", "faqCollections", "knowledgeBaseId", "providerSettings", "humanHandoff")
    assert set(config) >= {*published, "voipEndpoint", "useGreenVideo", "created"}
    read = requests.get(url, headers=project_key.headers, timeout=T)
    assert read.status_code == 200 and read.json() == config
    faq = _faq(platform, project_key)
    body = {"faqCollections": [faq], "providerSettings": {"instructions": "On the phone, be brief."}}
    replaced = requests.put(
        url, json=body, headers={**project_key.headers, "If-Match": read.headers["ETag"]}, timeout=T
    )
    assert replaced.status_code == 200
    assert replaced.json()["id"] == config["id"] and replaced.json()["created"] == config["created"]
    assert replaced.json()["faqCollections"] == [faq]
    stale = requests.put(
        url, json={}, headers={**project_key.headers, "If-Match": read.headers["ETag"]}, timeout=T
    )
    assert stale.status_code == 412
    assert requests.get(url, headers=project_key.headers, timeout=T).json()["faqCollections"] == [faq]
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404
    assert requests.get(_url(platform, agent["id"]), headers=project_key.headers, timeout=T).json() == agent


def test_channel_configs_are_validated_like_agents(platform, project_key, project_key_factory):
    agent = new_agent(platform, project_key)
    theirs_faq = _faq(platform, project_key_factory())
    cases = [
        ("voip", {"humanHandoff": {"enabled": True}}, "humanHandoff"),
        ("websocket", {"videoPolicy": "deferred"}, "videoPolicy"),
        ("webrtc", {"videoPolicy": "sometimes"}, "videoPolicy"),
        ("sip", {"faqCollections": [theirs_faq]}, "faqCollections[0]"),
        ("sip", {"functions": ["fn_missing"]}, "functions[0]"),
        ("kiosk", {"providerSettings": {"temperature": 9}}, "providerSettings.temperature"),
        ("kiosk", {"apiKeyId": "key_missing"}, "apiKeyId"),
        ("telegram", {}, "channelType"),
    ]
    for channel, body, field in cases:
        url = _url(platform, agent["id"], f"/channels/{channel}")
        response = requests.put(url, json=body, headers=project_key.headers, timeout=T)
        assert response.status_code == 400, (channel, body, response.text)
        assert field in [d["field"] for d in error_of(response)["details"]], (channel, body)
    for channel in ("voip", "websocket", "webrtc", "sip", "kiosk"):
        url = _url(platform, agent["id"], f"/channels/{channel}")
        assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404
    sip = requests.put(
        _url(platform, agent["id"], "/channels/sip"),
        json={
            "humanHandoff": {"enabled": True, "transferExtension": "100", "transferDescription": "Billing"}
        },
        headers=project_key.headers,
        timeout=T,
    )
    assert sip.status_code == 200 and sip.json()["humanHandoff"]["transferExtension"] == "100"
    kiosk = requests.put(
        _url(platform, agent["id"], "/channels/kiosk"),
        json={"theme": "dark", "initialSpeech": "Welcome!", "idleTimeoutSeconds": 60, "useGreenVideo": True},
        headers=project_key.headers,
        timeout=T,
    )
    assert kiosk.status_code == 200 and kiosk.json()["channelType"] == "kiosk"


def test_deleting_an_agent_deletes_its_channel_configs(platform, project_key):
    agent = new_agent(platform, project_key)
    for channel in ("webrtc", "voip"):
        response = requests.put(
            _url(platform, agent["id"], f"/channels/{channel}"), headers=project_key.headers, timeout=T
        )
        assert response.status_code == 200
    assert (
        requests.delete(_url(platform, agent["id"]), headers=project_key.headers, timeout=T).status_code
        == 204
    )
    assert (
        requests.get(_url(platform, agent["id"]), headers=project_key.headers, timeout=T).status_code == 404
    )
    client = table_service(platform.settings.storage).get_table_client(CHANNEL_CONFIGS)
    left = list(client.query_entities("PartitionKey eq @p", parameters={"p": project_key.project_id}))
    assert left == []


def test_a_faq_collection_used_only_by_a_channel_config_cannot_be_deleted(platform, project_key):
    agent = new_agent(platform, project_key)
    faq = _faq(platform, project_key)
    url = _url(platform, agent["id"], "/channels/websocket")
    assert (
        requests.put(url, json={"faqCollections": [faq]}, headers=project_key.headers, timeout=T).status_code
        == 200
    )
    refused = requests.delete(platform.url(f"/public/faqs/{faq}"), headers=project_key.headers, timeout=T)
    assert refused.status_code == 409
    assert agent["id"] in error_of(refused)["description"]
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204
    assert (
        requests.delete(
            platform.url(f"/public/faqs/{faq}"), headers=project_key.headers, timeout=T
        ).status_code
        == 204
    )


def test_delete_with_a_stale_if_match_answers_412_and_keeps_thenew_agent(platform, project_key):
    agent = new_agent(platform, project_key)
    url = _url(platform, agent["id"])
    etag = requests.get(url, headers=project_key.headers, timeout=T).headers["ETag"]
    assert (
        requests.patch(url, json={"name": "Changed"}, headers=project_key.headers, timeout=T).status_code
        == 200
    )
    stale = requests.delete(url, headers={**project_key.headers, "If-Match": etag}, timeout=T)
    assert stale.status_code == 412
    assert requests.get(url, headers=project_key.headers, timeout=T).json()["name"] == "Changed"
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204


def test_an_agent_can_use_a_stock_companion_from_the_catalog(platform, project_key):
    stock = requests.get(
        platform.url("/public/companions/napster-stock"), headers=project_key.headers, timeout=T
    )
    stock_id = stock.json()["items"][0]["id"]
    agent = new_agent(platform, project_key, companionId=stock_id)
    assert agent["companionId"] == stock_id
