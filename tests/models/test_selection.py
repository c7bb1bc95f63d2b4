"""provider_for: a key's provider settings (the stored wire form) pick the model implementation."""

from __future__ import annotations

import pytest

from shared.management.providers import AzureOpenAIProvider, OpenAICompatibleProvider, stored_settings
from shared.models import (
    EmbeddedOfflineModel,
    FaqEntry,
    HostedSettings,
    ModelProvider,
    OpenAIChatProvider,
    ProviderError,
    TextDelta,
    TurnRequest,
    UserMessage,
    openai_chat,
    provider_for,
    selection,
)
from shared.models import events as codes
from tests.fakes import ScriptedOpenAI
from tests.fakes.openai_fixtures import API_KEY, FakeSleep

QUESTION = TurnRequest(
    messages=(UserMessage("how long does delivery take?"),),
    faqs=(FaqEntry("What are the shipping times?", "Delivery takes 3 to 5 days."),),
    max_output_tokens=50,
)


def reply_text(provider: ModelProvider, request: TurnRequest = QUESTION) -> str:
    return "".join(event.text for event in provider.stream_turn(request) if isinstance(event, TextDelta))


def test_openai_compatible_settings_reach_that_api_with_the_secret(
    server: ScriptedOpenAI, sleep: FakeSleep
) -> None:
    server.reply_text("From the compatible API")
    settings = stored_settings(
        OpenAICompatibleProvider.model_validate(
            {"type": "openai-compatible", "baseUrl": server.base_url, "model": "llama-3.1-8b"}
        )
    )

    provider = provider_for(settings, API_KEY, None, sleep=sleep)

    assert isinstance(provider, OpenAIChatProvider)
    assert reply_text(provider) == "From the compatible API"
    assert server.last_request.body["model"] == "llama-3.1-8b"
    assert server.last_request.headers["authorization"] == f"Bearer {API_KEY}"
    assert server.last_request.body["max_tokens"] == 50  # what compatible servers understand


def test_a_keyless_compatible_server_gets_the_placeholder_key() -> None:
    with ScriptedOpenAI() as server:
        server.reply_text("local model")
        provider = provider_for(
            {"type": "openai-compatible", "baseUrl": server.base_url, "model": "m"}, None, None
        )

        assert reply_text(provider) == "local model"
        assert server.last_request.headers["authorization"] == "Bearer not-needed"


def test_azure_settings_reach_the_deployment_with_the_api_version(server: ScriptedOpenAI) -> None:
    server.reply_text("From Azure")
    settings = {
        "type": "azure-openai",
        "endpoint": server.azure_endpoint,
        "deployment": "gpt-4o-mini",
        "apiVersion": "2024-10-21",
    }

    assert reply_text(provider_for(settings, API_KEY, None)) == "From Azure"
    assert server.last_request.path == "/openai/deployments/gpt-4o-mini/chat/completions"
    assert server.last_request.query["api-version"] == "2024-10-21"
    assert server.last_request.headers["api-key"] == API_KEY
    assert server.last_request.body["max_completion_tokens"] == 50


def test_azure_without_a_secret_uses_the_platform_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai_chat, "entra_token_provider", lambda: lambda: "managed-identity-token")
    with ScriptedOpenAI() as server:
        server.reply_text("via Entra ID")
        settings = stored_settings(
            AzureOpenAIProvider.model_validate(
                {
                    "type": "azure-openai",
                    "endpoint": "https://example.openai.azure.com/",
                    "deployment": "dep",
                    "apiVersion": "2024-10-21",
                }
            )
        ) | {"endpoint": server.azure_endpoint}

        assert reply_text(provider_for(settings, None, None)) == "via Entra ID"
        assert server.last_request.headers["authorization"] == "Bearer managed-identity-token"


def test_hosted_without_a_deployment_is_the_embedded_model() -> None:
    for hosted in (None, HostedSettings()):
        provider = provider_for({"type": "hosted"}, None, hosted)

        assert isinstance(provider, EmbeddedOfflineModel)
        assert reply_text(provider) == "Delivery takes 3 to 5 days."


def test_hosted_with_a_deployment_uses_it(server: ScriptedOpenAI) -> None:
    server.reply_text("hosted answer")
    hosted = HostedSettings(endpoint=server.azure_endpoint, deployment="omni-hosted", api_key=API_KEY)

    provider = provider_for({"type": "hosted"}, None, hosted)

    assert isinstance(provider, OpenAIChatProvider) and provider.label == "The hosted model"
    assert reply_text(provider) == "hosted answer"
    assert server.last_request.deployment == "omni-hosted"


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        ({"type": "azure-openai", "deployment": "d", "apiVersion": "2024-10-21"}, "endpoint"),
        ({"type": "azure-openai", "endpoint": "https://x.openai.azure.com", "apiVersion": "v"}, "deployment"),
        ({"type": "azure-openai", "endpoint": "https://x.openai.azure.com", "deployment": "d"}, "apiVersion"),
        ({"type": "openai-compatible", "model": "m"}, "baseUrl"),
        ({"type": "openai-compatible", "baseUrl": "http://localhost:11434/v1", "model": " "}, "model"),
    ],
)
def test_incomplete_settings_are_a_clear_configuration_error(settings: dict[str, str], missing: str) -> None:
    with pytest.raises(ProviderError) as caught:
        provider_for(settings, None, None)

    assert caught.value.code == codes.INVALID_CONFIG and not caught.value.retryable
    assert f"'{missing}'" in caught.value.message


def test_an_unknown_provider_type_is_a_configuration_error() -> None:
    with pytest.raises(ProviderError) as caught:
        provider_for({"type": "bedrock"}, None, None)

    assert caught.value.code == codes.INVALID_CONFIG


def test_the_same_settings_and_secret_reuse_one_client() -> None:
    settings = {"type": "openai-compatible", "baseUrl": "http://127.0.0.1:9/v1", "model": "m"}

    first = provider_for(settings, "secret-a", None)

    assert provider_for(settings, "secret-a", None) is first
    assert provider_for(settings, "secret-b", None) is not first
    assert provider_for(settings, "secret-a", None, timeout=3.0) is not first  # options: built fresh


def test_token_limit_field_follows_the_provider() -> None:
    assert selection.azure_token_limit_field("2024-10-21") == "max_completion_tokens"
    assert selection.azure_token_limit_field("2025-04-01-preview") == "max_completion_tokens"
    assert selection.azure_token_limit_field("2024-02-01") == "max_tokens"
    assert selection.compatible_token_limit_field("https://api.openai.com/v1") == "max_completion_tokens"
    assert selection.compatible_token_limit_field("http://localhost:11434/v1") == "max_tokens"
