"""The ``openai`` SDK clients behind chat, speech and embeddings, built one way.

- ``azure_client``: an Azure OpenAI resource with the key, or else an Entra ID token provider (by
  default ``entra_token_provider``: ``DefaultAzureCredential``, the platform's managed identity).
- ``compatible_client``: any OpenAI-compatible API; a keyless local server gets the placeholder key
  ``not-needed``.

The SDK's own retries are off (``max_retries=0``): callers retry with ``RetryLoop``. The timeouts are the
callers' (per request), not the client's. ``azure_defaults`` / ``compatible_defaults`` fill in the label
(and the model kind) a provider names itself with in messages; ``secrets_of`` is what those messages
must never repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai

AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
AZURE_LABEL = "Azure OpenAI"
COMPATIBLE_LABEL = "The OpenAI-compatible model provider"
PLACEHOLDER_API_KEY = "not-needed"


def entra_token_provider() -> Callable[[], str]:
    """Bearer tokens for Azure OpenAI from ``DefaultAzureCredential`` (managed identity in Azure, the
    developer's login locally), refreshed by azure-identity as they near expiry."""
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    return get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)


def azure_client(
    *,
    endpoint: str,
    api_version: str,
    api_key: str | None = None,
    token_provider: Callable[[], str] | None = None,
    deployment: str | None = None,
    default_token_provider: Callable[[], Callable[[], str]] = entra_token_provider,
) -> openai.AzureOpenAI:
    """An ``AzureOpenAI`` client, bound to ``deployment`` when given (else the SDK puts each request's
    ``model`` into the path). Without ``api_key``, tokens come from ``token_provider``, else from
    ``default_token_provider()`` (called only then)."""
    if api_key:
        return openai.AzureOpenAI(
            azure_endpoint=endpoint,
            azure_deployment=deployment,
            api_version=api_version,
            api_key=api_key,
            max_retries=0,
        )
    return openai.AzureOpenAI(
        azure_endpoint=endpoint,
        azure_deployment=deployment,
        api_version=api_version,
        azure_ad_token_provider=token_provider or default_token_provider(),
        max_retries=0,
    )


def compatible_client(*, base_url: str, api_key: str | None = None) -> openai.OpenAI:
    """An ``OpenAI`` client for ``base_url``, with ``api_key`` or else the placeholder key."""
    return openai.OpenAI(base_url=base_url, api_key=api_key or PLACEHOLDER_API_KEY, max_retries=0)


def azure_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` (changed in place) with the Azure label and ``model_kind="deployment"`` unless set."""
    options.setdefault("label", AZURE_LABEL)
    options.setdefault("model_kind", "deployment")
    return options


def compatible_defaults(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` (changed in place) with the OpenAI-compatible label unless set."""
    options.setdefault("label", COMPATIBLE_LABEL)
    return options


def secrets_of(api_key: str | None) -> tuple[str]:
    """The strings a provider's messages must never contain: its key ("" when there is none)."""
    return (api_key or "",)
