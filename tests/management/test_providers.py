"""Providers: validated by type, secrets write-only and sealed."""

import base64

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.auth.api_keys import ApiKeyRecord
from shared.management.providers import (
    AzureOpenAIProvider,
    HostedProvider,
    OpenAICompatibleProvider,
    Provider,
    answered_provider,
    provider_secret,
    provider_with_secret,
    stored_settings,
)
from shared.secret_box import SecretBox

PROVIDER = TypeAdapter(Provider)
AZURE = {
    "type": "azure-openai",
    "endpoint": "https://contoso.openai.azure.com/",
    "deployment": "gpt-4o-realtime",
    "apiVersion": "2024-10-21",
    "apiKey": "azure-secret-value",
}
COMPATIBLE = {
    "type": "openai-compatible",
    "baseUrl": "http://localhost:11434/v1",
    "model": "llama3",
    "apiKey": "compatible-secret",
    "transcriptionModel": "whisper-1",
    "speechModel": "tts-1",
    "embeddingModel": "text-embedding-3-small",
}


def test_each_type_selects_its_model():
    assert isinstance(PROVIDER.validate_python(AZURE), AzureOpenAIProvider)
    assert isinstance(PROVIDER.validate_python(COMPATIBLE), OpenAICompatibleProvider)
    assert isinstance(PROVIDER.validate_python({"type": "hosted"}), HostedProvider)


@pytest.mark.parametrize(
    "provider",
    [
        {"type": "anthropic"},
        {"endpoint": "https://x"},
        {**AZURE, "endpoint": "http://contoso.openai.azure.com/"},  # https only
        {**AZURE, "endpoint": "https://user:pass@contoso.openai.azure.com/"},
        {**AZURE, "endpoint": "https://contoso.openai.azure.com/?api-key=secret"},
        {**AZURE, "endpoint": "contoso.openai.azure.com"},
        {**AZURE, "apiKey": ""},
        {**AZURE, "deployment": ""},
        {k: v for k, v in AZURE.items() if k != "apiVersion"},
        {**COMPATIBLE, "baseUrl": "ftp://example.com"},
        {k: v for k, v in COMPATIBLE.items() if k != "model"},
        {**COMPATIBLE, "api_key": "snake-case is not a field"},
        {"type": "hosted", "apiKey": "x"},
    ],
)
def test_invalid_providers_are_refused(provider):
    with pytest.raises(ValidationError):
        PROVIDER.validate_python(provider)


def test_validation_errors_never_echo_the_secret():
    with pytest.raises(ValidationError) as raised:
        PROVIDER.validate_python({**AZURE, "endpoint": "http://x", "apiKey": "azure-secret-value"})
    assert "azure-secret-value" not in str(raised.value.errors(include_url=False, include_input=False))


def test_the_secret_is_split_from_the_stored_settings():
    provider = PROVIDER.validate_python(AZURE)
    assert provider_secret(provider) == "azure-secret-value"
    stored = stored_settings(provider)
    assert stored == {k: v for k, v in AZURE.items() if k != "apiKey"}
    assert "azure-secret-value" not in repr(provider)


def test_managed_identity_is_a_provider_without_a_secret():
    provider = PROVIDER.validate_python({k: v for k, v in AZURE.items() if k != "apiKey"})
    assert provider_secret(provider) is None


def test_the_answered_provider_has_no_secret_and_the_runtime_one_opens_it():
    box = SecretBox(base64.b64decode(base64.b64encode(b"k" * 32)))
    provider = PROVIDER.validate_python(COMPATIBLE)
    record = ApiKeyRecord.model_validate(
        {
            "id": "key_1",
            "organization_id": "org_1",
            "project_id": "proj_1",
            "name": "n",
            "provider": stored_settings(provider),
            "sealed_provider_secret": box.seal("compatible-secret", owner="key_1"),
            "secret_hash": "h",
            "key_hint": "abcd",
            "created_at": "2026-03-10T12:00:00Z",
        }
    )
    answered = answered_provider(record).model_dump(mode="json", by_alias=True)
    assert "apiKey" not in answered
    assert answered["baseUrl"] == "http://localhost:11434/v1"
    assert provider_secret(provider_with_secret(record, box)) == "compatible-secret"
