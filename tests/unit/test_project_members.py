"""Signed-in users on /public: which operations a Member may call, which key stands in for the user,
and what the OpenAPI document says about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.api_errors import ApiError
from shared.auth.api_keys import ApiKeyRecord
from shared.auth.principals import ApiKeyPrincipal, SignedInKeyPrincipal
from shared.auth.project_members import choose_key
from shared.management.roles import (
    MEMBER_OPERATIONS_BEYOND_READS,
    Action,
    authorize,
    public_action,
    roles_allowed,
)
from shared.openapi import build_document
from tests.app_functions import app_functions

PROJECT = "proj_abc"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def key(key_id: str, minutes: int, revoked: bool = False, project_id: str = PROJECT) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=key_id,
        organization_id="org_abc",
        project_id=project_id,
        name=key_id,
        provider={"type": "hosted"},
        secret_hash="0" * 64,
        key_hint="abcd",
        created_at=T0 + timedelta(minutes=minutes),
        revoked_at=T0 if revoked else None,
    )


def public_specs():
    from api.endpoint import ENDPOINTS

    app_functions()  # loads the app, which fills ENDPOINTS
    return [spec for spec in ENDPOINTS if spec.auth == "api_key"]


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/public/agents", "/public/companions/{companionId}", "/public/new-thing"])
def test_every_read_is_a_use_of_the_project(path):
    assert public_action("GET", path) is Action.USE_PROJECT


@pytest.mark.parametrize("operation", sorted(MEMBER_OPERATIONS_BEYOND_READS))
def test_connections_and_knowledge_search_are_uses_of_the_project(operation):
    assert public_action(*operation) is Action.USE_PROJECT


@pytest.mark.parametrize(
    "operation",
    [
        ("POST", "/public/agents"),
        ("DELETE", "/public/companions/{companionId}"),
        ("PATCH", "/public/agents/{agentId}"),
        ("PUT", "/public/agents/{agentId}/channels/{channelType}"),
        ("POST", "/public/functions/{functionId}/signing-secret/rotate"),
        ("POST", "/public/an-endpoint-added-later"),
    ],
)
def test_everything_else_is_admin_only(operation):
    assert public_action(*operation) is Action.MANAGE_RESOURCES
    assert roles_allowed(Action.MANAGE_RESOURCES) == ["admin"]


def test_a_member_changing_a_resource_is_told_the_role_it_needs():
    with pytest.raises(ApiError) as raised:
        authorize("member", public_action("POST", "/public/agents"), "Project", PROJECT)
    assert (raised.value.status, raised.value.code, raised.value.body()["numericType"]) == (
        403,
        "Forbidden",
        6,
    )
    assert raised.value.description == (
        "Your role in this organization (member) does not allow you to create, change or delete the "
        "project's resources: that needs the Admin role."
    )


def test_every_allow_listed_operation_is_a_post_of_the_public_api():
    registered = {(spec.method, spec.path) for spec in public_specs()}
    assert MEMBER_OPERATIONS_BEYOND_READS - registered == set()  # a misspelt entry would allow nothing
    assert {method for method, _path in MEMBER_OPERATIONS_BEYOND_READS} == {"POST"}


# --- the key that stands in for the user --------------------------------------------------------


def test_the_oldest_active_key_is_chosen_by_default():
    records = [key("key_b", 2), key("key_a", 1, revoked=True), key("key_c", 3)]
    assert choose_key(records, PROJECT, None).id == "key_b"
    assert choose_key(records, PROJECT, "  ").id == "key_b"


def test_a_named_key_is_chosen():
    records = [key("key_b", 2), key("key_c", 3)]
    assert choose_key(records, PROJECT, "key_c").id == "key_c"


def test_a_revoked_key_is_never_chosen_even_when_named():
    records = [key("key_a", 1, revoked=True), key("key_b", 2)]
    with pytest.raises(ApiError) as raised:
        choose_key(records, PROJECT, "key_a")
    assert (raised.value.status, raised.value.code) == (409, "ApiKeyRevoked")
    assert "X-Api-Key-Id" in raised.value.description


@pytest.mark.parametrize("requested", ["key_zzz", "proj_abc", "../key_b"])
def test_a_key_not_of_the_project_is_not_found(requested):
    with pytest.raises(ApiError) as raised:
        choose_key([key("key_b", 2)], PROJECT, requested)
    assert (raised.value.status, raised.value.code) == (404, "ApiKeyNotFound")
    assert PROJECT in raised.value.description


@pytest.mark.parametrize("records", [[], [key("key_a", 1, revoked=True)]])
def test_a_project_without_an_active_key_says_to_create_one(records):
    with pytest.raises(ApiError) as raised:
        choose_key(records, PROJECT, None)
    assert (raised.value.status, raised.value.code) == (409, "NoApiKey")
    assert "create an API key in the project first" in raised.value.description


def test_a_signed_in_principal_is_an_api_key_principal_rate_limited_per_user():
    principal = SignedInKeyPrincipal(
        organization_id="org_abc",
        project_id=PROJECT,
        key_id="key_b",
        provider_type="hosted",
        user_id="user_0123456789abcdef0123456789abcdef",
        role="member",
    )
    assert isinstance(principal, ApiKeyPrincipal)
    # One stable id for roles and budgets alike: the user id of /manage, never the email.
    assert principal.rate_limit_key == "user:user_0123456789abcdef0123456789abcdef"
    assert ApiKeyPrincipal("org_abc", PROJECT, "key_b", "hosted").rate_limit_key == "key_b"


# --- the document --------------------------------------------------------------------------------


def test_public_operations_document_both_schemes_and_who_may_call_them():
    document = build_document(public_specs(), "test", "0")
    schemes = document["components"]["securitySchemes"]
    assert schemes["ProjectIdHeader"]["name"] == "X-Project-Id"
    operations = {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    for (method, path), operation in operations.items():
        assert operation["security"] == [{"ApiKeyAuth": []}, {"BearerAuth": [], "ProjectIdHeader": []}]
        assert "X-Api-Key-Id" in [p["name"] for p in operation["parameters"]], path
        assert {"400", "401", "404", "409", "429"} <= set(operation["responses"]), (method, path)
        member_may = method == "GET" or (method, path) in MEMBER_OPERATIONS_BEYOND_READS
        assert operation["x-omniagent-roles"] == (["admin", "member"] if member_may else ["admin"])
        assert ("403" in operation["responses"]) or member_may, (method, path)
    assert operations[("POST", "/public/agents")]["x-omniagent-roles"] == ["admin"]
    assert operations[("GET", "/public/agents")]["x-omniagent-roles"] == ["admin", "member"]
