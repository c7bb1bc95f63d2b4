"""The management endpoints' part of the OpenAPI document: every field documented, secrets write-only."""

import function_app  # noqa: F401  (registers every endpoint, so the count does not depend on test order)
from api.endpoint import ENDPOINTS
from shared.openapi import build_document

MANAGE = [spec for spec in ENDPOINTS if spec.route.startswith("manage/")]


def schemas():
    return build_document(MANAGE, "test", "0")["components"]["schemas"]


def test_every_management_route_is_documented_with_bearer_auth_except_the_dev_token():
    document = build_document(MANAGE, "test", "0")
    operations = {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert len(operations) == 17
    for (method, path), operation in operations.items():
        expected = [] if path == "/manage/dev/token" else [{"BearerAuth": []}]
        assert operation["security"] == expected, (method, path)


def test_every_field_of_every_management_model_has_a_description():
    undocumented = [
        f"{name}.{field}"
        for name, schema in schemas().items()
        if name != "ErrorBody"
        for field, prop in schema.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []


def test_wire_names_are_camel_case_and_provider_keys_are_write_only():
    all_schemas = schemas()
    assert "keyHint" in all_schemas["ApiKey"]["properties"]
    assert "organizationId" in all_schemas["Project"]["properties"]
    for name, schema in all_schemas.items():
        for field in schema.get("properties", {}):
            assert "_" not in field, f"{name}.{field}"
        if "apiKey" in schema.get("properties", {}):
            assert schema["properties"]["apiKey"]["writeOnly"] is True
