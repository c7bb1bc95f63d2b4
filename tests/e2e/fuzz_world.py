"""What the OpenAPI fuzz test (test_fuzz_openapi.py) runs against: one organization with every kind of
resource made through the API, the credentials of both schemes, the order of the operations
(destructive ones last) and the read that shows whether a refused request wrote anything."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from shared.management.roster import MAX_MEMBERS
from tests.e2e.builders import new_agent, new_weather_function
from tests.management.manage_client import Caller, build_world, user_ids

T = 30
CLIENT_ID = "fuzz-client"

# POSTs that read: they never write a resource, so they need no before/after comparison.
READING_POSTS = {"/manage/dev/token", "/public/knowledge-bases/{knowledgeBaseId}/search"}
# Spend a budget of one request per 5 s per key (or user): each case gets a credential of its own.
CONNECTION_OPERATIONS = {
    "/public/connections",
    "/public/ws-connections",
    "/public/agents/{agentId}/connections",
}
# Where a write of these operations would show, when the path itself has no GET.
WRITTEN_TO = {
    "/public/connections": "/public/sessions",
    "/public/ws-connections": "/public/sessions",
    "/public/agents/{agentId}/connections": "/public/sessions",
    "/public/sessions/{sessionId}/end": "/public/sessions/{sessionId}",
    "/public/sessions/{sessionId}/messages": "/public/sessions/{sessionId}",
    "/public/sessions/{sessionId}/tool-results": "/public/sessions/{sessionId}",
    "/public/functions/{functionId}/signing-secret/rotate": "/public/functions/{functionId}",
    "/public/companions/{companionId}/avatar": "/public/companions/{companionId}",
    "/public/companions/{companionId}/clients/{externalClientId}": (
        "/public/companions/{companionId}/clients/{externalClientId}/memory"
    ),
    "/public/knowledge-bases/{knowledgeBaseId}/files/{fileId}/summary": (
        "/public/knowledge-bases/{knowledgeBaseId}/files/{fileId}"
    ),
}


@dataclass
class FuzzWorld:
    """Seeded ids by path parameter name, and the headers of each credential."""

    ids: dict[str, str]
    key_headers: dict[str, str]
    bearer_headers: dict[str, str]  # a management token of the organization's admin
    project_id: str
    fresh_key: Callable[[], dict[str, str]]
    fresh_admin: Callable[[], dict[str, str]]

    def credentials(self, path: str, scheme: str) -> dict[str, str]:
        if scheme == "anonymous":
            return {}
        if scheme == "bearer" and path.startswith("/public/"):
            bearer = self.fresh_admin() if path in CONNECTION_OPERATIONS else self.bearer_headers
            return {**bearer, "X-Project-Id": self.project_id}
        if scheme == "key":
            return self.fresh_key() if path in CONNECTION_OPERATIONS else self.key_headers
        return self.bearer_headers


def seed_world(host: Any, user_token: Any) -> FuzzWorld:
    """An organization (admin, members, project, keys) and one of every /public resource, through the API."""
    world = build_world(host, user_token)
    admin: Caller = world.admin
    key = _Key(world.key)
    victim_key = admin.ok(  # DELETE api-keys deletes this one, not the key the fuzzing runs with
        "POST",
        f"/manage/projects/{world.project_id}/api-keys",
        201,
        json={"name": "to delete", "provider": {"type": "hosted"}},
    )
    agent = new_agent(host, key, inactivity={"timeoutSeconds": 3600, "countdownSeconds": 10})
    _ok(host, key, "PUT", f"/public/agents/{agent['id']}/channels/webrtc", {}, 200)
    faqs = _ok(host, key, "POST", "/public/faqs", {"name": "F", "faqs": [{"question": "Q?", "answer": "A."}]})
    function = new_weather_function(host, key)
    knowledge_base = _ok(host, key, "POST", "/public/knowledge-bases", {"name": "Handbook"})
    kb_files = f"/public/knowledge-bases/{knowledge_base['id']}/files"
    file = _ok(host, key, "POST", kb_files, {"text": "# Hours\n\nOpen at nine.", "name": "hours.md"})
    _wait_until_ingested(host, key, f"{kb_files}/{file['id']}")
    _ok(
        host,
        key,
        "PUT",
        f"/public/companions/{agent['companionId']}/clients/{CLIENT_ID}",
        {"phoneNumbers": []},
        200,
    )
    session = _ok(
        host, key, "POST", f"/public/agents/{agent['id']}/connections", {"channelType": "websocket"}
    )
    members = user_ids(admin, world.organization_id)
    ids = {
        "orgId": world.organization_id,
        "projectId": world.project_id,
        "userId": members[world.other_member_email],
        "keyId": victim_key["id"],
        "agentId": agent["id"],
        "channelType": "webrtc",
        "companionId": agent["companionId"],
        "externalClientId": CLIENT_ID,
        "faqCollectionId": faqs["id"],
        "itemId": faqs["items"][0]["id"],
        "functionId": function["id"],
        "knowledgeBaseId": knowledge_base["id"],
        "fileId": file["id"],
        "sessionId": session["connection"]["id"],
        "voiceId": "alloy",
    }
    numbers = itertools.count()

    def fresh_key() -> dict[str, str]:
        made = admin.ok(
            "POST",
            f"/manage/projects/{world.project_id}/api-keys",
            201,
            json={"name": "connections", "provider": {"type": "hosted"}},
        )
        return {"X-Api-Key": made["key"]}

    admins: list[dict[str, str]] = []

    def fresh_admin() -> dict[str, str]:
        """A new admin per case while the organization has room (the fuzzed invitations take some),
        then those made so far again (a 429 then is a documented answer too)."""
        number = next(numbers)
        if number < MAX_MEMBERS:
            email = f"fuzz-admin-{number}-{world.organization_id}@example.com"
            invited = admin.call(
                "POST",
                f"/manage/organizations/{world.organization_id}/members",
                json={"email": email, "role": "admin"},
            )
            if invited.status_code == 201:
                admins.append({"Authorization": f"Bearer {user_token(email)}"})
                return admins[-1]
            assert invited.status_code == 409, invited.text  # MemberLimitReached: the organization is full
        return admins[number % len(admins)] if admins else {"Authorization": f"Bearer {admin.token}"}

    return FuzzWorld(
        ids=ids,
        key_headers={"X-Api-Key": world.key},
        bearer_headers={"Authorization": f"Bearer {admin.token}"},
        project_id=world.project_id,
        fresh_key=fresh_key,
        fresh_admin=fresh_admin,
    )


def run_order(method: str, path: str) -> tuple[int, int, str]:
    """Reads, then writes, then deletes: children before parents, the project and its keys last of all
    (a deleted parent would turn every later request into a 404)."""
    if method != "DELETE":
        return (0 if method == "GET" else 1, 0, path)
    depth = path.count("{")
    last = path.startswith("/manage/projects/") or "/members/" in path
    return (3 if last else 2, -depth, path)


def written_resource(method: str, template: str, templates_with_get: set[str]) -> str | None:
    """The GET path template whose answer shows a write of ``method template``, or None for reads."""
    if method == "GET" or (method == "POST" and template in READING_POSTS):
        return None
    if template in WRITTEN_TO:
        return WRITTEN_TO[template]
    path = template
    while path.count("/") > 1:
        if path in templates_with_get:
            return path
        path = path.rsplit("/", 1)[0]
    return None


# What background work changes on its own (a knowledge file being ingested): not a request's write.
# A live session moves on its own too (an end answered 202 is carried out after the answer).
_MOVING_STATES = {"queued", "processing", "pending", "started"}
_INGESTION_FIELDS = {"status", "progress", "title", "summary", "chunkCount", "characterCount", "pageCount"}
_SESSION_END_FIELDS = {"closeReason", "endReason", "closedAt", "billedMinutes", "cost", "duration"}


def unchanged(before: tuple[int, Any], after: tuple[int, Any]) -> bool:
    """Whether a GET answered the same before and after a request, as far as a request could write:
    a listing's count and ids (its items may move on their own); a resource's whole body, but for the
    fields background work fills in while a knowledge file is being ingested or a session is live (the
    transcript still counts)."""
    (status_before, body_before), (status_after, body_after) = before, after
    moving = any(isinstance(b, dict) and b.get("status") in _MOVING_STATES for b in (body_before, body_after))
    return status_before == status_after and _written(body_before, moving) == _written(body_after, moving)


def _written(body: Any, moving: bool) -> Any:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return body.get("totalCount"), [item.get("id") for item in body["items"] if isinstance(item, dict)]
    if isinstance(body, dict) and moving:
        moved = _INGESTION_FIELDS | _SESSION_END_FIELDS | {"updatedAt"}
        return {name: value for name, value in body.items() if name not in moved}
    return body


@dataclass
class _Key:
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}


def _ok(host: Any, key: _Key, method: str, path: str, body: Any, status: int = 201) -> dict[str, Any]:
    response = requests.request(method, host.url(path), json=body, headers=key.headers, timeout=T)
    assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
    answer: dict[str, Any] = response.json()
    return answer


def _wait_until_ingested(host: Any, key: _Key, path: str) -> None:
    """Ingestion changes the file's record as it goes: the comparisons need it settled first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        file = requests.get(host.url(path), headers=key.headers, timeout=T).json()
        if file["status"] in ("ready", "failed"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{path} was not ingested: {file}")
