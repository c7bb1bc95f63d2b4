"""What a session runs with: its agent (stored, or inline for a per-session connection), and the
model and speech of its key: the key's provider with its secret opened, the platform's hosted
deployments, or the embedded offline model (which has no speech)."""

from __future__ import annotations

from typing import Any

from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyRecord
from shared.models import (
    HostedSettings,
    HostedSpeechSettings,
    ModelProvider,
    SpeechProvider,
    provider_for,
    speech_for,
)
from shared.platform import Platform


def key_provider(platform: Platform, project_id: str, key_id: str) -> tuple[dict[str, Any], str | None]:
    """The key's provider settings and its opened secret (for calling the provider, never to answer)."""
    key = platform.repository(API_KEYS_TABLE, ApiKeyRecord).get(project_id, key_id).entity
    return key.provider, open_secret(platform, key.sealed_provider_secret, key.id)


def hosted_settings(platform: Platform) -> HostedSettings:
    settings = platform.settings
    return HostedSettings(
        endpoint=settings.hosted_openai_endpoint,
        deployment=settings.hosted_openai_deployment,
        api_version=settings.hosted_openai_api_version,
        api_key=settings.hosted_openai_api_key,
    )


def session_model(platform: Platform, project_id: str, key_id: str) -> ModelProvider:
    provider, secret = key_provider(platform, project_id, key_id)
    return model_for_key(platform, provider, secret)


def session_speech(platform: Platform, project_id: str, key_id: str) -> SpeechProvider | None:
    provider, secret = key_provider(platform, project_id, key_id)
    return speech_for_key(platform, provider, secret)


def open_secret(platform: Platform, sealed: str | None, key_record_id: str) -> str | None:
    return platform.secret_box.open(sealed, owner=key_record_id) if sealed else None


def model_for_key(platform: Platform, provider: dict[str, Any], secret: str | None) -> ModelProvider:
    return provider_for(provider, secret, hosted_settings(platform))


def speech_for_key(platform: Platform, provider: dict[str, Any], secret: str | None) -> SpeechProvider | None:
    settings = platform.settings
    hosted = HostedSpeechSettings(
        endpoint=settings.hosted_openai_endpoint,
        transcription_deployment=settings.hosted_transcription_deployment,
        speech_deployment=settings.hosted_speech_deployment,
        api_version=settings.hosted_openai_api_version,
        api_key=settings.hosted_openai_api_key,
    )
    return speech_for(provider, secret, hosted)
