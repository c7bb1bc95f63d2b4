"""The role matrix of /manage, endpoint by endpoint: admins may, members only view (403 otherwise),
outsiders get 404 (existence is not revealed), and no or a bad token gets 401. Every refusal is the
published error body and writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests

from shared.auth.tokens import LOCAL_AUDIENCE, LOCAL_ISSUER
from tests.e2e.conftest import error_of
from tests.management.manage_client import Caller, World, build_world, fresh_email, user_ids


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # {org}, {project}, {key}, {target} filled from the world
    body: Any = None
    admin_status: int = 200
    member_may: bool = False

    def url(self, world: World) -> str:
        return self.path.format(
            org=world.organization_id,
            project=world.project_id,
            key=world.key_id,
            target=world.other_member_email,
        )

    def json(self) -> Any:
        if self.body == "new member":
            return {"email": fresh_email("invitee"), "role": "member"}
        return self.body

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ORG = "/manage/organizations/{org}"
PROJECT = "/manage/projects/{project}"
CASES = [
    Case("GET", ORG, member_may=True),
    Case("POST", ORG + "/members", "new member", admin_status=201),
    Case("GET", ORG + "/members"),
    Case("PATCH", ORG + "/members/{target}", {"role": "admin"}),
    Case("DELETE", ORG + "/members/{target}", admin_status=204),
    Case("POST", ORG + "/projects", {"name": "Mobile", "description": "app"}, admin_status=201),
    Case("GET", ORG + "/projects", member_may=True),
    Case("GET", PROJECT, member_may=True),
    Case("PATCH", PROJECT, {"name": "Renamed"}),
    Case("DELETE", PROJECT, admin_status=204),
    Case("POST", PROJECT + "/api-keys", {"name": "k", "provider": {"type": "hosted"}}, admin_status=201),
    Case("GET", PROJECT + "/api-keys"),
    Case("DELETE", PROJECT + "/api-keys/{key}", admin_status=204),
]


@pytest.fixture(scope="module")
def shared_world(platform, user_token) -> World:
    """One world for the callers that must not change anything."""
    return build_world(platform, user_token)


def snapshot(world: World) -> dict[str, Any]:
    """What an admin sees of the world (to prove refused calls wrote nothing)."""
    org, project = world.organization_id, world.project_id
    admin = world.admin
    return {
        "organization": admin.ok("GET", f"/manage/organizations/{org}"),
        "members": admin.ok("GET", f"/manage/organizations/{org}/members"),
        "projects": admin.ok("GET", f"/manage/organizations/{org}/projects"),
        "project": admin.call("GET", f"/manage/projects/{project}").headers["ETag"],
        "keys": admin.ok("GET", f"/manage/projects/{project}/api-keys"),
    }


@pytest.mark.parametrize("case", CASES, ids=str)
def test_admins_may_call_every_organization_endpoint(platform, user_token, case):
    world = build_world(platform, user_token)  # fresh: the admin's calls change things
    response = world.admin.call(case.method, case.url(world), json=case.json())
    assert response.status_code == case.admin_status, response.text


@pytest.mark.parametrize("case", CASES, ids=str)
def test_members_may_only_view_and_are_forbidden_the_rest(shared_world, case):
    response = shared_world.member.call(case.method, case.url(shared_world), json=case.json())
    if case.member_may:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403, response.text
        body = error_of(response)
        assert (body["code"], body["numericType"]) == ("Forbidden", 6)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_outsiders_are_told_nothing_exists(shared_world, case):
    response = shared_world.outsider.call(case.method, case.url(shared_world), json=case.json())
    assert response.status_code == 404, response.text
    assert error_of(response)["code"] in {"OrganizationNotFound", "ProjectNotFound"}


@pytest.mark.parametrize("token", [None, "not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
@pytest.mark.parametrize(
    "case",
    [*CASES, Case("GET", "/manage/organizations"), Case("POST", "/manage/organizations", {"name": "x"})],
    ids=str,
)
def test_calls_without_a_valid_bearer_token_are_unauthorized(platform, shared_world, case, token):
    response = Caller(platform, token).call(case.method, case.url(shared_world), json=case.json())
    assert response.status_code == 401, response.text
    assert error_of(response)["code"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_signed_with_another_key_is_unauthorized(platform):
    forged = jwt.encode(
        {
            "iss": LOCAL_ISSUER,
            "aud": LOCAL_AUDIENCE,
            "sub": "a@example.com",
            "email": "a@example.com",
            "exp": 4102444800,
        },
        b"k" * 32,
        algorithm="HS256",
    )
    response = Caller(platform, forged).call("GET", "/manage/organizations")
    assert response.status_code == 401
    assert error_of(response)["code"] == "Unauthorized"


def test_refused_calls_change_nothing(platform, shared_world):
    before = snapshot(shared_world)
    for case in CASES:
        for caller in (shared_world.member, shared_world.outsider, Caller(platform, None)):
            if case.method != "GET":
                caller.call(case.method, case.url(shared_world), json=case.json())
    assert snapshot(shared_world) == before


def test_a_member_promoted_to_admin_may_manage_at_once(platform, user_token):
    world = build_world(platform, user_token)
    members = f"/manage/organizations/{world.organization_id}/members"
    assert world.member.call("GET", members).status_code == 403
    member_id = user_ids(world.admin, world.organization_id)[world.member_email]  # signed in: their id
    world.admin.ok("PATCH", f"{members}/{member_id}", json={"role": "admin"})
    assert world.member.call("GET", members).status_code == 200


def test_an_organization_is_listed_only_for_its_members_with_their_role(platform, user_token):
    world = build_world(platform, user_token)

    def roles(caller: Caller) -> dict[str, str]:
        return {o["id"]: o["role"] for o in caller.ok("GET", "/manage/organizations")["items"]}

    assert roles(world.admin)[world.organization_id] == "admin"
    assert roles(world.member)[world.organization_id] == "member"
    assert world.organization_id not in roles(world.outsider)


def test_unknown_ids_are_not_found(shared_world):
    admin = shared_world.admin
    for path, code in [
        ("/manage/organizations/org_doesnotexist", "OrganizationNotFound"),
        ("/manage/organizations/not-an-id", "OrganizationNotFound"),
        ("/manage/projects/proj_doesnotexist", "ProjectNotFound"),
        ("/manage/projects/%23weird", "ProjectNotFound"),
    ]:
        response = admin.call("GET", path)
        assert response.status_code == 404, (path, response.text)
        assert error_of(response)["code"] == code
    gone = admin.call("DELETE", f"/manage/projects/{shared_world.project_id}/api-keys/key_doesnotexist")
    assert (gone.status_code, error_of(gone)["code"]) == (404, "ApiKeyNotFound")
    members = f"/manage/organizations/{shared_world.organization_id}/members"
    for nobody in ("x@example.com", "user_00000000000000000000000000000000", "%23weird"):
        response = admin.call("DELETE", f"{members}/{nobody}")
        assert (response.status_code, error_of(response)["code"]) == (404, "MemberNotFound"), nobody


def test_every_answer_carries_a_request_id(shared_world):
    response = shared_world.outsider.call("GET", "/manage/organizations", headers={"X-Request-Id": "abc"})
    assert response.headers["X-Request-Id"] == "abc"
    assert requests.get(shared_world.admin.platform.url("/manage/organizations"), timeout=30).headers[
        "X-Request-Id"
    ]
