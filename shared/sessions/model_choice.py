"""Which model (and voice) a session's key uses: the key's provider with its secret opened, or the
platform's hosted deployment, or the embedded offline model."""

from __future__ import annotations

from typing import Any

from shared.auth.api_keys import API_KEYS_TABLE, ApiKeyRecord
from shared.models import HostedSettings, ModelProvider, provider_for
from shared.platform import Platform


def key_provider(platform: Platform, project_id: str, key_id: str) -> tuple[dict[str, Any], str | None]:
    """The key's provider settings and its opened secret (for calling the provider, never to answer)."""
    key = platform.repository(API_KEYS_TABLE, ApiKeyRecord).get(project_id, key_id).entity
    secret = (
        platform.secret_box.open(key.sealed_provider_secret, owner=key.id)
        if key.sealed_provider_secret
        else None
    )
    return key.provider, secret


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
    return provider_for(provider, secret, hosted_settings(platform))
