"""Users are their token's issuer + subject, never its email (issue 16 defect 4), over HTTP: an invited
email is taken on first sign-in, a member whose email changes keeps access, another account claiming the
same email gets nothing, and organizations stored under emails upgrade on their members' first call."""

from __future__ import annotations

import hashlib
import json
import uuid

import requests

from shared.management.records import (
    ORGANIZATIONS_TABLE,
    PROJECT_INDEX_TABLE,
    PROJECTS_TABLE,
    USER_ORGANIZATIONS_TABLE,
)
from shared.storage import table_service
from tests.e2e.conftest import error_of
from tests.management.manage_client import Caller, fresh_email, user_ids


def account(platform, user_token, email: str, subject: str) -> Caller:
    return Caller(platform, user_token(email, subject=subject))


def organization_with_project(admin: Caller) -> tuple[str, str]:
    org = admin.ok("POST", "/manage/organizations", 201, json={"name": "Acme"})["id"]
    project = admin.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Web"})["id"]
    return org, project


def test_an_invited_email_binds_to_the_user_on_first_sign_in(platform, user_token):
    admin = Caller(platform, user_token(fresh_email("admin")))
    org, _project = organization_with_project(admin)
    bob_email = fresh_email("bob").lower()
    admin.ok("POST", f"/manage/organizations/{org}/members", 201, json={"email": bob_email, "role": "member"})
    assert user_ids(admin, org)[bob_email] == bob_email  # pending: named by the email

    bob = account(platform, user_token, bob_email, f"bob-{uuid.uuid4().hex}")
    assert [(o["id"], o["role"]) for o in bob.ok("GET", "/manage/organizations")["items"]] == [
        (org, "member")
    ]

    members = {m["email"]: m for m in admin.ok("GET", f"/manage/organizations/{org}/members")["items"]}
    assert members[bob_email]["userId"].startswith("user_")
    assert (members[bob_email]["status"], members[bob_email]["role"]) == ("active", "member")
    bob_id = members[bob_email]["userId"]
    # From now on the id names Bob, the email no longer does.
    by_email = admin.call("PATCH", f"/manage/organizations/{org}/members/{bob_email}", json={"role": "admin"})
    assert (by_email.status_code, error_of(by_email)["code"]) == (404, "MemberNotFound")
    promoted = admin.ok("PATCH", f"/manage/organizations/{org}/members/{bob_id}", json={"role": "admin"})
    assert (promoted["userId"], promoted["email"], promoted["role"]) == (bob_id, bob_email, "admin")


def test_a_member_whose_token_email_changes_keeps_access(platform, user_token):
    admin_email = fresh_email("admin").lower()
    admin = Caller(platform, user_token(admin_email))
    org, project = organization_with_project(admin)
    bob_email, subject = fresh_email("bob").lower(), f"bob-{uuid.uuid4().hex}"
    admin.ok("POST", f"/manage/organizations/{org}/members", 201, json={"email": bob_email, "role": "member"})
    account(platform, user_token, bob_email, subject).ok("GET", f"/manage/organizations/{org}")

    renamed = account(platform, user_token, fresh_email("robert"), subject)

    assert [(o["id"], o["role"]) for o in renamed.ok("GET", "/manage/organizations")["items"]] == [
        (org, "member")
    ]
    assert renamed.ok("GET", f"/manage/organizations/{org}")["role"] == "member"
    assert renamed.ok("GET", f"/manage/projects/{project}")["id"] == project
    # Still one member, shown with the address they were invited by.
    assert sorted(user_ids(admin, org)) == sorted([admin_email, bob_email])


def test_the_creator_whose_email_changes_stays_admin(platform, user_token):
    subject = f"ann-{uuid.uuid4().hex}"
    ann = account(platform, user_token, fresh_email("ann"), subject)
    org, project = organization_with_project(ann)

    renamed = account(platform, user_token, fresh_email("ann.married"), subject)

    assert renamed.ok("GET", f"/manage/organizations/{org}")["role"] == "admin"
    renamed.ok("PATCH", f"/manage/projects/{project}", json={"name": "Web 2"})


def test_another_account_with_the_same_email_does_not_get_the_first_ones_organizations(platform, user_token):
    admin = Caller(platform, user_token(fresh_email("admin")))
    org, project = organization_with_project(admin)
    key = {"name": "Production", "provider": {"type": "hosted"}}
    admin.ok("POST", f"/manage/projects/{project}/api-keys", 201, json=key)  # /public would use it
    bob_email = fresh_email("bob").lower()
    admin.ok("POST", f"/manage/organizations/{org}/members", 201, json={"email": bob_email, "role": "admin"})
    account(platform, user_token, bob_email, f"bob-{uuid.uuid4().hex}").ok("GET", "/manage/organizations")

    impostor = account(platform, user_token, bob_email, f"mallory-{uuid.uuid4().hex}")

    assert impostor.ok("GET", "/manage/organizations")["items"] == []
    assert impostor.call("GET", f"/manage/organizations/{org}").status_code == 404
    assert impostor.call("GET", f"/manage/projects/{project}").status_code == 404
    signed_in_public = requests.get(
        platform.url("/public/agents"),
        headers={"Authorization": f"Bearer {impostor.token}", "X-Project-Id": project},
        timeout=30,
    )
    assert signed_in_public.status_code == 404
    assert len(user_ids(admin, org)) == 2  # the admin and Bob: the impostor took nothing


def test_an_organization_stored_under_emails_upgrades_on_its_members_first_calls(platform, user_token):
    """Records as the email-keyed code wrote them, straight into Azurite: no migration step to run."""
    ann_email, bob_email = fresh_email("ann").lower(), fresh_email("bob").lower()
    org, project = f"org_{uuid.uuid4().hex[:16]}", f"proj_{uuid.uuid4().hex[:16]}"
    service = table_service(platform.settings.storage)
    for table in (ORGANIZATIONS_TABLE, USER_ORGANIZATIONS_TABLE, PROJECTS_TABLE, PROJECT_INDEX_TABLE):
        service.create_table_if_not_exists(table)
    old_roster = {
        ann_email: {"role": "admin", "added_at": "2026-01-05T09:00:00Z", "added_by": ann_email},
        bob_email: {"role": "member", "added_at": "2026-01-06T09:00:00Z", "added_by": ann_email},
    }
    service.get_table_client(ORGANIZATIONS_TABLE).create_entity(
        {
            "PartitionKey": org,
            "RowKey": org,
            "name": "Legacy Ltd",
            "created_at": "2026-01-05T09:00:00Z",
            "created_by": ann_email,
            "members": json.dumps(old_roster, separators=(",", ":")),
        }
    )
    for email in (ann_email, bob_email):
        service.get_table_client(USER_ORGANIZATIONS_TABLE).create_entity(
            {
                "PartitionKey": hashlib.sha256(email.encode()).hexdigest(),
                "RowKey": org,
                "added_at": "2026-01-05T09:00:00Z",
            }
        )
    service.get_table_client(PROJECTS_TABLE).create_entity(
        {
            "PartitionKey": org,
            "RowKey": project,
            "organization_id": org,
            "name": "Old project",
            "description": "",
            "created_at": "2026-01-05T09:00:00Z",
            "created_by": ann_email,
        }
    )
    service.get_table_client(PROJECT_INDEX_TABLE).create_entity(
        {"PartitionKey": project, "RowKey": project, "organization_id": org}
    )
    ann = Caller(platform, user_token(ann_email))  # as `devhost token --user` mints it
    bob_subject = f"bob-{uuid.uuid4().hex}"
    bob = account(platform, user_token, bob_email, bob_subject)

    # Ann's first call is the project itself; Bob's lists his organizations.
    assert ann.ok("GET", f"/manage/projects/{project}")["name"] == "Old project"
    assert [(o["id"], o["role"]) for o in bob.ok("GET", "/manage/organizations")["items"]] == [
        (org, "member")
    ]

    members = {m["email"]: m for m in ann.ok("GET", f"/manage/organizations/{org}/members")["items"]}
    assert {email: (m["status"], m["role"]) for email, m in members.items()} == {
        ann_email: ("active", "admin"),
        bob_email: ("active", "member"),
    }
    assert all(m["userId"].startswith("user_") for m in members.values())
    assert members[bob_email]["addedAt"] == "2026-01-06T09:00:00Z"  # history kept
    # Upgraded: Bob's changed email keeps access; another account with his old email gets none.
    assert (
        account(platform, user_token, fresh_email("robert"), bob_subject).ok(
            "GET", f"/manage/organizations/{org}"
        )["role"]
        == "member"
    )
    impostor = account(platform, user_token, bob_email, f"mallory-{uuid.uuid4().hex}")
    assert impostor.call("GET", f"/manage/organizations/{org}").status_code == 404
