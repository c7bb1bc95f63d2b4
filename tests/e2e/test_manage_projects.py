"""Projects through /manage: ETags, If-Match, partial updates, and deletion that revokes keys."""

from __future__ import annotations

import pytest

from shared.api_errors import ApiError
from tests.e2e.conftest import error_of
from tests.management.manage_client import authenticator, build_world, caller, fresh_email


@pytest.fixture
def world(platform, user_token):
    return build_world(platform, user_token)


def test_a_project_is_created_with_its_etag_and_listed_in_its_organization(world):
    org = world.organization_id
    response = world.admin.call(
        "POST", f"/manage/organizations/{org}/projects", json={"name": "Mobile", "description": "The app"}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"id", "organizationId", "name", "description", "createdAt", "updatedAt"}
    assert created["id"].startswith("proj_")
    assert (created["organizationId"], created["name"], created["description"]) == (org, "Mobile", "The app")
    assert created["updatedAt"] is None
    assert response.headers["ETag"]

    got = world.member.call("GET", f"/manage/projects/{created['id']}")
    assert got.json() == created
    assert got.headers["ETag"] == response.headers["ETag"]
    listed = world.member.ok("GET", f"/manage/organizations/{org}/projects")
    assert [p["name"] for p in listed["items"]] == ["Mobile", "Web"]
    assert listed["totalCount"] == 2


def test_patch_changes_only_the_fields_sent_and_answers_a_new_etag(world):
    path = f"/manage/projects/{world.project_id}"
    etag = world.admin.call("GET", path).headers["ETag"]

    response = world.admin.call(
        "PATCH", path, json={"description": "Customer site"}, headers={"If-Match": etag}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["description"]) == ("Web", "Customer site")
    assert body["updatedAt"] is not None
    assert response.headers["ETag"] != etag
    assert world.admin.call("GET", path).headers["ETag"] == response.headers["ETag"]


def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(world):
    path = f"/manage/projects/{world.project_id}"
    stale = world.admin.call("GET", path).headers["ETag"]
    world.admin.ok("PATCH", path, json={"name": "First"}, headers={"If-Match": stale})

    second = world.admin.call("PATCH", path, json={"name": "Second"}, headers={"If-Match": stale})
    deleted = world.admin.call("DELETE", path, headers={"If-Match": stale})

    for response in (second, deleted):
        assert response.status_code == 412, response.text
        assert error_of(response)["code"] == "PreconditionFailed"
    assert world.admin.ok("GET", path)["name"] == "First"
    assert (
        world.admin.call("PATCH", path, json={"name": "Third"}, headers={"If-Match": "*"}).status_code == 200
    )
    assert (
        world.admin.call(
            "PATCH", path, json={"name": "Fourth"}, headers={"If-Match": '"garbage"'}
        ).status_code
        == 412
    )


def test_patch_without_if_match_applies_to_the_current_version(world):
    path = f"/manage/projects/{world.project_id}"
    world.admin.ok("PATCH", path, json={"name": "Renamed"})
    world.admin.ok("PATCH", path, json={"description": "Kept the name"})
    assert (world.admin.ok("GET", path)["name"], world.admin.ok("GET", path)["description"]) == (
        "Renamed",
        "Kept the name",
    )


def test_invalid_project_requests_are_refused_and_write_nothing(world):
    org, path = world.organization_id, f"/manage/projects/{world.project_id}"
    etag = world.admin.call("GET", path).headers["ETag"]
    projects_before = world.admin.ok("GET", f"/manage/organizations/{org}/projects")

    attempts = [
        ("POST", f"/manage/organizations/{org}/projects", {"description": "no name"}, "name"),
        (
            "POST",
            f"/manage/organizations/{org}/projects",
            {"name": "x", "description": "d" * 1001},
            "description",
        ),
        ("PATCH", path, {}, None),
        ("PATCH", path, {"name": None}, "name"),
        ("PATCH", path, {"name": ""}, "name"),
        ("PATCH", path, {"organizationId": "org_other"}, "organizationId"),
    ]
    for method, url, body, field in attempts:
        response = world.admin.call(method, url, json=body)
        assert response.status_code == 400, (method, body, response.text)
        error = error_of(response)
        if field:
            assert field in [d["field"] for d in error["details"]], error

    assert world.admin.call("GET", path).headers["ETag"] == etag
    assert world.admin.ok("GET", f"/manage/organizations/{org}/projects") == projects_before


def test_deleting_a_project_removes_it_and_revokes_its_keys(platform, world):
    keys = authenticator(platform)
    assert keys.authenticate(world.key).project_id == world.project_id
    path = f"/manage/projects/{world.project_id}"

    world.admin.ok("DELETE", path, 204)

    gone = world.admin.call("GET", path)
    assert (gone.status_code, error_of(gone)["code"]) == (404, "ProjectNotFound")
    assert world.admin.ok("GET", f"/manage/organizations/{world.organization_id}/projects")["items"] == []
    with pytest.raises(ApiError) as refused:
        authenticator(platform).authenticate(world.key)
    assert refused.value.status == 401
    assert world.admin.call("DELETE", path).status_code == 404


def test_an_admin_of_another_organization_cannot_reach_the_project(platform, user_token, world):
    stranger = caller(platform, user_token, fresh_email("stranger"))
    stranger.ok("POST", "/manage/organizations", 201, json={"name": "Other"})
    for method, body in (("GET", None), ("PATCH", {"name": "mine"}), ("DELETE", None)):
        response = stranger.call(method, f"/manage/projects/{world.project_id}", json=body)
        assert response.status_code == 404, response.text
    assert world.admin.ok("GET", f"/manage/projects/{world.project_id}")["name"] == "Web"
