"""Rules of a function definition: model-callable names, object JSON Schemas, headers, secrets."""

from __future__ import annotations

import base64

import pytest

from shared.functions.models import FunctionBody
from shared.functions.rules import headers_problems, name_problem, new_signing_secret, parameters_problems
from shared.functions.validation import definition_problems

OBJECT_SCHEMA = {
    "type": "object",
    "properties": {"order_id": {"type": "string", "description": "The order"}},
    "required": ["order_id"],
}


@pytest.mark.parametrize("name", ["get_order_status", "a", "A-b_9", "x" * 64])
def test_valid_function_names(name):
    assert name_problem(name) is None


@pytest.mark.parametrize("name", ["", "x" * 65, "has space", "dot.name", "émoji", "slash/x", "semi;colon"])
def test_invalid_function_names(name):
    assert name_problem(name) is not None


def test_object_schema_is_valid():
    assert parameters_problems(OBJECT_SCHEMA) == []
    assert parameters_problems({"type": "object"}) == []


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "string"}, '"type": "object"'),
        ({"properties": {}}, '"type": "object"'),
        ({"type": "object", "properties": {"a": {"type": "strng"}}}, "not a valid JSON Schema"),
        ({"type": "object", "required": "order_id"}, "not a valid JSON Schema"),
        ({"type": "object", "properties": []}, "not a valid JSON Schema"),
        ({"type": 5}, "not a valid JSON Schema"),
        ([], "JSON Schema object"),
        ("object", "JSON Schema object"),
    ],
)
def test_invalid_parameter_schemas_are_named(schema, fragment):
    problems = parameters_problems(schema)
    assert any(fragment in p for p in problems), problems


def test_oversized_schema_is_refused():
    big = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(2000)}}
    assert any("larger" in p for p in parameters_problems(big))


def test_headers_refuse_platform_headers_bad_names_and_multiline_values():
    problems = headers_problems(
        {"x-api-key": "ok", "X-Omniagent-Signature": "x", "bad name": "v", "x-multi": "a\r\nb"}
    )
    assert sorted(p.field for p in problems) == [
        "headers.X-Omniagent-Signature",
        "headers.bad name",
        "headers.x-multi",
    ]


def test_signing_secret_is_32_random_bytes_base64url():
    secret = new_signing_secret()
    assert len(base64.urlsafe_b64decode(secret + "=")) == 32
    assert "=" not in secret and "+" not in secret and "/" not in secret
    assert new_signing_secret() != secret


def _body(**overrides):
    data = {
        "data": {"name": "get_order_status", "description": "Look up an order", "parameters": OBJECT_SCHEMA},
        "flow": "implicit",
    }
    data.update(overrides)
    return FunctionBody.model_validate(data)


def _public(*args, **kwargs):
    return [(2, 1, 6, "", ("93.184.216.34", 443))]


def test_explicit_function_requires_a_url():
    problems = definition_problems(_body(flow="explicit"), allow_private=False, resolve=_public)
    assert [p.field for p in problems] == ["url"]


def test_explicit_function_with_public_url_is_valid():
    body = _body(flow="explicit", url="https://tools.example.com/orders", headers={"x-api-key": "k"})
    assert definition_problems(body, allow_private=False, resolve=_public) == []


def test_private_url_is_refused_unless_private_targets_are_allowed():
    body = _body(flow="explicit", url="http://192.168.0.10/orders")
    assert [p.field for p in definition_problems(body, allow_private=False, resolve=_public)] == ["url"]
    assert definition_problems(body, allow_private=True, resolve=_public) == []


def test_every_problem_is_reported_with_its_field_path():
    body = _body(
        data={"name": "bad name", "description": " ", "parameters": {"type": "array"}},
        flow="explicit",
        url="ftp://x",
    )
    fields = [p.field for p in definition_problems(body, allow_private=False, resolve=_public)]
    assert fields == ["data.name", "data.description", "data.parameters", "url"]


def test_headers_too_many_or_too_large_together_are_refused():
    assert [p.field for p in headers_problems({f"x-{i}": "v" for i in range(21)})] == ["headers"]
    assert [p.field for p in headers_problems({f"x-{i}": "v" * 4000 for i in range(3)})] == ["headers"]
