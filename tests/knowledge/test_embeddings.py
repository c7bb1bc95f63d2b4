"""Embeddings through the real ``openai`` SDK against the scripted OpenAI server: batched, in order,
retried like chat, and chosen by the key's provider settings."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.knowledge.chunking import Chunk
from shared.knowledge.embeddings import (
    Embedder,
    HostedEmbeddingSettings,
    OpenAIEmbedder,
    clear_embedder_cache,
    embedder_for,
)
from shared.knowledge.local_index import LocalIndex
from shared.models import events
from shared.models.events import ProviderError
from shared.models.retry import RetryPolicy
from tests.fakes import ScriptedOpenAI
from tests.fakes.scripted_openai import EMBEDDING_DIMENSIONS, embedding_vector

API_KEY = "sk-test-embed-7f3a9c2e5b1d4f6a8c0e"


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedOpenAI]:
    with ScriptedOpenAI(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def server(scripted: ScriptedOpenAI) -> Iterator[ScriptedOpenAI]:
    scripted.clear()
    clear_embedder_cache()
    yield scripted
    scripted.clear()
    clear_embedder_cache()


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def compatible(server: ScriptedOpenAI, **options: Any) -> OpenAIEmbedder:
    options.setdefault("sleep", FakeSleep())
    options.setdefault("random", lambda: 0.5)
    return OpenAIEmbedder.compatible(
        base_url=server.base_url, model="text-embedding-3-small", api_key=API_KEY, **options
    )


def close_to(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-7) for x, y in zip(a, b, strict=True)
    )


def test_texts_are_sent_in_batches_of_batch_size_and_vectors_come_back_in_order(
    server: ScriptedOpenAI,
) -> None:
    texts = [f"kettle number {n} boils water" for n in range(150)]

    vectors = compatible(server, batch_size=64).embed(texts)

    requests = server.embedding_requests
    assert [len(request.inputs) for request in requests] == [64, 64, 22]
    assert [text for request in requests for text in request.inputs] == texts
    assert {request.model for request in requests} == {"text-embedding-3-small"}
    assert {request.encoding_format for request in requests} == {"float"}
    assert len(vectors) == 150
    assert all(close_to(vector, embedding_vector(text)) for vector, text in zip(vectors, texts, strict=True))


def test_batches_also_respect_the_character_budget(server: ScriptedOpenAI) -> None:
    texts = ["word " * 200] * 5  # 1,000 characters each

    compatible(server, batch_size=64, max_batch_chars=2_500).embed(texts)

    assert [len(request.inputs) for request in server.embedding_requests] == [2, 2, 1]


def test_items_listed_out_of_order_are_put_back_in_order(server: ScriptedOpenAI) -> None:
    server.embed_with(reverse=True)
    texts = ["alpha beta", "gamma", "delta epsilon zeta"]

    vectors = compatible(server).embed(texts)

    assert all(close_to(vector, embedding_vector(text)) for vector, text in zip(vectors, texts, strict=True))


def test_blank_texts_are_sent_as_a_space_and_long_ones_cut(server: ScriptedOpenAI) -> None:
    vectors = compatible(server, max_input_chars=10).embed(["", "  ", "abcdefghijklmnop"])

    assert server.embedding_requests[0].inputs == [" ", " ", "abcdefghij"]
    assert len(vectors) == 3


def test_dimensions_are_asked_for_when_configured(server: ScriptedOpenAI) -> None:
    vectors = compatible(server, dimensions=16).embed(["kettle"])

    assert server.embedding_requests[0].dimensions == 16
    assert len(vectors[0]) == 16
    assert compatible(server).embed(["kettle"]) and server.embedding_requests[1].dimensions is None


def test_no_texts_no_request(server: ScriptedOpenAI) -> None:
    assert compatible(server).embed([]) == []
    assert server.embedding_requests == []


def test_rate_limits_are_retried_after_the_wait_the_server_asks_for(server: ScriptedOpenAI) -> None:
    server.fail_embeddings(429, retry_after=2)
    sleep = FakeSleep()

    vectors = compatible(server, sleep=sleep).embed(["kettle"])

    assert len(vectors) == 1
    assert sleep.waits == [2.0]
    assert len(server.embedding_requests) == 2


def test_refused_credentials_fail_at_once_without_quoting_the_key(server: ScriptedOpenAI) -> None:
    embedder = OpenAIEmbedder.compatible(
        base_url=server.base_url, model="m", api_key="sk-wrong-key-123456789", sleep=FakeSleep()
    )

    with pytest.raises(ProviderError) as raised:
        embedder.embed(["kettle"])

    assert raised.value.code == events.AUTH_FAILED
    assert not raised.value.retryable
    assert "sk-wrong" not in raised.value.message
    assert len(server.embedding_requests) == 1


def test_server_errors_give_up_after_the_policy(server: ScriptedOpenAI) -> None:
    for _ in range(3):
        server.fail_embeddings(503)

    with pytest.raises(ProviderError) as raised:
        compatible(server, retry=RetryPolicy(max_attempts=3)).embed(["kettle"])

    assert raised.value.code == events.UNAVAILABLE
    assert raised.value.retryable
    assert len(server.embedding_requests) == 3


def test_azure_embeds_with_the_deployment_and_api_version(server: ScriptedOpenAI) -> None:
    embedder = embedder_for(
        {
            "type": "azure-openai",
            "endpoint": server.azure_endpoint,
            "deployment": "gpt-4o",
            "apiVersion": "2024-10-21",
            "embeddingDeployment": "embed-small",
        },
        API_KEY,
    )
    assert embedder is not None

    embedder.embed(["kettle", "toaster"])

    (request,) = server.embedding_requests
    assert request.deployment == "embed-small"
    assert server.last_request.query["api-version"] == "2024-10-21"
    assert server.last_request.headers["api-key"] == API_KEY


def test_compatible_key_embeds_with_its_embedding_model_and_dimensions(server: ScriptedOpenAI) -> None:
    embedder = embedder_for(
        {
            "type": "openai-compatible",
            "baseUrl": server.base_url,
            "model": "gpt-scripted",
            "embeddingModel": "nomic-embed-text",
            "embeddingDimensions": 32,
        },
        API_KEY,
    )
    assert isinstance(embedder, OpenAIEmbedder)
    assert isinstance(embedder, Embedder)

    assert len(embedder.embed(["kettle"])[0]) == 32
    assert server.embedding_requests[0].model == "nomic-embed-text"


@pytest.mark.parametrize(
    "config",
    [
        {"type": "openai-compatible", "baseUrl": "http://127.0.0.1:9/v1", "model": "m"},
        {"type": "openai-compatible", "baseUrl": "http://127.0.0.1:9/v1", "embeddingModel": "  "},
        {"type": "azure-openai", "endpoint": "https://x", "deployment": "d", "apiVersion": "2024-10-21"},
        {"type": "hosted"},
    ],
)
def test_a_key_without_an_embedding_model_has_no_embedder(config: dict[str, str]) -> None:
    assert embedder_for(config, "secret") is None


def test_hosted_keys_use_the_platform_deployment_when_configured(server: ScriptedOpenAI) -> None:
    hosted = HostedEmbeddingSettings(
        endpoint=server.azure_endpoint, deployment="platform-embed", api_key=API_KEY
    )

    embedder = embedder_for({"type": "hosted"}, None, hosted)
    assert embedder is not None
    embedder.embed(["kettle"])

    assert server.embedding_requests[0].deployment == "platform-embed"


def test_unusable_settings_are_configuration_errors() -> None:
    with pytest.raises(ProviderError) as raised:
        embedder_for({"type": "azure-openai", "embeddingDeployment": "e", "apiVersion": "v"}, "s")
    assert raised.value.code == events.INVALID_CONFIG
    assert "endpoint" in raised.value.message
    with pytest.raises(ProviderError):
        embedder_for({"type": "anthropic", "embeddingModel": "x"}, "s")


def test_the_same_settings_and_secret_reuse_one_embedder() -> None:
    clear_embedder_cache()
    config = {"type": "openai-compatible", "baseUrl": "http://127.0.0.1:9/v1", "embeddingModel": "e"}

    assert embedder_for(config, "a") is embedder_for(config, "a")
    assert embedder_for(config, "a") is not embedder_for(config, "b")
    assert embedder_for(config, "a", batch_size=8) is not embedder_for(config, "a")


def test_scripted_embeddings_rank_a_paraphrase_in_the_local_index(
    server: ScriptedOpenAI, tmp_path: Path
) -> None:
    embedder = compatible(server)
    chunks = [Chunk(0, "descale with vinegar monthly"), Chunk(1, "colours are red and blue")]
    with LocalIndex(tmp_path / "index.sqlite3") as index:
        index.upsert_chunks(
            "p1", "kb1", "d", "Care", chunks, embedder.embed([c.context_text for c in chunks])
        )
        (query_vector,) = embedder.embed(["vinegar monthly?"])  # "monthly?" is not "monthly": no lexical hit

        hits = index.search("p1", "kb1", "vinegar monthly?", 2, query_vector)

    assert hits[0].chunk_index == 0
    assert len(server.embedding_requests[0].inputs) == 2
    assert len(query_vector) == EMBEDDING_DIMENSIONS
