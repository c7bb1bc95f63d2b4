"""Embeddings for knowledge chunks and questions, with the key's provider, through the ``openai`` SDK.

- ``azure-openai`` keys embed with ``embeddingDeployment`` on the key's resource (``endpoint``,
  ``apiVersion``; the key's secret, else the platform's identity).
- ``openai-compatible`` keys embed with ``embeddingModel`` on ``baseUrl``.
- ``embeddingDimensions`` (optional, both) asks ``text-embedding-3`` models for shorter vectors.
- A key naming neither (and ``hosted`` keys without ``HostedEmbeddingSettings``) has no embeddings:
  ``embedder_for`` answers None and retrieval is lexical only (BM25).

Requests are batched: at most ``batch_size`` texts and about ``max_batch_chars`` characters each (the
providers cap inputs per request and tokens per request); a text longer than ``max_input_chars`` is cut
(an embedding model reads about 8,000 tokens), an empty one is sent as a space (an empty string is
refused). Vectors come back in the order of the texts, whatever order the server lists them in.
``encoding_format="float"`` is asked for explicitly: the SDK's default (base64) is not understood by
every OpenAI-compatible server.

Failures are ``ProviderError``s with the codes and retry policy of chat (``openai_failures``).
"""

from __future__ import annotations

import random as random_module
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx2
import openai

from shared.models import events
from shared.models.client_cache import ClientCache
from shared.models.client_cache import required as _required
from shared.models.client_cache import text as _text
from shared.models.events import ProviderError
from shared.models.openai_chat import DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS
from shared.models.openai_clients import (
    azure_client,
    azure_defaults,
    compatible_client,
    compatible_defaults,
    secrets_of,
)
from shared.models.openai_failures import OpenAIFailures, RetryLoop
from shared.models.retry import RetryPolicy
from shared.models.selection import DEFAULT_HOSTED_API_VERSION

DEFAULT_BATCH_SIZE = 64
DEFAULT_MAX_BATCH_CHARS = 200_000  # about 50,000 tokens: well inside every provider's request cap
DEFAULT_MAX_INPUT_CHARS = 24_000  # about 6,000 tokens: inside the 8,191-token input limit


@runtime_checkable
class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. Raises ``ProviderError``."""
        ...


@dataclass(frozen=True)
class HostedEmbeddingSettings:
    """The platform's Azure OpenAI embedding deployment behind ``hosted`` keys."""

    endpoint: str | None = None
    deployment: str | None = None
    api_version: str = DEFAULT_HOSTED_API_VERSION
    api_key: str | None = None
    dimensions: int | None = None

    @property
    def configured(self) -> bool:
        return bool(self.endpoint and self.deployment)


class OpenAIEmbedder:
    """Batched embeddings over an ``openai.OpenAI`` (or ``AzureOpenAI``) client; ``model`` is the model
    name (the deployment on Azure). ``sleep`` and ``random`` are injectable, as in
    ``OpenAIChatProvider``."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        *,
        label: str,
        model_kind: str = "model",
        dimensions: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batch_chars: int = DEFAULT_MAX_BATCH_CHARS,
        max_input_chars: int = DEFAULT_MAX_INPUT_CHARS,
        secrets: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        if batch_size < 1 or max_batch_chars < 1 or max_input_chars < 1:
            raise ValueError("batch_size, max_batch_chars and max_input_chars must be positive")
        self.client = client
        self.model = model
        self.label = label
        self.model_kind = model_kind
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.max_batch_chars = max_batch_chars
        self.max_input_chars = max_input_chars
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retry = retry or RetryPolicy()
        self._secrets = tuple(secret for secret in secrets if secret)
        self._sleep = sleep
        self._random = random

    @classmethod
    def azure(
        cls,
        *,
        endpoint: str,
        deployment: str,
        api_version: str,
        api_key: str | None = None,
        token_provider: Callable[[], str] | None = None,
        **options: Any,
    ) -> OpenAIEmbedder:
        client = azure_client(
            endpoint=endpoint, api_version=api_version, api_key=api_key, token_provider=token_provider
        )
        return cls(client, deployment, secrets=secrets_of(api_key), **azure_defaults(options))

    @classmethod
    def compatible(
        cls, *, base_url: str, model: str, api_key: str | None = None, **options: Any
    ) -> OpenAIEmbedder:
        client = compatible_client(base_url=base_url, api_key=api_key)
        return cls(client, model, secrets=secrets_of(api_key), **compatible_defaults(options))

    def batches(self, texts: Sequence[str]) -> Iterator[list[str]]:
        """The inputs as sent: cut to ``max_input_chars`` (blank ones as a space), in batches of at most
        ``batch_size`` texts and ``max_batch_chars`` characters (a batch has at least one text)."""
        batch: list[str] = []
        size = 0
        for text in texts:
            item = text[: self.max_input_chars] if text.strip() else " "
            if batch and (len(batch) >= self.batch_size or size + len(item) > self.max_batch_chars):
                yield batch
                batch, size = [], 0
            batch.append(item)
            size += len(item)
        if batch:
            yield batch

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for batch in self.batches(texts):
            vectors.extend(self._embed_batch(batch))
        return vectors

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        failures = OpenAIFailures(self.label, self.model_kind, self.model, self._secrets, self.timeout)
        response = RetryLoop(self.retry, self._sleep, self._random).call(
            lambda: self.client.embeddings.create(
                model=self.model,
                input=batch,
                encoding_format="float",
                dimensions=self.dimensions if self.dimensions else openai.omit,
                timeout=httpx2.Timeout(self.timeout, connect=self.connect_timeout),
            ),
            failures.classify,
        )
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != len(batch) or [item.index for item in data] != list(range(len(batch))):
            raise ProviderError(
                events.UNAVAILABLE,
                f"{self.label} answered {len(data)} embeddings for {len(batch)} texts.",
                retryable=True,
            )
        vectors = [[float(value) for value in item.embedding] for item in data]
        if len({len(vector) for vector in vectors}) > 1 or not vectors[0]:
            raise ProviderError(
                events.UNAVAILABLE, f"{self.label} answered embeddings of unequal size.", retryable=True
            )
        return vectors


# ------------------------------------------------------------------------------------------ selection


def embedder_for(
    provider_config: Mapping[str, Any],
    provider_secret: str | None,
    hosted: HostedEmbeddingSettings | None = None,
    **options: Any,
) -> Embedder | None:
    """The embedder of a key's provider, or None when the key names no embedding model or deployment.
    ``options`` go to ``OpenAIEmbedder`` (with options it is built fresh, else taken from a small
    cache). Raises ``ProviderError`` (``model_config_invalid``) for unusable settings."""
    kind = provider_config.get("type")
    secret = provider_secret or _text(provider_config.get("apiKey"))
    cacheable = not options
    if kind == "azure-openai":
        deployment = _text(provider_config.get("embeddingDeployment"))
        if deployment is None:
            return None
        endpoint = _required(provider_config, "endpoint", kind)
        api_version = _required(provider_config, "apiVersion", kind)
        dimensions = _dimensions(provider_config.get("embeddingDimensions"))
        settings = {"dimensions": dimensions, **options}
        return _cache.get(
            ("azure-openai", endpoint, api_version, deployment, str(dimensions)),
            secret,
            cacheable,
            lambda: OpenAIEmbedder.azure(
                endpoint=endpoint, deployment=deployment, api_version=api_version, api_key=secret, **settings
            ),
        )
    if kind == "openai-compatible":
        model = _text(provider_config.get("embeddingModel"))
        if model is None:
            return None
        base_url = _required(provider_config, "baseUrl", kind)
        dimensions = _dimensions(provider_config.get("embeddingDimensions"))
        settings = {"dimensions": dimensions, **options}
        return _cache.get(
            ("openai-compatible", base_url, model, str(dimensions)),
            secret,
            cacheable,
            lambda: OpenAIEmbedder.compatible(base_url=base_url, model=model, api_key=secret, **settings),
        )
    if kind == "hosted":
        if hosted is None or not hosted.configured:
            return None
        assert hosted.endpoint and hosted.deployment
        endpoint, hosted_deployment = hosted.endpoint, hosted.deployment
        settings = {"label": "The hosted embedding model", "dimensions": hosted.dimensions, **options}
        return _cache.get(
            ("hosted", endpoint, hosted_deployment, hosted.api_version, str(hosted.dimensions)),
            hosted.api_key,
            cacheable,
            lambda: OpenAIEmbedder.azure(
                endpoint=endpoint,
                deployment=hosted_deployment,
                api_version=hosted.api_version,
                api_key=hosted.api_key,
                **settings,
            ),
        )
    raise ProviderError(
        events.INVALID_CONFIG,
        "The API key's model provider type is not supported; use azure-openai, openai-compatible or hosted.",
        retryable=False,
    )


def _dimensions(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return None


_cache: ClientCache[OpenAIEmbedder] = ClientCache()


def clear_embedder_cache() -> None:
    _cache.clear()
