"""Organizations and their members through /manage: the creator is admin, invitations are by email
(taken on first sign-in, then the member is their stable user id), and an organization always keeps
an admin."""

from __future__ import annotations

import re

from tests.e2e.conftest import error_of
from tests.management.manage_client import build_world, caller, fresh_email, user_ids

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_the_creator_of_an_organization_becomes_its_admin(platform, user_token):
    alice = caller(platform, user_token, fresh_email("alice"))

    created = alice.ok("POST", "/manage/organizations", 201, json={"name": "  Acme Corp  "})

    assert set(created) == {"id", "name", "role", "createdAt"}
    assert created["id"].startswith("org_")
    assert (created["name"], created["role"]) == ("Acme Corp", "admin")
    assert ISO_UTC.match(created["createdAt"])
    assert alice.ok("GET", f"/manage/organizations/{created['id']}") == created


def test_the_organization_list_is_the_published_envelope_and_searchable(platform, user_token):
    alice = caller(platform, user_token, fresh_email("alice"))
    for name in ("Beta", "Alpha", "Gamma"):
        alice.ok("POST", "/manage/organizations", 201, json={"name": name})

    listed = alice.ok("GET", "/manage/organizations")
    assert set(listed) == {"items", "filteredCount", "totalCount", "pageIndex", "pageSize", "search"}
    assert [o["name"] for o in listed["items"]] == ["Alpha", "Beta", "Gamma"]
    assert (listed["totalCount"], listed["filteredCount"], listed["pageIndex"]) == (3, 3, 0)

    found = alice.ok("GET", "/manage/organizations", params={"search": "AMM", "pageSize": 1})
    assert [o["name"] for o in found["items"]] == ["Gamma"]
    assert (found["totalCount"], found["filteredCount"], found["pageSize"]) == (3, 1, 1)
    bad = alice.call("GET", "/manage/organizations", params={"pageSize": 0})
    assert bad.status_code == 400
    assert error_of(bad)["details"][0]["field"] == "query.pageSize"


def test_an_invited_member_signs_in_by_email_in_any_case_and_sees_the_organization(platform, user_token):
    world = build_world(platform, user_token)
    members_path = f"/manage/organizations/{world.organization_id}/members"
    members = world.admin.ok("GET", members_path)

    by_email = {m["email"]: m for m in members["items"]}
    assert set(by_email) == {world.admin_email, world.member_email, world.other_member_email}
    assert set(by_email[world.member_email]) == {"userId", "email", "status", "role", "addedAt"}
    # Not signed in yet: a pending invitation, named by its email.
    assert (by_email[world.member_email]["userId"], by_email[world.member_email]["status"]) == (
        world.member_email,
        "invited",
    )
    assert by_email[world.member_email]["role"] == "member"
    assert ISO_UTC.match(by_email[world.member_email]["addedAt"])
    # The creator is their stable id, never their email.
    assert by_email[world.admin_email]["userId"].startswith("user_")
    assert (by_email[world.admin_email]["role"], by_email[world.admin_email]["status"]) == ("admin", "active")
    # The member's token was minted for the mixed-case address they were invited with.
    assert world.member.ok("GET", f"/manage/organizations/{world.organization_id}")["role"] == "member"
    taken = {m["email"]: m for m in world.admin.ok("GET", members_path)["items"]}[world.member_email]
    assert taken["userId"].startswith("user_") and taken["status"] == "active"
    assert (taken["role"], taken["addedAt"]) == ("member", by_email[world.member_email]["addedAt"])


def test_inviting_an_existing_member_is_a_conflict(platform, user_token):
    world = build_world(platform, user_token)
    response = world.admin.call(
        "POST",
        f"/manage/organizations/{world.organization_id}/members",
        json={"email": world.member_email.upper(), "role": "admin"},
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "MemberAlreadyExists"


def test_the_last_admin_can_be_neither_demoted_nor_removed(platform, user_token):
    world = build_world(platform, user_token)
    members = f"/manage/organizations/{world.organization_id}/members"
    admin_id = user_ids(world.admin, world.organization_id)[world.admin_email]

    demoted = world.admin.call("PATCH", f"{members}/{admin_id}", json={"role": "member"})
    removed = world.admin.call("DELETE", f"{members}/{admin_id}")

    for response in (demoted, removed):
        assert response.status_code == 409, response.text
        body = error_of(response)
        assert (body["code"], body["numericType"]) == ("LastAdmin", 3)
    roles = {m["email"]: m["role"] for m in world.admin.ok("GET", members)["items"]}
    assert roles[world.admin_email] == "admin"


def test_an_admin_may_step_down_once_another_admin_exists(platform, user_token):
    world = build_world(platform, user_token)
    members = f"/manage/organizations/{world.organization_id}/members"
    world.admin.ok("PATCH", f"{members}/{world.member_email}", json={"role": "admin"})  # still invited
    admin_id = user_ids(world.admin, world.organization_id)[world.admin_email]
    # A signed-in member is their id: their email does not name them (emails change).
    by_email = world.admin.call("DELETE", f"{members}/{world.admin_email}")
    assert (by_email.status_code, error_of(by_email)["code"]) == (404, "MemberNotFound")
    assert admin_id in error_of(by_email)["description"]

    world.admin.ok("DELETE", f"{members}/{admin_id}", 204)

    assert world.admin.call("GET", f"/manage/organizations/{world.organization_id}").status_code == 404
    remaining = {m["email"]: (m["role"], m["status"]) for m in world.member.ok("GET", members)["items"]}
    assert remaining == {
        world.member_email: ("admin", "active"),
        world.other_member_email: ("member", "invited"),
    }


def test_a_removed_member_loses_access_and_the_organization_leaves_their_list(platform, user_token):
    world = build_world(platform, user_token)
    org = world.organization_id
    world.admin.ok("DELETE", f"/manage/organizations/{org}/members/{world.member_email}", 204)

    assert world.member.call("GET", f"/manage/organizations/{org}").status_code == 404
    assert world.member.call("GET", f"/manage/projects/{world.project_id}").status_code == 404
    assert org not in [o["id"] for o in world.member.ok("GET", "/manage/organizations")["items"]]

    # Invited again, they are back.
    world.admin.ok(
        "POST",
        f"/manage/organizations/{org}/members",
        201,
        json={"email": world.member_email, "role": "member"},
    )
    assert org in [o["id"] for o in world.member.ok("GET", "/manage/organizations")["items"]]


def test_invalid_requests_are_refused_with_field_details_and_write_nothing(platform, user_token):
    world = build_world(platform, user_token)
    admin, org = world.admin, world.organization_id
    organizations_before = admin.ok("GET", "/manage/organizations")
    members_before = admin.ok("GET", f"/manage/organizations/{org}/members")

    attempts = [
        ("POST", "/manage/organizations", {}, "name"),
        ("POST", "/manage/organizations", {"name": "   "}, "name"),
        ("POST", "/manage/organizations", {"name": "x" * 101}, "name"),
        ("POST", "/manage/organizations", {"name": "x", "plan": "gold"}, "plan"),
        (
            "POST",
            f"/manage/organizations/{org}/members",
            {"email": "not-an-email", "role": "member"},
            "email",
        ),
        (
            "POST",
            f"/manage/organizations/{org}/members",
            {"email": fresh_email("x"), "role": "owner"},
            "role",
        ),
        ("POST", f"/manage/organizations/{org}/members", {"email": fresh_email("x")}, "role"),
        ("PATCH", f"/manage/organizations/{org}/members/{world.member_email}", {"role": "root"}, "role"),
        ("PATCH", f"/manage/organizations/{org}/members/{world.member_email}", [], None),
    ]
    for method, path, body, field in attempts:
        response = admin.call(method, path, json=body)
        assert response.status_code == 400, (method, path, body, response.text)
        error = error_of(response)
        assert error["code"] == "ValidationFailed"
        if field:
            assert field in [d["field"] for d in error["details"]], error
    not_json = admin.call(
        "POST", "/manage/organizations", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400

    assert admin.ok("GET", "/manage/organizations") == organizations_before
    assert admin.ok("GET", f"/manage/organizations/{org}/members") == members_before
