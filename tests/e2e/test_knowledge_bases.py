"""Knowledge collections at /public/knowledge-bases, end to end on devhost (published shapes:
docs/omniagent-public-api.md section 5)."""

from __future__ import annotations

import requests

from tests.e2e.builders import new_agent
from tests.e2e.conftest import error_of

T = 30


def _create(platform, key, body=None) -> dict:
    body = body or {"name": "Product Documentation", "provider": "azureOpenAI"}
    response = requests.post(
        platform.url("/public/knowledge-bases"), json=body, headers=key.headers, timeout=T
    )
    assert response.status_code == 201, response.text
    return response.json()


def _count(platform, key) -> int:
    listing = requests.get(platform.url("/public/knowledge-bases"), headers=key.headers, timeout=T)
    return listing.json()["totalCount"]


def test_create_answers_the_published_shape_and_can_be_read_back(platform, project_key):
    created = _create(platform, project_key)
    assert set(created) == {"id", "name", "provider", "created"}
    assert created["id"].startswith("kb_")
    assert (created["name"], created["provider"]) == ("Product Documentation", "azureOpenAI")
    assert isinstance(created["created"], int)
    read = requests.get(
        platform.url(f"/public/knowledge-bases/{created['id']}"), headers=project_key.headers, timeout=T
    )
    assert read.status_code == 200 and read.headers["ETag"] and read.json() == created


def test_provider_defaults_to_the_calling_keys_provider(platform, project_key, project_key_factory):
    assert _create(platform, project_key, {"name": "Hosted"})["provider"] == "azureOpenAI"
    compatible = project_key_factory(
        provider={"type": "openai-compatible", "baseUrl": "http://x", "model": "m"}
    )
    assert _create(platform, compatible, {"name": "Compatible"})["provider"] == "openAICompatible"


def test_invalid_bodies_answer_400_with_details_and_write_nothing(platform, project_key):
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Docs", "provider": "pinecone"}, "provider"),
        ({"name": "Docs", "provider": "azureOpenAI", "size": 3}, "size"),
    ]
    for body, field in cases:
        response = requests.post(
            platform.url("/public/knowledge-bases"), json=body, headers=project_key.headers, timeout=T
        )
        assert response.status_code == 400, body
        assert field in [d["field"] for d in error_of(response)["details"]]
    assert _count(platform, project_key) == 0


def test_list_uses_the_published_envelope(platform, project_key):
    first, second = (
        _create(platform, project_key, {"name": "Manuals"}),
        _create(platform, project_key, {"name": "FAQ"}),
    )
    listing = requests.get(
        platform.url("/public/knowledge-bases"), headers=project_key.headers, timeout=T
    ).json()
    assert set(listing) == {"items", "filteredCount", "totalCount", "pageIndex", "pageSize", "search"}
    assert {kb["id"] for kb in listing["items"]} == {first["id"], second["id"]}
    found = requests.get(
        platform.url("/public/knowledge-bases"),
        params={"search": "manu"},
        headers=project_key.headers,
        timeout=T,
    ).json()
    assert [kb["id"] for kb in found["items"]] == [first["id"]]
    assert (found["filteredCount"], found["totalCount"]) == (1, 2)


def test_another_projects_key_finds_nothing(platform, project_key, project_key_factory):
    created = _create(platform, project_key)
    other = project_key_factory()
    url = platform.url(f"/public/knowledge-bases/{created['id']}")
    read = requests.get(url, headers=other.headers, timeout=T)
    assert read.status_code == 404 and error_of(read)["code"] == "KnowledgeBaseNotFound"
    assert requests.delete(url, headers=other.headers, timeout=T).status_code == 404
    assert _count(platform, other) == 0
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 200


def test_a_collection_used_by_an_agent_cannot_be_deleted_until_the_agent_is_gone(platform, project_key):
    kb = _create(platform, project_key)
    agent = new_agent(platform, project_key, **{"knowledgeBaseId": kb["id"]})
    url = platform.url(f"/public/knowledge-bases/{kb['id']}")
    refused = requests.delete(url, headers=project_key.headers, timeout=T)
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["code"] == "KnowledgeBaseInUse" and agent["id"] in error["description"]
    agent_url = platform.url(f"/public/agents/{agent['id']}")
    assert requests.delete(agent_url, headers=project_key.headers, timeout=T).status_code == 204
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 204
    assert requests.get(url, headers=project_key.headers, timeout=T).status_code == 404
    assert requests.delete(url, headers=project_key.headers, timeout=T).status_code == 404


def test_rename_changes_only_the_name_and_honours_if_match(platform, project_key):
    created = _create(platform, project_key)
    one = platform.url(f"/public/knowledge-bases/{created['id']}")
    etag = requests.get(one, headers=project_key.headers, timeout=T).headers["ETag"]
    renamed = requests.patch(one, json={"name": "Manuals"}, headers=project_key.headers, timeout=T)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {**created, "name": "Manuals"}
    assert requests.get(one, headers=project_key.headers, timeout=T).json()["name"] == "Manuals"
    stale = requests.patch(
        one, json={"name": "Old"}, headers={**project_key.headers, "If-Match": etag}, timeout=T
    )
    assert stale.status_code == 412
    error_of(stale)
    empty = requests.patch(one, json={"name": ""}, headers=project_key.headers, timeout=T)
    assert empty.status_code == 400 and error_of(empty)["details"][0]["field"] == "name"
    missing = requests.patch(
        platform.url("/public/knowledge-bases/kb_missing"),
        json={"name": "X"},
        headers=project_key.headers,
        timeout=T,
    )
    assert missing.status_code == 404
    assert requests.get(one, headers=project_key.headers, timeout=T).json()["name"] == "Manuals"
