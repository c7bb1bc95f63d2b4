"""Writing chunks: batches of at most 1000, every document's result checked, stale chunks dropped."""

from __future__ import annotations

import pytest

from shared.knowledge.azure_search_index import AzureSearchIndex, IndexingFailed
from shared.knowledge.azure_search_keys import chunk_key
from shared.knowledge.index import Chunk
from tests.fakes.azure_search import FakeAzureSearch
from tests.knowledge_search.conftest import INDEX_NAME, chunks, numbered_chunks, unit_vector


def test_2500_chunks_go_in_three_batches_of_at_most_1000(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    text_index.upsert_chunks("p1", "kb_1", "doc_1", "Manual", numbered_chunks(2500), None)

    batches = service.index_batches(INDEX_NAME)
    assert [len(batch) for batch in batches] == [1000, 1000, 500]
    assert {action["@search.action"] for batch in batches for action in batch} == {"mergeOrUpload"}
    assert len(service.documents(INDEX_NAME)) == 2500


def test_a_document_carries_its_scope_text_and_position(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    chunk = Chunk(index=0, text="Refunds take 5 days.", heading_path=("Policies", "Refunds"), page=3)

    text_index.upsert_chunks("p1", "kb_1", "doc_1", "Handbook", [chunk], None)

    ((action,),) = service.index_batches(INDEX_NAME)
    assert action == {
        "@search.action": "mergeOrUpload",
        "id": chunk_key("p1", "kb_1", "doc_1", 0),
        "project_id": "p1",
        "collection_id": "kb_1",
        "document_id": "doc_1",
        "title": "Handbook",
        "text": "Refunds take 5 days.",
        "chunk_index": 0,
        "heading_path": ["Policies", "Refunds"],
        "page": 3,
    }


def test_vectors_are_sent_with_their_chunks(service: FakeAzureSearch, index: AzureSearchIndex) -> None:
    vectors = [unit_vector(0), unit_vector(1)]

    index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("first", "second"), vectors)

    (batch,) = service.index_batches(INDEX_NAME)
    assert [action["text_vector"] for action in batch] == vectors


def test_without_vectors_the_vector_field_is_sent_empty(
    service: FakeAzureSearch, index: AzureSearchIndex
) -> None:
    index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("first"), [unit_vector(0)])
    index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("first again"), None)

    last_batch = service.index_batches(INDEX_NAME)[-1]
    assert last_batch[0]["text_vector"] is None  # a merge must not keep the old vector
    (stored,) = service.documents(INDEX_NAME).values()
    assert stored["text_vector"] is None


def test_a_refused_document_raises_naming_its_key(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    service.reject_documents(lambda document: document.get("chunk_index") == 1)

    with pytest.raises(IndexingFailed) as raised:
        text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("a", "b", "c"), None)

    assert raised.value.failures == [(chunk_key("p1", "kb_1", "doc_1", 1), 400, "Rejected by the test.")]
    assert chunk_key("p1", "kb_1", "doc_1", 1) in str(raised.value)


def test_a_failed_batch_stops_the_upload(service: FakeAzureSearch, text_index: AzureSearchIndex) -> None:
    service.reject_documents(lambda document: document.get("chunk_index") == 10)

    with pytest.raises(IndexingFailed):
        text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", numbered_chunks(1500), None)

    assert len(service.index_batches(INDEX_NAME)) == 1


def test_writing_fewer_chunks_drops_the_stale_ones(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("a", "b", "c", "d"), None)
    text_index.upsert_chunks("p1", "kb_1", "doc_2", "Other", chunks("x", "y", "z"), None)

    text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide v2", chunks("a2", "b2"), None)

    stored = service.documents(INDEX_NAME).values()
    doc_1 = sorted((d["chunk_index"], d["text"], d["title"]) for d in stored if d["document_id"] == "doc_1")
    assert doc_1 == [(0, "a2", "Guide v2"), (1, "b2", "Guide v2")]
    assert len([d for d in stored if d["document_id"] == "doc_2"]) == 3


def test_vectors_must_match_the_chunks_and_the_dimensions(
    service: FakeAzureSearch, index: AzureSearchIndex
) -> None:
    with pytest.raises(ValueError, match="one vector per chunk"):
        index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("a", "b"), [unit_vector(0)])
    with pytest.raises(ValueError, match="dimensions"):
        index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("a"), [[1.0, 0.0]])
    with pytest.raises(ValueError, match="not finite"):
        index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("a"), [[float("inf"), 0.0, 0.0, 0.0]])

    assert service.requests == []


def test_vectors_for_an_index_without_a_vector_field_are_refused(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    with pytest.raises(ValueError, match="no vector field"):
        text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("a"), [unit_vector(0)])

    assert service.requests == []


def test_no_chunks_leave_the_document_empty(service: FakeAzureSearch, text_index: AzureSearchIndex) -> None:
    text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("a", "b"), None)

    text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", [], None)

    assert service.documents(INDEX_NAME) == {}


def test_two_chunks_with_one_index_are_refused(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    twins = [Chunk(index=0, text="a"), Chunk(index=0, text="b")]

    with pytest.raises(ValueError, match="share an index"):
        text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", twins, None)
