"""Which model answers for an API key: its provider settings (the stored wire form, camelCase) pick the
implementation.

- ``azure-openai`` ``{endpoint, deployment, apiVersion}``: that deployment, with the key's sealed
  provider secret or, without one, the platform's identity (Entra ID).
- ``openai-compatible`` ``{baseUrl, model}``: that API, with the secret or the placeholder key.
- ``hosted``: the platform's hosted deployment when one is configured (``HostedSettings``), else the
  embedded offline model.

OpenAI providers are kept in a small cache (``client_cache``: same settings and secret, same client): a
client holds a connection pool, and a new one per turn would pay a TLS handshake each time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shared.models import events
from shared.models.client_cache import ClientCache
from shared.models.client_cache import required as _required
from shared.models.client_cache import text as _text
from shared.models.events import ProviderError
from shared.models.offline import EmbeddedOfflineModel
from shared.models.openai_chat import OpenAIChatProvider, TokenLimitField
from shared.models.provider import ModelProvider

DEFAULT_HOSTED_API_VERSION = "2024-10-21"


@dataclass(frozen=True)
class HostedSettings:
    """The platform's own Azure OpenAI deployment behind ``hosted`` keys (settings to come from
    ``shared.settings``); without an endpoint and deployment, hosted keys get the embedded model."""

    endpoint: str | None = None
    deployment: str | None = None
    api_version: str = DEFAULT_HOSTED_API_VERSION
    api_key: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.endpoint and self.deployment)


def provider_for(
    provider_config: Mapping[str, Any],
    provider_secret: str | None,
    hosted: HostedSettings | None,
    **options: Any,
) -> ModelProvider:
    """The model for a key's provider. ``options`` go to ``OpenAIChatProvider`` (timeout, retry
    policy, sleep); with options the provider is built fresh, not taken from the cache. Raises a
    non-retryable ``ProviderError`` (``model_config_invalid``) for unusable settings."""
    kind = provider_config.get("type")
    secret = provider_secret or _text(provider_config.get("apiKey"))
    if kind == "azure-openai":
        endpoint = _required(provider_config, "endpoint", kind)
        deployment = _required(provider_config, "deployment", kind)
        api_version = _required(provider_config, "apiVersion", kind)
        return _cache.get(
            ("azure-openai", endpoint, deployment, api_version),
            secret,
            not options,
            lambda: OpenAIChatProvider.azure(
                endpoint=endpoint,
                deployment=deployment,
                api_version=api_version,
                api_key=secret,
                token_limit_field=azure_token_limit_field(api_version),
                **options,
            ),
        )
    if kind == "openai-compatible":
        base_url = _required(provider_config, "baseUrl", kind)
        model = _required(provider_config, "model", kind)
        return _cache.get(
            ("openai-compatible", base_url, model),
            secret,
            not options,
            lambda: OpenAIChatProvider.compatible(
                base_url=base_url,
                model=model,
                api_key=secret,
                token_limit_field=compatible_token_limit_field(base_url),
                **options,
            ),
        )
    if kind == "hosted":
        if hosted is None or not hosted.configured:
            return EmbeddedOfflineModel()
        assert hosted.endpoint and hosted.deployment
        endpoint, deployment = hosted.endpoint, hosted.deployment
        cacheable = not options
        options.setdefault("label", "The hosted model")
        return _cache.get(
            ("hosted", endpoint, deployment, hosted.api_version),
            hosted.api_key,
            cacheable,
            lambda: OpenAIChatProvider.azure(
                endpoint=endpoint,
                deployment=deployment,
                api_version=hosted.api_version,
                api_key=hosted.api_key,
                token_limit_field=azure_token_limit_field(hosted.api_version),
                **options,
            ),
        )
    raise ProviderError(
        events.INVALID_CONFIG,
        "The API key's model provider type is not supported; use azure-openai, openai-compatible or hosted.",
        retryable=False,
    )


def azure_token_limit_field(api_version: str) -> TokenLimitField:
    """``max_completion_tokens`` from API version 2024-09-01 (the reasoning models refuse
    ``max_tokens``); older versions only know ``max_tokens``."""
    return "max_completion_tokens" if api_version[:10] >= "2024-09-01" else "max_tokens"


def compatible_token_limit_field(base_url: str) -> TokenLimitField:
    """OpenAI itself wants ``max_completion_tokens``; other OpenAI-compatible servers (vLLM, Ollama,
    llama.cpp, gateways) have long understood ``max_tokens``, not all the newer name."""
    host = (urlsplit(base_url).hostname or "").lower()
    return "max_completion_tokens" if host == "api.openai.com" else "max_tokens"


_cache: ClientCache[OpenAIChatProvider] = ClientCache()


def clear_provider_cache() -> None:
    _cache.clear()
