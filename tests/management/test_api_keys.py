"""Issuing and revoking API keys."""

from datetime import UTC, datetime, timedelta

from pydantic import TypeAdapter

from shared.auth.api_keys import hash_secret, parse_key
from shared.management.api_keys import is_active, issue_api_key, revoked
from shared.management.providers import Provider

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def issue(provider):
    sealed = []

    def seal(secret, owner):
        sealed.append((secret, owner))
        return f"sealed({owner})"

    record, key = issue_api_key(
        key_id="key_1",
        organization_id="org_1",
        project_id="proj_1",
        name="Production",
        provider=TypeAdapter(Provider).validate_python(provider),
        seal=seal,
        created_by="alice@example.com",
        now=NOW,
    )
    return record, key, sealed


def test_the_key_names_its_project_and_is_stored_only_as_a_hash():
    record, key, _ = issue({"type": "hosted"})
    project_id, key_id, secret = parse_key(key)
    assert (project_id, key_id) == ("proj_1", "key_1")
    assert record.secret_hash == hash_secret(secret)
    assert secret not in record.model_dump_json()
    assert record.key_hint == key[-4:]


def test_the_provider_secret_is_sealed_for_this_key_and_removed_from_the_settings():
    provider = {"type": "openai-compatible", "baseUrl": "https://api.example.com/v1", "model": "m"}
    record, _, sealed = issue({**provider, "apiKey": "sk-provider"})
    assert sealed == [("sk-provider", "key_1")]
    assert record.sealed_provider_secret == "sealed(key_1)"
    assert record.provider == provider
    assert "sk-provider" not in record.model_dump_json()


def test_without_a_provider_secret_nothing_is_sealed():
    record, _, sealed = issue({"type": "hosted"})
    assert sealed == []
    assert record.sealed_provider_secret is None


def test_revoking_keeps_the_first_revocation_time():
    record, _, _ = issue({"type": "hosted"})
    assert is_active(record)
    once = revoked(record, NOW)
    assert not is_active(once)
    assert revoked(once, NOW + timedelta(hours=1)).revoked_at == NOW
