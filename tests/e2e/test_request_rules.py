"""How every JSON body is read, over HTTP against the local stack (issue 16, defect 9;
``shared/request_json.py``): the media type (415), duplicate keys, strict booleans, unknown fields,
and one rule for ``null`` in every ``PATCH`` that the OpenAPI document states."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.e2e.builders import create, new_agent, new_companion, new_weather_function
from tests.e2e.conftest import error_of

T = 30


def _send(method: str, url: str, key, body: str, content_type: str | None = "application/json"):
    headers = {**key.headers, **({"Content-Type": content_type} if content_type else {})}
    return requests.request(method, url, data=body.encode(), headers=headers, timeout=T)


def _names(platform, key, path: str) -> list[str]:
    response = requests.get(platform.url(path), headers=key.headers, timeout=T)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_json_body_under_another_media_type_is_a_415_and_stores_nothing(
    platform, project_key, content_type
):
    name = f"sent as {content_type.split(';')[0]}"
    url = platform.url("/public/faqs")
    response = _send("POST", url, project_key, json.dumps({"name": name}), content_type)

    assert response.status_code == 415, response.text
    error = error_of(response)
    assert error["code"] == "UnsupportedMediaType" and "application/json" in error["description"]
    assert name not in _names(platform, project_key, "/public/faqs")


def test_json_media_types_with_parameters_and_structured_suffixes_and_none_are_read(platform, project_key):
    url = platform.url("/public/faqs")
    charset = _send("POST", url, project_key, '{"name": "with charset"}', "application/json; charset=utf-8")
    unlabeled = _send("POST", url, project_key, '{"name": "no content type"}', None)
    collection = charset.json()
    merge = _send(
        "PATCH",
        platform.url(f"/public/faqs/{collection['id']}"),
        project_key,
        '{"name": "merge patch"}',
        "application/merge-patch+json",
    )

    assert (charset.status_code, unlabeled.status_code, merge.status_code) == (201, 201, 200)
    assert merge.json()["name"] == "merge patch"


def test_a_key_named_twice_in_one_object_is_a_400_at_any_depth_and_stores_nothing(platform, project_key):
    top = _send("POST", platform.url("/public/faqs"), project_key, '{"name": "first", "name": "second"}')
    nested = _send(
        "POST",
        platform.url("/public/faqs"),
        project_key,
        '{"name": "nested", "faqs": [{"question": "q", "answer": "a", "answer": "b"}]}',
    )

    for response, key in ((top, "name"), (nested, "answer")):
        assert response.status_code == 400, response.text
        assert f"'{key}' twice" in error_of(response)["description"]
    assert not {"first", "second", "nested"} & set(_names(platform, project_key, "/public/faqs"))


@pytest.mark.parametrize("sent", [0, 1, "false", "yes"])
def test_a_boolean_is_a_json_boolean_only(platform, project_key, sent):
    agent = new_agent(platform, project_key, memory={"enabled": True})
    url = platform.url(f"/public/agents/{agent['id']}")
    patched = requests.patch(url, json={"memory": {"enabled": sent}}, headers=project_key.headers, timeout=T)
    companion = new_companion(platform, project_key)
    body = {"companionId": companion, "voiceId": "alloy", "providerSettings": {}, "memory": {"enabled": sent}}
    created = requests.post(platform.url("/public/agents"), json=body, headers=project_key.headers, timeout=T)
    after = requests.get(url, headers=project_key.headers, timeout=T).json()

    for response in (patched, created):
        assert response.status_code == 400, response.text
        assert [d["field"] for d in error_of(response)["details"]] == ["memory.enabled"]
    assert after["memory"]["enabled"] is True


@pytest.mark.parametrize(
    ("path", "resource"),
    [("/public/functions/{id}", "function"), ("/public/companions/{id}", "companion")],
)
def test_a_patch_of_only_unknown_fields_is_a_400_naming_them_and_changes_nothing(
    platform, project_key, path, resource
):
    made = new_weather_function(platform, project_key) if resource == "function" else {
        "id": new_companion(platform, project_key)
    }
    url = platform.url(path.format(id=made["id"]))
    before = requests.get(url, headers=project_key.headers, timeout=T)
    response = requests.patch(url, json={"nmae": "typo"}, headers=project_key.headers, timeout=T)
    after = requests.get(url, headers=project_key.headers, timeout=T)

    assert response.status_code == 400, response.text
    assert [d["field"] for d in error_of(response)["details"]] == ["nmae"]
    assert after.headers["ETag"] == before.headers["ETag"]


def _fields(response: requests.Response) -> list[str]:
    return [detail["field"] for detail in error_of(response).get("details", [])]


def _patch_properties(document: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    schema = document["paths"][path]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    properties: dict[str, dict[str, Any]] = document["components"]["schemas"][name]["properties"]
    return properties


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(s.get("type") == "null" for s in schema.get("anyOf", []))


def test_every_public_patch_takes_null_exactly_where_the_document_says_it_may(platform, project_key):
    """Issue 16, defect 9: the document and the server agree, one rule for every resource: `null`
    resets a field the resource may go without; a required one is non-nullable and refused."""
    document = requests.get(platform.url("/public/openapi.json"), timeout=T).json()
    pairs = [{"question": "q", "answer": "a"}]
    faq = create(platform, project_key, "/public/faqs", {"name": "n", "faqs": pairs})
    resources = {
        "/public/agents/{agentId}": new_agent(platform, project_key)["id"],
        "/public/companions/{companionId}": new_companion(platform, project_key),
        "/public/functions/{functionId}": new_weather_function(platform, project_key)["id"],
        "/public/faqs/{faqCollectionId}/items/{itemId}": f"{faq['id']}/items/{faq['items'][0]['id']}",
    }
    wrong: list[str] = []
    checked = 0
    for path, resource_id in resources.items():
        url = platform.url(path.split("/{")[0] + "/" + resource_id)
        for name, schema in _patch_properties(document, path).items():
            response = requests.patch(url, json={name: None}, headers=project_key.headers, timeout=T)
            checked += 1
            if _nullable(schema):
                if response.status_code != 200:
                    wrong.append(f"{path} {name}: nullable, answered {response.status_code} {response.text}")
            elif response.status_code != 400 or name not in _fields(response):
                wrong.append(f"{path} {name}: not nullable, answered {response.status_code}")
    assert wrong == []
    assert checked > 30


def test_null_resets_a_companions_optional_fields_to_their_defaults(platform, project_key):
    body = {"description": "d", "lastName": "Lee", "tags": {"a": "b"}, "defaultView": "round"}
    companion = create(platform, project_key, "/public/companions", body)
    url = platform.url(f"/public/companions/{companion['id']}")
    reset = {"lastName": None, "tags": None, "defaultView": None}
    response = requests.patch(url, json=reset, headers=project_key.headers, timeout=T)
    refused = requests.patch(url, json={"description": None}, headers=project_key.headers, timeout=T)

    assert response.status_code == 200, response.text
    answered = response.json()
    assert (answered["lastName"], answered["tags"], answered["defaultView"]) == (None, {}, "rectangle")
    assert refused.status_code == 400 and "cannot be null" in error_of(refused)["description"]


def test_a_tool_socket_push_naming_a_key_twice_is_a_400(platform):
    """The worker's pushes (`/runtime/tool-sockets/{sessionId}/events`) follow the same JSON rules."""
    headers = {
        "Authorization": f"Bearer {platform.settings.tool_sockets_secret}",
        "Content-Type": "application/json",
    }
    url = platform.url("/runtime/tool-sockets/sess_nobody/events")
    twice = '{"type": "ui_update", "data": {"panel": 1}, "data": {"panel": 2}}'
    refused = requests.post(url, data=twice.encode(), headers=headers, timeout=T)
    once = requests.post(url, data=b'{"type": "ui_update", "data": {"panel": 1}}', headers=headers, timeout=T)

    assert refused.status_code == 400, refused.text
    assert "'data' twice" in error_of(refused)["description"]
    assert once.status_code == 204
