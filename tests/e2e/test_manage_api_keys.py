"""API keys through /manage: shown once, listed masked, provider secrets sealed and never answered,
and a revoked key stops authenticating."""

from __future__ import annotations

import pytest
import requests

from shared.api_errors import ApiError
from shared.auth.api_keys import parse_key
from shared.auth.local_keys import local_key
from shared.secret_box import SecretBox
from tests.e2e.conftest import error_of
from tests.management.manage_client import PROVIDER_SECRET, api_key_records, authenticator, build_world

AZURE = {
    "type": "azure-openai",
    "endpoint": "https://contoso.openai.azure.com/",
    "deployment": "gpt-4o-realtime",
    "apiVersion": "2024-10-21",
    "apiKey": PROVIDER_SECRET,
}
COMPATIBLE = {
    "type": "openai-compatible",
    "baseUrl": "http://localhost:11434/v1",
    "model": "llama3",
    "apiKey": PROVIDER_SECRET,
    "transcriptionModel": "whisper-1",
}


@pytest.fixture
def world(platform, user_token):
    return build_world(platform, user_token)


def _set(provider: dict) -> dict:
    """The provider's settings that have a value."""
    return {k: v for k, v in provider.items() if v is not None}


def keys_path(world) -> str:
    return f"/manage/projects/{world.project_id}/api-keys"


def test_a_new_key_is_shown_once_with_its_provider_without_secrets(platform, world):
    response = world.admin.call("POST", keys_path(world), json={"name": "Voice bot", "provider": AZURE})

    assert response.status_code == 201, response.text
    assert "no-store" in response.headers["Cache-Control"]
    created = response.json()
    assert set(created) == {"id", "name", "key", "keyHint", "provider", "createdAt"}
    assert created["id"].startswith("key_")
    assert parse_key(created["key"])[:2] == (world.project_id, created["id"])
    assert created["keyHint"] == created["key"][-4:]
    # Optional settings not sent (speech deployments) are answered as null.
    assert _set(created["provider"]) == {k: v for k, v in AZURE.items() if k != "apiKey"}
    assert PROVIDER_SECRET not in response.text

    listed = world.admin.call("GET", keys_path(world))
    assert created["key"] not in listed.text
    assert PROVIDER_SECRET not in listed.text
    item = next(i for i in listed.json()["items"] if i["id"] == created["id"])
    assert item == {k: v for k, v in created.items() if k != "key"}


def test_the_created_key_authenticates_as_its_project(platform, world):
    created = world.admin.ok(
        "POST", keys_path(world), 201, json={"name": "k", "provider": {"type": "hosted"}}
    )
    voices = requests.get(platform.url("/public/voices"), headers={"X-Api-Key": created["key"]}, timeout=30)
    assert voices.status_code == 200 and voices.json()["items"][0]["provider"] == "hosted"
    principal = authenticator(platform).authenticate(created["key"])
    assert (principal.project_id, principal.organization_id, principal.key_id, principal.provider_type) == (
        world.project_id,
        world.organization_id,
        created["id"],
        "hosted",
    )


def test_the_provider_secret_is_stored_sealed_and_opens_only_for_its_key(platform, world):
    created = world.admin.ok("POST", keys_path(world), 201, json={"name": "compat", "provider": COMPATIBLE})

    record = api_key_records(platform).get(world.project_id, created["id"]).entity
    assert record.provider == {k: v for k, v in COMPATIBLE.items() if k != "apiKey"}
    assert record.sealed_provider_secret and PROVIDER_SECRET not in record.model_dump_json()
    assert created["key"].split(".")[-1] not in record.model_dump_json()
    box = SecretBox(local_key(platform.settings.local_state_dir, "secrets"))
    assert box.open(record.sealed_provider_secret, owner=created["id"]) == PROVIDER_SECRET
    with pytest.raises(ValueError):
        box.open(record.sealed_provider_secret, owner=world.key_id)
    assert PROVIDER_SECRET not in platform.host.output()


def test_a_provider_without_api_key_uses_managed_identity(platform, world):
    managed = {k: v for k, v in AZURE.items() if k != "apiKey"}
    created = world.admin.ok("POST", keys_path(world), 201, json={"name": "mi", "provider": managed})
    assert _set(created["provider"]) == managed
    assert (
        api_key_records(platform).get(world.project_id, created["id"]).entity.sealed_provider_secret is None
    )


def test_a_revoked_key_is_unlisted_and_refused(platform, world):
    keys = authenticator(platform)
    assert keys.authenticate(world.key).key_id == world.key_id
    public = platform.url("/public/agents")
    assert requests.get(public, headers={"X-Api-Key": world.key}, timeout=30).status_code == 200

    world.admin.ok("DELETE", f"{keys_path(world)}/{world.key_id}", 204)

    # At once, although the platform caches keys: the revoke drops the cached entry.
    refused_over_http = requests.get(public, headers={"X-Api-Key": world.key}, timeout=30)
    assert refused_over_http.status_code == 401
    assert error_of(refused_over_http)["description"] == "The API key has been revoked."

    assert world.key_id not in [i["id"] for i in world.admin.ok("GET", keys_path(world))["items"]]
    assert api_key_records(platform).get(world.project_id, world.key_id).entity.revoked_at is not None
    with pytest.raises(ApiError) as refused:
        authenticator(platform).authenticate(world.key)
    assert (refused.value.status, refused.value.description) == (401, "The API key has been revoked.")
    again = world.admin.call("DELETE", f"{keys_path(world)}/{world.key_id}")
    assert (again.status_code, error_of(again)["code"]) == (404, "ApiKeyNotFound")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": {"type": "hosted"}}, "name"),
        ({"name": "k"}, "provider"),
        ({"name": "k", "provider": {"type": "anthropic", "apiKey": PROVIDER_SECRET}}, "provider"),
        ({"name": "k", "provider": {**AZURE, "endpoint": "http://contoso.openai.azure.com/"}}, "provider"),
        (
            {"name": "k", "provider": {**AZURE, "endpoint": f"https://u:{PROVIDER_SECRET}@x.example.com/"}},
            "provider",
        ),
        ({"name": "k", "provider": {k: v for k, v in AZURE.items() if k != "deployment"}}, "provider"),
        ({"name": "k", "provider": {**COMPATIBLE, "baseUrl": "not a url"}}, "provider"),
        ({"name": "k", "provider": {**COMPATIBLE, "api_key": PROVIDER_SECRET}}, "provider"),
        ({"name": "k", "provider": {"type": "hosted"}, "key": "oa.mine"}, "key"),
    ],
)
def test_invalid_key_requests_are_refused_without_writing_or_echoing_secrets(platform, world, body, field):
    stored_before = api_key_records(platform).list_all(world.project_id)

    response = world.admin.call("POST", keys_path(world), json=body)

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert any(d["field"].startswith(field) for d in error["details"]), error
    assert PROVIDER_SECRET not in response.text
    assert api_key_records(platform).list_all(world.project_id) == stored_before
