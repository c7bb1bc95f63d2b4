"""The rules every JSON body is read by (``shared/request_json.py``, issue 16 defect 9), and the OpenAPI
document stating the same ones: 415 on every JSON operation, unknown fields refused in every request
schema, and ``null`` in a ``PATCH`` taken exactly where the document says it is nullable."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

import function_app  # noqa: F401  (registers every endpoint)
from api.endpoint import ENDPOINTS, parse_model
from shared.agents.models import AgentFields
from shared.api_errors import ApiError
from shared.openapi import build_document
from shared.request_json import InvalidJson, check_json_media_type, extra_rule, loads, loose_booleans

DOCUMENT = build_document(ENDPOINTS, "t", "1")
SCHEMAS = DOCUMENT["components"]["schemas"]


@pytest.mark.parametrize(
    "content_type",
    [None, "", "application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"],
)
def test_json_media_types_and_no_content_type_are_read(content_type):
    check_json_media_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/json", "application/xml", "multipart/form-data; boundary=x", "x+json"],
)
def test_other_media_types_are_a_415(content_type):
    with pytest.raises(ApiError) as refused:
        check_json_media_type(content_type)
    assert (refused.value.status, refused.value.code) == (415, "UnsupportedMediaType")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ('{"a": 1, "a": 2}', "'a' twice"),
        ('{"outer": [{"b": 1, "c": 2, "b": 1}]}', "'b' twice"),
        ("[" * 100000, "nested too deeply"),
        ("{nope", "not valid JSON"),
    ],
)
def test_duplicate_keys_depth_and_bad_text_are_refused(raw, says):
    with pytest.raises(InvalidJson) as refused:
        loads(raw)
    assert says in str(refused.value)


def test_the_same_key_in_different_objects_is_fine():
    assert loads('[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]


def test_only_json_booleans_are_booleans():
    base = {"companionId": "comp_1", "voiceId": "alloy", "providerSettings": {}}
    for sent in (0, 1, "true", "off"):
        data = {**base, "memory": {"enabled": sent}}
        assert loose_booleans(AgentFields.model_validate(data), data) == ["memory.enabled"]
    data = {**base, "memory": {"enabled": False}}
    assert loose_booleans(AgentFields.model_validate(data), data) == []


def test_unknown_fields_are_refused_unless_the_model_takes_them():
    from shared.billing.fulfillment import WebhookNotification

    class Open(BaseModel):
        a: int = 0

    with pytest.raises(ApiError) as refused:
        parse_model(Open, {"b": 1}, extra=extra_rule(Open))
    assert [d.field for d in refused.value.details] == ["b"]
    assert extra_rule(WebhookNotification) is None  # Microsoft may add fields to its notifications


def _json_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in DOCUMENT["paths"].items()
        for method, operation in methods.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def test_every_operation_taking_json_documents_the_415():
    operations = _json_operations()
    assert len(operations) > 20
    assert [(m, p) for m, p, op in operations if "415" not in op["responses"]] == []


def _open_objects(schema: dict[str, Any], seen: set[str], where: str) -> list[str]:
    """Object schemas (with properties) reachable from ``schema`` that do not refuse other properties."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return _open_objects(SCHEMAS[name], seen, name)
    found = [where] if "properties" in schema and schema.get("additionalProperties") is not False else []
    children = [*schema.get("properties", {}).values()]
    children += [s for key in ("anyOf", "oneOf", "allOf", "prefixItems") for s in schema.get(key, [])]
    children += [schema[k] for k in ("items", "additionalProperties") if isinstance(schema.get(k), dict)]
    return found + [w for child in children for w in _open_objects(child, seen, where)]


def test_every_request_schema_refuses_unknown_fields_as_the_server_does():
    bodies = [op["requestBody"]["content"]["application/json"]["schema"] for _, _, op in _json_operations()]
    open_objects = {where for body in bodies for where in _open_objects(body, set(), "")}
    assert open_objects == set()


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(s.get("type") == "null" for s in schema.get("anyOf", []))


def test_every_patch_takes_null_exactly_where_the_document_says_it_may():
    patches = [spec for spec in ENDPOINTS if spec.method == "PATCH"]
    checked, disagree = 0, []
    for spec in patches:
        assert spec.body is not None
        operation = DOCUMENT["paths"][spec.path]["patch"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for name, schema in SCHEMAS[ref.rsplit("/", 1)[1]]["properties"].items():
            checked += 1
            try:
                parse_model(spec.body, {name: None}, extra="forbid")
                taken = True
            except ApiError:
                taken = False
            if taken != _nullable(schema):
                disagree.append(f"{spec.path} {name}: document nullable {_nullable(schema)}, taken {taken}")
    assert disagree == []
    assert len(patches) >= 9 and checked > 40
