"""The Azure AI Search backend against a loopback search service, through the real SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from azure.core.credentials import AzureKeyCredential

from shared.knowledge.azure_search_index import AzureSearchIndex
from shared.knowledge.index import Chunk
from tests.fakes.azure_search import FakeAzureSearch

API_KEY = "test-admin-key"
INDEX_NAME = "knowledge"
DIMENSIONS = 4

MakeIndex = Callable[..., AzureSearchIndex]


@pytest.fixture
def service() -> Iterator[FakeAzureSearch]:
    with FakeAzureSearch(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
def make_index(service: FakeAzureSearch) -> Iterator[MakeIndex]:
    made: list[AzureSearchIndex] = []

    def make(vector_dimensions: int | None = DIMENSIONS, index_name: str = INDEX_NAME) -> AzureSearchIndex:
        index = AzureSearchIndex(service.endpoint, index_name, AzureKeyCredential(API_KEY), vector_dimensions)
        made.append(index)
        return index

    yield make
    for index in made:
        index.close()


@pytest.fixture
def index(make_index: MakeIndex) -> AzureSearchIndex:
    """An index with 4-dimensional vectors."""
    return make_index()


@pytest.fixture
def text_index(make_index: MakeIndex) -> AzureSearchIndex:
    """An index without vectors (keys whose provider has no embeddings): BM25 only."""
    return make_index(vector_dimensions=None)


def chunks(*texts: str, heading_path: tuple[str, ...] = (), page: int | None = None) -> list[Chunk]:
    return [Chunk(index=i, text=text, heading_path=heading_path, page=page) for i, text in enumerate(texts)]


def numbered_chunks(count: int) -> list[Chunk]:
    return [Chunk(index=i, text=f"chunk number {i}") for i in range(count)]


def unit_vector(position: int) -> list[float]:
    vector = [0.0] * DIMENSIONS
    vector[position % DIMENSIONS] = 1.0
    return vector
