"""/public/functions through devhost: the published body, validation, isolation, ETags, signing secrets."""

from __future__ import annotations

import base64
import copy
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from shared.auth.local_keys import local_key
from shared.catalog.tables import AGENTS, FUNCTIONS
from shared.secret_box import SecretBox
from shared.storage import table_service
from tests.e2e.builders import patch_at_once
from tests.e2e.conftest import error_of

ORDER_STATUS = {
    "data": {
        "name": "get_order_status",
        "description": "Look up the current status of a customer order by order ID",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string", "description": "The unique order identifier"}},
            "required": ["order_id"],
        },
    },
    "flow": "explicit",
    "url": "https://your-api.example.com/tools/get-order-status",
    "headers": {"x-api-key": "your-internal-api-key"},
    "receiveMessages": False,
    "prompt": "Use this tool when the user asks about the status of their order.",
}
IMPLICIT = {
    "data": {
        "name": "show_product",
        "description": "Show a product card on the user's screen",
        "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}},
    },
    "flow": "implicit",
}


def with_changes(body: dict, **changes) -> dict:
    changed = copy.deepcopy(body)
    for path, value in changes.items():
        target = changed
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is ...:
            target.pop(last, None)
        else:
            target[last] = value
    return changed


def create(platform, key, body=None) -> requests.Response:
    return requests.post(
        platform.url("/public/functions"), json=body or ORDER_STATUS, headers=key.headers, timeout=30
    )


def listed(platform, key, query: str = "") -> dict:
    response = requests.get(platform.url(f"/public/functions{query}"), headers=key.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def stored_entity(platform, project_id: str, function_id: str) -> dict:
    client = table_service(platform.settings.storage).get_table_client(FUNCTIONS)
    return dict(client.get_entity(project_id, function_id))


def secret_box(platform) -> SecretBox:
    return SecretBox(local_key(platform.settings.local_state_dir, "secrets"))


# ---------------------------------------------------------------------------------------------- create


def test_create_explicit_answers_the_function_and_its_signing_secret_once(platform, project_key):
    response = create(platform, project_key)
    assert response.status_code == 201, response.text
    function = response.json()
    assert function["id"].startswith("fn_")
    assert response.headers["Location"] == f"/public/functions/{function['id']}"
    for field in ("data", "flow", "url", "headers", "receiveMessages", "prompt"):
        assert function[field] == ORDER_STATUS[field]
    secret = function["signingSecret"]
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32
    assert function["hasSigningSecret"] is True

    fetched = requests.get(
        platform.url(f"/public/functions/{function['id']}"), headers=project_key.headers, timeout=30
    )
    assert fetched.status_code == 200 and fetched.headers["ETag"]
    assert fetched.json()["signingSecret"] is None and fetched.json()["hasSigningSecret"] is True
    assert secret not in fetched.text
    page = listed(platform, project_key)
    assert page["items"][0]["signingSecret"] is None and secret not in json.dumps(page)

    entity = stored_entity(platform, project_key.project_id, function["id"])
    assert secret not in json.dumps(entity, default=str)
    assert "your-internal-api-key" not in json.dumps(entity, default=str)  # headers are sealed too
    assert secret_box(platform).open(entity["sealed_signing_secret"], function["id"]) == secret


def test_create_implicit_has_no_signing_secret(platform, project_key):
    response = create(platform, project_key, IMPLICIT)
    assert response.status_code == 201
    function = response.json()
    assert function["signingSecret"] is None and function["hasSigningSecret"] is False
    assert function["url"] is None and function["flow"] == "implicit"


def test_websocket_function_keeps_its_connection_behavior(platform, project_key):
    body = with_changes(
        ORDER_STATUS,
        url="wss://tools.example.com/ws",
        receiveMessages=True,
        connectionBehavior={"waitBeforeStart": True, "abortOnFailure": False},
    )
    function = create(platform, project_key, body).json()
    assert function["connectionBehavior"] == {"waitBeforeStart": True, "abortOnFailure": False}
    assert function["receiveMessages"] is True and function["url"] == "wss://tools.example.com/ws"


def test_local_mode_accepts_loopback_urls(platform, project_key):
    response = create(platform, project_key, with_changes(ORDER_STATUS, url="http://localhost:8080/tool"))
    assert response.status_code == 201


INVALID = [
    ("missing-data", with_changes(ORDER_STATUS, data=...), "data"),
    ("missing-name", with_changes(ORDER_STATUS, data__name=...), "data.name"),
    ("name-with-space", with_changes(ORDER_STATUS, data__name="get order"), "data.name"),
    ("name-too-long", with_changes(ORDER_STATUS, data__name="x" * 65), "data.name"),
    ("missing-description", with_changes(ORDER_STATUS, data__description=...), "data.description"),
    (
        "parameters-not-object-type",
        with_changes(ORDER_STATUS, data__parameters={"type": "string"}),
        "data.parameters",
    ),
    (
        "parameters-invalid-schema",
        with_changes(
            ORDER_STATUS, data__parameters={"type": "object", "properties": {"a": {"type": "strng"}}}
        ),
        "data.parameters",
    ),
    ("parameters-not-a-dict", with_changes(ORDER_STATUS, data__parameters=["order_id"]), "data.parameters"),
    ("unknown-flow", with_changes(ORDER_STATUS, flow="sometimes"), "flow"),
    ("missing-flow", with_changes(ORDER_STATUS, flow=...), "flow"),
    ("explicit-without-url", with_changes(ORDER_STATUS, url=...), "url"),
    ("ftp-url", with_changes(ORDER_STATUS, url="ftp://example.com/x"), "url"),
    ("no-host", with_changes(ORDER_STATUS, url="https:///x"), "url"),
    (
        "reserved-header",
        with_changes(ORDER_STATUS, headers={"X-Omniagent-Signature": "x"}),
        "headers.X-Omniagent-Signature",
    ),
    ("header-not-string", with_changes(ORDER_STATUS, headers={"x-n": 5}), "headers.x-n"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in INVALID], ids=[i for i, _, _ in INVALID])
def test_invalid_create_is_400_naming_the_field_and_writes_nothing(platform, project_key, body, field):
    response = create(platform, project_key, body)
    assert response.status_code == 400
    error = error_of(response)
    assert any(d["field"] == field for d in error["details"]), error
    assert listed(platform, project_key)["totalCount"] == 0


def test_duplicate_name_is_409_and_writes_nothing(platform, project_key):
    assert create(platform, project_key).status_code == 201
    response = create(platform, project_key, with_changes(IMPLICIT, data__name="get_order_status"))
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["numericType"]) == ("FunctionAlreadyExists", 3)
    assert listed(platform, project_key)["totalCount"] == 1


def test_concurrent_creates_of_one_name_make_exactly_one_function(platform, project_key):
    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(lambda _: create(platform, project_key, IMPLICIT).status_code, range(6)))
    assert statuses == [201, 409, 409, 409, 409, 409]
    assert listed(platform, project_key)["totalCount"] == 1


def test_the_same_name_is_fine_in_another_project(platform, project_key, project_key_factory):
    assert create(platform, project_key).status_code == 201
    assert create(platform, project_key_factory()).status_code == 201


# ---------------------------------------------------------------------------------------------- list


def test_list_is_the_published_envelope_in_creation_order_with_search(platform, project_key):
    first = create(platform, project_key).json()
    second = create(platform, project_key, IMPLICIT).json()
    page = listed(platform, project_key)
    assert set(page) == {"items", "filteredCount", "totalCount", "pageIndex", "pageSize", "search"}
    assert [f["id"] for f in page["items"]] == [first["id"], second["id"]]
    found = listed(platform, project_key, "?search=product")
    assert [f["id"] for f in found["items"]] == [second["id"]]
    assert (found["filteredCount"], found["totalCount"], found["search"]) == (1, 2, "product")
    assert [f["id"] for f in listed(platform, project_key, "?pageIndex=1&pageSize=1")["items"]] == [
        second["id"]
    ]


# ---------------------------------------------------------------------------------------------- isolation


def test_another_projects_key_gets_404_for_every_function_route(platform, project_key, project_key_factory):
    function = create(platform, project_key).json()
    other = project_key_factory()
    url = platform.url(f"/public/functions/{function['id']}")
    answers = [
        requests.get(url, headers=other.headers, timeout=30),
        requests.put(url, json=IMPLICIT, headers=other.headers, timeout=30),
        requests.patch(url, json={"prompt": "stolen"}, headers=other.headers, timeout=30),
        requests.delete(url, headers=other.headers, timeout=30),
        requests.post(f"{url}/signing-secret/rotate", headers=other.headers, timeout=30),
    ]
    for response in answers:
        assert response.status_code == 404
        assert error_of(response)["code"] == "FunctionNotFound"
    assert listed(platform, other)["totalCount"] == 0
    mine = requests.get(url, headers=project_key.headers, timeout=30).json()
    assert mine["prompt"] == ORDER_STATUS["prompt"] and mine["data"] == ORDER_STATUS["data"]


# ---------------------------------------------------------------------------------------------- update


def test_put_replaces_the_whole_function_and_keeps_the_secret(platform, project_key):
    function = create(platform, project_key).json()
    url = platform.url(f"/public/functions/{function['id']}")
    replacement = with_changes(ORDER_STATUS, prompt=..., headers=..., data__description="New description")
    response = requests.put(url, json=replacement, headers=project_key.headers, timeout=30)
    assert response.status_code == 200
    updated = response.json()
    assert updated["prompt"] is None and updated["headers"] is None
    assert updated["data"]["description"] == "New description"
    assert updated["signingSecret"] is None and updated["hasSigningSecret"] is True
    assert updated["created"] == function["created"] and updated["updated"] is not None
    entity = stored_entity(platform, project_key.project_id, function["id"])
    assert (
        secret_box(platform).open(entity["sealed_signing_secret"], function["id"])
        == function["signingSecret"]
    )


def test_patch_changes_only_the_fields_sent(platform, project_key):
    function = create(platform, project_key).json()
    url = platform.url(f"/public/functions/{function['id']}")
    response = requests.patch(
        url, json={"data": {"description": "Only this"}}, headers=project_key.headers, timeout=30
    )
    assert response.status_code == 200
    patched = response.json()
    assert patched["data"]["description"] == "Only this"
    assert patched["data"]["name"] == "get_order_status"
    assert patched["data"]["parameters"] == ORDER_STATUS["data"]["parameters"]
    for field in ("flow", "url", "headers", "prompt"):
        assert patched[field] == ORDER_STATUS[field]
    cleared = requests.patch(url, json={"prompt": None}, headers=project_key.headers, timeout=30).json()
    assert cleared["prompt"] is None and cleared["data"]["description"] == "Only this"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": {"name": "bad name"}}, "data.name"),
        ({"data": {"parameters": {"type": "array"}}}, "data.parameters"),
        ({"url": None}, "url"),
        ({"url": "gopher://x"}, "url"),
        ({"flow": None}, "flow"),
        ({"flow": "never"}, "flow"),
    ],
)
def test_invalid_patch_is_400_and_changes_nothing(platform, project_key, body, field):
    function = create(platform, project_key).json()
    url = platform.url(f"/public/functions/{function['id']}")
    before = requests.get(url, headers=project_key.headers, timeout=30)
    response = requests.patch(url, json=body, headers=project_key.headers, timeout=30)
    assert response.status_code == 400
    assert any(d["field"] == field for d in error_of(response)["details"]), response.json()
    after = requests.get(url, headers=project_key.headers, timeout=30)
    assert after.json() == before.json() and after.headers["ETag"] == before.headers["ETag"]


def test_invalid_put_is_400_and_changes_nothing(platform, project_key):
    function = create(platform, project_key).json()
    url = platform.url(f"/public/functions/{function['id']}")
    before = requests.get(url, headers=project_key.headers, timeout=30).json()
    response = requests.put(
        url, json=with_changes(ORDER_STATUS, url=...), headers=project_key.headers, timeout=30
    )
    assert response.status_code == 400
    error_of(response)
    assert requests.get(url, headers=project_key.headers, timeout=30).json() == before


def test_rename_to_a_taken_name_is_409_and_a_rename_frees_the_old_name(platform, project_key):
    orders = create(platform, project_key).json()
    products = create(platform, project_key, IMPLICIT).json()
    orders_url = platform.url(f"/public/functions/{orders['id']}")
    taken = requests.patch(
        orders_url, json={"data": {"name": "show_product"}}, headers=project_key.headers, timeout=30
    )
    assert taken.status_code == 409 and error_of(taken)["code"] == "FunctionAlreadyExists"
    renamed = requests.patch(
        orders_url, json={"data": {"name": "order_status_v2"}}, headers=project_key.headers, timeout=30
    )
    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "order_status_v2"
    again = create(
        platform, project_key, IMPLICIT | {"data": {**IMPLICIT["data"], "name": "get_order_status"}}
    )
    assert again.status_code == 201
    assert {f["data"]["name"] for f in listed(platform, project_key)["items"]} == {
        "order_status_v2",
        "show_product",
        "get_order_status",
    }
    assert products["id"] != again.json()["id"]


def test_stale_if_match_is_412_and_the_first_update_is_kept(platform, project_key):
    created = create(platform, project_key)
    function, etag = created.json(), created.headers["ETag"]
    url = platform.url(f"/public/functions/{function['id']}")
    first = requests.patch(
        url, json={"prompt": "first"}, headers={**project_key.headers, "If-Match": etag}, timeout=30
    )
    assert first.status_code == 200
    for method, body in (
        ("PATCH", {"prompt": "second"}),
        ("PUT", with_changes(ORDER_STATUS, prompt="second")),
    ):
        stale = requests.request(
            method, url, json=body, headers={**project_key.headers, "If-Match": etag}, timeout=30
        )
        assert stale.status_code == 412, method
        assert error_of(stale)["code"] == "PreconditionFailed"
    assert requests.get(url, headers=project_key.headers, timeout=30).json()["prompt"] == "first"
    assert (
        requests.delete(url, headers={**project_key.headers, "If-Match": etag}, timeout=30).status_code == 412
    )
    fresh = requests.put(
        url,
        json=with_changes(ORDER_STATUS, prompt="third"),
        headers={**project_key.headers, "If-Match": first.headers["ETag"]},
        timeout=30,
    )
    assert fresh.status_code == 200 and fresh.json()["prompt"] == "third"


def test_concurrent_patches_of_different_fields_are_all_kept(platform, project_key):
    function = create(platform, project_key).json()
    url = platform.url(f"/public/functions/{function['id']}")
    changes = [
        {"prompt": "p"},
        {"data": {"description": "d"}},
        {"headers": {"x-a": "1"}},
        {"receiveMessages": True},
        {"url": "https://elsewhere.example.com/x"},
        {"data": {"parameters": {"type": "object", "properties": {}}}},
    ]
    statuses = patch_at_once(url, project_key.headers, changes)
    assert statuses == [200] * len(changes)
    final = requests.get(url, headers=project_key.headers, timeout=30).json()
    assert final["prompt"] == "p" and final["data"]["description"] == "d" and final["headers"] == {"x-a": "1"}
    assert final["receiveMessages"] is True and final["url"] == "https://elsewhere.example.com/x"
    assert final["data"]["parameters"] == {"type": "object", "properties": {}}


# ---------------------------------------------------------------------------------------------- secrets


def test_rotation_answers_a_new_secret_once_and_replaces_the_stored_one(platform, project_key):
    function = create(platform, project_key).json()
    rotate_url = platform.url(f"/public/functions/{function['id']}/signing-secret/rotate")
    response = requests.post(rotate_url, headers=project_key.headers, timeout=30)
    assert response.status_code == 200
    rotated = response.json()["signingSecret"]
    assert rotated and rotated != function["signingSecret"]
    entity = stored_entity(platform, project_key.project_id, function["id"])
    assert secret_box(platform).open(entity["sealed_signing_secret"], function["id"]) == rotated
    fetched = requests.get(
        platform.url(f"/public/functions/{function['id']}"), headers=project_key.headers, timeout=30
    )
    assert fetched.json()["signingSecret"] is None and rotated not in fetched.text
    again = requests.post(rotate_url, headers=project_key.headers, timeout=30).json()["signingSecret"]
    assert again not in (rotated, function["signingSecret"])


def test_rotation_of_an_implicit_function_is_409(platform, project_key):
    function = create(platform, project_key, IMPLICIT).json()
    response = requests.post(
        platform.url(f"/public/functions/{function['id']}/signing-secret/rotate"),
        headers=project_key.headers,
        timeout=30,
    )
    assert response.status_code == 409 and error_of(response)["code"] == "FunctionNotExplicit"


def test_making_a_function_explicit_answers_its_new_secret_once(platform, project_key):
    function = create(platform, project_key, IMPLICIT).json()
    url = platform.url(f"/public/functions/{function['id']}")
    response = requests.patch(
        url,
        json={"flow": "explicit", "url": "https://tools.example.com/x"},
        headers=project_key.headers,
        timeout=30,
    )
    assert response.status_code == 200
    secret = response.json()["signingSecret"]
    assert secret and response.json()["hasSigningSecret"] is True
    later = requests.patch(url, json={"prompt": "x"}, headers=project_key.headers, timeout=30).json()
    assert later["signingSecret"] is None and later["hasSigningSecret"] is True
    implicit = requests.patch(url, json={"flow": "implicit"}, headers=project_key.headers, timeout=30).json()
    assert implicit["hasSigningSecret"] is False


# ---------------------------------------------------------------------------------------------- delete


def test_delete_is_204_then_404_and_frees_the_name(platform, project_key):
    function = create(platform, project_key).json()
    url = platform.url(f"/public/functions/{function['id']}")
    assert requests.delete(url, headers=project_key.headers, timeout=30).status_code == 204
    assert requests.get(url, headers=project_key.headers, timeout=30).status_code == 404
    assert requests.delete(url, headers=project_key.headers, timeout=30).status_code == 404
    assert listed(platform, project_key)["totalCount"] == 0
    assert create(platform, project_key).status_code == 201


def test_delete_of_a_function_an_agent_uses_is_409(platform, project_key):
    function = create(platform, project_key).json()
    agents = table_service(platform.settings.storage).create_table_if_not_exists(AGENTS)
    agents.create_entity(
        {
            "PartitionKey": project_key.project_id,
            "RowKey": "agent_usesfunction",
            "companion_id": "comp_stock_ava",
            "functions": json.dumps([function["id"]]),
        }
    )
    url = platform.url(f"/public/functions/{function['id']}")
    response = requests.delete(url, headers=project_key.headers, timeout=30)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "FunctionInUse" and "agent_usesfunction" in error["description"]
    assert requests.get(url, headers=project_key.headers, timeout=30).status_code == 200
    agents.delete_entity(project_key.project_id, "agent_usesfunction")
    assert requests.delete(url, headers=project_key.headers, timeout=30).status_code == 204
