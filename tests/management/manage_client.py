"""HTTP helpers of the end-to-end tests of ``/manage`` (tests/e2e/test_manage_*.py): a caller with a
bearer token, fresh users, and a small world (an organization with an admin, a member, an outsider,
a project and an API key) built through the API itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests

from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyAuthenticator, ApiKeyRecord
from shared.storage import TableRepository, table_service

PROVIDER_SECRET = "sk-provider-secret-never-answered"


def fresh_email(name: str) -> str:
    """A new user per test (upper case on purpose: user ids compare without case)."""
    return f"{name}-{uuid.uuid4().hex[:10]}@Example.com"


@dataclass
class Caller:
    platform: Any
    token: str | None

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return requests.request(method, self.platform.url(path), headers=headers, timeout=30, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


@dataclass
class World:
    admin: Caller
    member: Caller
    outsider: Caller
    admin_email: str
    member_email: str
    other_member_email: str  # a second member, for the role change and removal endpoints
    organization_id: str
    project_id: str
    key_id: str
    key: str


def caller(platform: Any, user_token: Any, email: str) -> Caller:
    return Caller(platform, user_token(email))


def build_world(platform: Any, user_token: Any) -> World:
    admin_email, member_email = fresh_email("admin"), fresh_email("member")
    other_email, outsider_email = fresh_email("other"), fresh_email("outsider")
    admin = caller(platform, user_token, admin_email)
    organization = admin.ok("POST", "/manage/organizations", 201, json={"name": "Acme"})
    org = organization["id"]
    admin.ok(
        "POST", f"/manage/organizations/{org}/members", 201, json={"email": member_email, "role": "member"}
    )
    admin.ok(
        "POST", f"/manage/organizations/{org}/members", 201, json={"email": other_email, "role": "member"}
    )
    project = admin.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Web"})
    key = admin.ok(
        "POST",
        f"/manage/projects/{project['id']}/api-keys",
        201,
        json={"name": "Production", "provider": {"type": "hosted"}},
    )
    return World(
        admin=admin,
        member=caller(platform, user_token, member_email),
        outsider=caller(platform, user_token, outsider_email),
        admin_email=admin_email.lower(),
        member_email=member_email.lower(),
        other_member_email=other_email.lower(),
        organization_id=org,
        project_id=project["id"],
        key_id=key["id"],
        key=key["key"],
    )


def user_ids(admin: Caller, organization_id: str) -> dict[str, str]:
    """Each member's ``userId`` by email, as an admin lists them: the stable id once they have signed
    in, the email of a pending invitation until then."""
    listed = admin.ok("GET", f"/manage/organizations/{organization_id}/members", params={"pageSize": 100})
    return {member["email"]: member["userId"] for member in listed["items"]}


def api_key_records(platform: Any) -> TableRepository[ApiKeyRecord]:
    return TableRepository(table_service(platform.settings.storage), API_KEYS_TABLE, ApiKeyRecord)


def authenticator(platform: Any) -> ApiKeyAuthenticator:
    """A fresh authenticator over the app's key table (no cache shared with the app)."""
    return ApiKeyAuthenticator(api_key_records(platform))
