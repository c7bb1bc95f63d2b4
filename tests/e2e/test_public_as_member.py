"""Signed-in users on /public over HTTP: a bearer token with X-Project-Id instead of an API key (the
Playground, the dashboard). Admins may do what a key may; Members read, connect and search knowledge,
and are refused the rest with the published body; outsiders get 404; one of the project's keys (the
oldest active one, or the one X-Api-Key-Id names) provides the model, and a revoked key never does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests

from shared.auth.tokens import mint_local_token
from tests.e2e.builders import create, new_agent, new_companion
from tests.e2e.conftest import error_of
from tests.e2e.session_client import SessionClient, open_connection
from tests.fakes.scripted_openai import ScriptedOpenAI
from tests.management.manage_client import Caller, fresh_email

T = 30


@dataclass(frozen=True)
class SignedIn:
    """A signed-in user acting in a project: usable wherever the e2e helpers take a key."""

    token: str
    project_id: str
    key_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "X-Project-Id": self.project_id}
        if self.key_id:
            headers["X-Api-Key-Id"] = self.key_id
        return headers

    def using(self, key_id: str) -> SignedIn:
        return SignedIn(self.token, self.project_id, key_id)


@dataclass
class Project:
    """An organization (an admin, a member; an outsider beside it) with one project and its keys."""

    platform: Any
    admin_api: Caller  # /manage as the admin
    admin: SignedIn
    member: SignedIn
    outsider: SignedIn
    organization_id: str
    project_id: str
    keys: list[dict[str, Any]]  # as /manage answered them: id, key (plaintext), ...

    def key_headers(self, index: int = 0) -> dict[str, str]:
        return {"X-Api-Key": self.keys[index]["key"]}

    def add_key(self, provider: dict[str, Any]) -> dict[str, Any]:
        key = self.admin_api.ok(
            "POST",
            f"/manage/projects/{self.project_id}/api-keys",
            201,
            json={"name": f"key {len(self.keys)}", "provider": provider},
        )
        self.keys.append(key)
        return dict(key)

    def revoke_key(self, index: int) -> None:
        self.admin_api.ok(
            "DELETE", f"/manage/projects/{self.project_id}/api-keys/{self.keys[index]['id']}", 204
        )


def scripted(model: ScriptedOpenAI) -> dict[str, Any]:
    return {"type": "openai-compatible", "baseUrl": model.base_url, "model": "gpt-scripted"}


def make_project(platform: Any, user_token: Any, *providers: dict[str, Any]) -> Project:
    admin_email, member_email, outsider_email = (
        fresh_email("admin"),
        fresh_email("member"),
        fresh_email("out"),
    )
    admin_api = Caller(platform, user_token(admin_email))
    org = admin_api.ok("POST", "/manage/organizations", 201, json={"name": "Acme"})["id"]
    admin_api.ok(
        "POST", f"/manage/organizations/{org}/members", 201, json={"email": member_email, "role": "member"}
    )
    project_id = admin_api.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Web"})[
        "id"
    ]
    project = Project(
        platform=platform,
        admin_api=admin_api,
        admin=SignedIn(user_token(admin_email), project_id),
        member=SignedIn(user_token(member_email), project_id),
        outsider=SignedIn(user_token(outsider_email), project_id),
        organization_id=org,
        project_id=project_id,
        keys=[],
    )
    for provider in providers:
        project.add_key(provider)
    return project


@pytest.fixture
def project(platform, user_token) -> Project:
    return make_project(platform, user_token, {"type": "hosted"})


def call(platform: Any, method: str, path: str, who: Any, **kwargs: Any) -> requests.Response:
    return requests.request(method, platform.url(path), headers=who.headers, timeout=T, **kwargs)


def items(response: requests.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


# --- Admins ------------------------------------------------------------------------------------


def test_an_admin_signed_in_creates_a_companion_the_projects_key_then_sees(platform, project):
    companion_id = new_companion(platform, project.admin, "Made in the dashboard.")
    seen_by_key = requests.get(
        platform.url(f"/public/companions/{companion_id}"), headers=project.key_headers(), timeout=T
    )
    assert seen_by_key.status_code == 200, seen_by_key.text
    assert seen_by_key.json()["description"] == "Made in the dashboard."


# --- Members -----------------------------------------------------------------------------------


def test_a_member_lists_the_projects_companions_and_agents(platform, project):
    agent = new_agent(platform, project.admin, name="Ava")
    companions = items(call(platform, "GET", "/public/companions", project.member))
    agents = items(call(platform, "GET", "/public/agents", project.member))
    assert [c["id"] for c in companions] == [agent["companionId"]]
    assert [(a["id"], a["name"]) for a in agents] == [(agent["id"], "Ava")]


def test_a_member_opens_a_websocket_session_and_talks_to_the_agent(platform, user_token):
    with ScriptedOpenAI() as model:
        model.always_text("Hello from the project's model.")
        project = make_project(platform, user_token, scripted(model))
        agent = new_agent(platform, project.admin)
        answer = open_connection(platform, project.member, agent["id"])  # type: ignore[arg-type]
        with SessionClient(answer) as client:
            client.receive_until("avatar_state_changed", state="ready")
            assert client.ask("Hi there") == "Hello from the project's model."
            assert client.end()["reason"] == "client"
        assert len(model.requests) >= 1
    session = requests.get(
        platform.url(f"/public/sessions/{client.session_id}"), headers=project.key_headers(), timeout=T
    )
    assert session.status_code == 200, session.text  # the session is the project's, seen by its key


def test_a_member_searches_a_knowledge_collection(platform, project):
    kb = create(platform, project.admin, "/public/knowledge-bases", {"name": "Handbook"})["id"]
    found = call(
        platform, "POST", f"/public/knowledge-bases/{kb}/search", project.member, json={"query": "leave"}
    )
    assert found.status_code == 200, found.text
    assert found.json()["results"] == []


def refused_changes(platform: Any, project: Project) -> list[tuple[str, str, dict[str, Any] | None]]:
    companion_id, spare_companion_id = (
        new_companion(platform, project.admin),
        new_companion(platform, project.admin),
    )
    function = create(
        platform,
        project.admin,
        "/public/functions",
        {
            "data": {"name": "get_order", "description": "An order.", "parameters": {"type": "object"}},
            "flow": "explicit",
            "url": "https://tools.example.com/order",
        },
    )
    return [
        ("POST", "/public/agents", {"companionId": companion_id, "voiceId": "alloy", "providerSettings": {}}),
        ("DELETE", f"/public/companions/{spare_companion_id}", None),
        ("POST", f"/public/functions/{function['id']}/signing-secret/rotate", None),
    ]


def test_a_member_is_refused_every_change_with_the_role_it_needs_and_nothing_changes(platform, project):
    changes = refused_changes(platform, project)
    before = [
        items(call(platform, "GET", path, project.admin)) for path in ("/public/companions", "/public/agents")
    ]
    for method, path, body in changes:
        response = call(platform, method, path, project.member, json=body)
        assert response.status_code == 403, (method, path, response.text)
        error = error_of(response)
        assert (error["code"], error["numericType"]) == ("Forbidden", 6)
        assert error["description"].endswith("that needs the Admin role."), error
    after = [
        items(call(platform, "GET", path, project.admin)) for path in ("/public/companions", "/public/agents")
    ]
    assert after == before
    assert (len(after[0]), len(after[1])) == (2, 0)


def test_an_admin_may_make_the_changes_refused_to_a_member(platform, project):
    statuses = [
        call(platform, method, path, project.admin, json=body).status_code
        for method, path, body in refused_changes(platform, project)
    ]
    assert statuses == [201, 204, 200]


def test_members_are_rate_limited_per_user_not_per_shared_key(platform, user_token):
    with ScriptedOpenAI() as model:
        model.always_text("Hi.")
        project = make_project(platform, user_token, scripted(model))
        agent = new_agent(platform, project.admin)
        path = f"/public/agents/{agent['id']}/connections"
        body = {"channelType": "websocket"}
        statuses = [
            call(platform, "POST", path, who, json=body).status_code
            for who in (project.member, project.admin)
        ]
        again = call(platform, "POST", path, project.member, json=body)
    assert statuses == [201, 201]  # one shared key, two users: two budgets
    assert again.status_code == 429, again.text
    assert error_of(again)["code"] == "RequestRateLimitExceeded"


# --- Who is refused, and how -------------------------------------------------------------------


def test_outsiders_and_unknown_projects_are_not_found(platform, project):
    member_elsewhere = SignedIn(project.member.token, "proj_doesnotexist0")
    malformed = SignedIn(project.member.token, "not a project id")
    for who in (project.outsider, member_elsewhere, malformed):
        for method, path in (("GET", "/public/companions"), ("POST", "/public/agents")):
            response = call(platform, method, path, who, json={} if method == "POST" else None)
            assert response.status_code == 404, (who.project_id, path, response.text)
            assert error_of(response)["code"] == "ProjectNotFound"


def test_a_bearer_without_a_project_id_is_told_to_send_the_header(platform, project):
    response = requests.get(
        platform.url("/public/companions"),
        headers={"Authorization": f"Bearer {project.member.token}"},
        timeout=T,
    )
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "ValidationFailed"
    assert [detail["field"] for detail in error["details"]] == ["X-Project-Id"]


def test_a_bad_or_expired_bearer_is_unauthorized_as_on_manage(platform, project):
    expired = mint_local_token(platform.settings, "someone@example.com", lifetime=timedelta(minutes=-5))
    for token, reason in (("not-a-jwt", "not valid"), (expired, "expired")):
        response = call(platform, "GET", "/public/companions", SignedIn(token, project.project_id))
        assert response.status_code == 401, response.text
        assert error_of(response)["code"] == "Unauthorized"
        assert reason in error_of(response)["description"]
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_project_without_an_api_key_says_to_create_one(platform, user_token):
    project = make_project(platform, user_token)  # no key
    for who in (project.admin, project.member):
        response = call(platform, "GET", "/public/companions", who)
        assert response.status_code == 409, response.text
        error = error_of(response)
        assert error["code"] == "NoApiKey"
        assert "create an API key in the project first" in error["description"]


# --- Which key provides the model ---------------------------------------------------------------


def opening_reply(platform: Any, who: SignedIn, agent_id: str) -> str:
    with SessionClient(open_connection(platform, who, agent_id)) as client:  # type: ignore[arg-type]
        client.receive_until("avatar_state_changed", state="ready")
        reply = client.ask("Who are you?")
        client.end()
    return reply


def test_x_api_key_id_chooses_which_keys_provider_serves_the_session(platform, user_token):
    with ScriptedOpenAI() as first, ScriptedOpenAI() as second:
        first.always_text("I am the first key's model.")
        second.always_text("I am the second key's model.")
        project = make_project(platform, user_token, scripted(first), scripted(second))
        agent = new_agent(platform, project.admin)
        assert opening_reply(platform, project.member, agent["id"]) == "I am the first key's model."
        chosen = project.admin.using(project.keys[1]["id"])  # a fresh user budget for connections
        assert opening_reply(platform, chosen, agent["id"]) == "I am the second key's model."


def test_voices_come_from_the_chosen_keys_provider(platform, user_token):
    with ScriptedOpenAI() as model:
        project = make_project(platform, user_token, scripted(model), {"type": "hosted"})
        by_default = items(call(platform, "GET", "/public/voices", project.member))
        chosen = items(call(platform, "GET", "/public/voices", project.member.using(project.keys[1]["id"])))
    assert {voice["provider"] for voice in by_default} == {"openai-compatible"}
    assert {voice["provider"] for voice in chosen} == {"hosted"}


def test_a_revoked_key_is_never_chosen_and_a_key_of_another_project_is_not_found(platform, user_token):
    with ScriptedOpenAI() as first, ScriptedOpenAI() as second:
        first.always_text("I am the revoked key's model.")
        second.always_text("I am the active key's model.")
        project = make_project(platform, user_token, scripted(first), scripted(second))
        other = make_project(platform, user_token, {"type": "hosted"})
        agent = new_agent(platform, project.admin)
        project.revoke_key(0)
        assert opening_reply(platform, project.member, agent["id"]) == "I am the active key's model."
        assert first.requests == []

        named_revoked = call(platform, "GET", "/public/agents", project.member.using(project.keys[0]["id"]))
        assert named_revoked.status_code == 409, named_revoked.text
        assert error_of(named_revoked)["code"] == "ApiKeyRevoked"
        named_elsewhere = call(platform, "GET", "/public/agents", project.member.using(other.keys[0]["id"]))
        assert named_elsewhere.status_code == 404, named_elsewhere.text
        assert error_of(named_elsewhere)["code"] == "ApiKeyNotFound"
