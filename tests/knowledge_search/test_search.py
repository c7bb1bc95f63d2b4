"""Queries: always filtered to the project and collection, hybrid when a query vector is given."""

from __future__ import annotations

import pytest

from shared.knowledge.azure_search_index import AzureSearchIndex
from shared.knowledge.index import MAX_TOP, Chunk, Hit
from tests.fakes.azure_search import FakeAzureSearch
from tests.knowledge_search.conftest import INDEX_NAME, chunks, unit_vector


@pytest.fixture
def filled(index: AzureSearchIndex) -> AzureSearchIndex:
    index.upsert_chunks(
        "p1",
        "kb_1",
        "doc_refunds",
        "Refund policy",
        chunks(
            "Refunds are paid within five days.",
            "Damaged items are replaced for free.",
            heading_path=("Policies",),
            page=2,
        ),
        [unit_vector(0), unit_vector(1)],
    )
    index.upsert_chunks(
        "p1", "kb_1", "doc_shipping", "Shipping", chunks("Parcels ship every weekday."), [unit_vector(2)]
    )
    index.upsert_chunks(
        "p1", "kb_2", "doc_other", "Refunds elsewhere", chunks("Refunds in kb_2."), [unit_vector(0)]
    )
    index.upsert_chunks(
        "p2", "kb_1", "doc_p2", "Refunds of p2", chunks("Refunds in project p2."), [unit_vector(0)]
    )
    return index


def test_the_query_carries_the_scope_filter_top_and_text(
    service: FakeAzureSearch, filled: AzureSearchIndex
) -> None:
    filled.search("p1", "kb_1", "refunds", top=3)

    (body,) = service.search_bodies(INDEX_NAME)[-1:]
    assert body["filter"] == "project_id eq 'p1' and collection_id eq 'kb_1'"
    assert body["top"] == 3
    assert body["search"] == "refunds"
    assert "vectorQueries" not in body
    assert body["select"] == "document_id,title,chunk_index,text,heading_path,page"


def test_a_query_vector_makes_the_query_hybrid(service: FakeAzureSearch, filled: AzureSearchIndex) -> None:
    filled.search("p1", "kb_1", "refunds", top=20, query_vector=unit_vector(1))

    body = service.search_bodies(INDEX_NAME)[-1]
    assert body["search"] == "refunds"
    assert body["filter"] == "project_id eq 'p1' and collection_id eq 'kb_1'"
    assert body["top"] == 20
    # k: four times top (at least 50) nearest neighbours for the fusion to rank from
    assert body["vectorQueries"] == [
        {"kind": "vector", "vector": unit_vector(1), "k": 80, "fields": "text_vector"}
    ]
    assert body["vectorFilterMode"] == "preFilter"


def test_results_become_hits_with_the_search_score(filled: AzureSearchIndex) -> None:
    hits = filled.search("p1", "kb_1", "damaged items", top=5)

    assert hits[0] == Hit(
        document_id="doc_refunds",
        title="Refund policy",
        chunk_index=1,
        text="Damaged items are replaced for free.",
        score=hits[0].score,
        heading_path=("Policies",),
        page=2,
    )
    assert hits[0].score > 0
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_hybrid_hits_fuse_text_and_vector_rankings(filled: AzureSearchIndex) -> None:
    hits = filled.search("p1", "kb_1", "parcels weekday", top=3, query_vector=unit_vector(2))

    assert (hits[0].document_id, hits[0].chunk_index) == ("doc_shipping", 0)


def test_a_vector_alone_finds_the_nearest_chunk(service: FakeAzureSearch, filled: AzureSearchIndex) -> None:
    hits = filled.search("p1", "kb_1", "   ", top=1, query_vector=unit_vector(1))

    assert [(hit.document_id, hit.chunk_index) for hit in hits] == [("doc_refunds", 1)]
    assert "search" not in service.search_bodies(INDEX_NAME)[-1]


def test_hits_never_come_from_another_project_or_collection(filled: AzureSearchIndex) -> None:
    hits = filled.search("p1", "kb_1", "refunds", top=50, query_vector=unit_vector(0))

    assert {hit.document_id for hit in hits} <= {"doc_refunds", "doc_shipping"}
    assert {hit.document_id for hit in filled.search("p2", "kb_1", "refunds", top=50)} == {"doc_p2"}


def test_a_quote_in_an_id_is_escaped_by_doubling(service: FakeAzureSearch, index: AzureSearchIndex) -> None:
    index.upsert_chunks("o'brien", "kb_'x'", "doc_1", "Quoted", chunks("quoted project text"), None)
    index.upsert_chunks("o", "kb_1", "doc_2", "Plain", chunks("quoted project text"), None)

    hits = index.search("o'brien", "kb_'x'", "quoted", top=5)

    assert service.search_bodies(INDEX_NAME)[-1]["filter"] == (
        "project_id eq 'o''brien' and collection_id eq 'kb_''x'''"
    )
    assert [hit.document_id for hit in hits] == ["doc_1"]


def test_top_is_capped_at_max_top(service: FakeAzureSearch, filled: AzureSearchIndex) -> None:
    filled.search("p1", "kb_1", "refunds", top=5000)

    assert service.search_bodies(INDEX_NAME)[-1]["top"] == MAX_TOP


def test_no_text_and_no_vector_asks_nothing(service: FakeAzureSearch, index: AzureSearchIndex) -> None:
    assert index.search("p1", "kb_1", "  ", top=5) == []
    assert service.requests == []


def test_a_search_before_any_write_finds_nothing(service: FakeAzureSearch, index: AzureSearchIndex) -> None:
    assert index.search("p1", "kb_1", "refunds", top=5) == []
    assert len(service.requests_for("docs.search")) == 1  # the service answered 404: no index yet


@pytest.mark.parametrize("vector", [[1.0, 0.0], [0.0] * 4, [float("nan"), 1.0, 0.0, 0.0]])
def test_a_query_vector_the_index_cannot_use_leaves_the_text_query(
    service: FakeAzureSearch, filled: AzureSearchIndex, vector: list[float]
) -> None:
    hits = filled.search("p1", "kb_1", "refunds", top=5, query_vector=vector)

    assert hits
    assert "vectorQueries" not in service.search_bodies(INDEX_NAME)[-1]


def test_a_query_vector_without_a_vector_field_leaves_the_text_query(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("refunds"), None)

    hits = text_index.search("p1", "kb_1", "refunds", top=5, query_vector=unit_vector(0))

    assert [hit.document_id for hit in hits] == ["doc_1"]
    assert "vectorQueries" not in service.search_bodies(INDEX_NAME)[-1]


def test_top_below_one_is_refused(index: AzureSearchIndex) -> None:
    with pytest.raises(ValueError, match="top"):
        index.search("p1", "kb_1", "refunds", top=0)


def test_headings_find_their_chunks(text_index: AzureSearchIndex) -> None:
    text_index.upsert_chunks(
        "p1",
        "kb_1",
        "doc_1",
        "Handbook",
        [
            Chunk(index=0, text="Send it back within a month.", heading_path=("Returns",)),
            Chunk(index=1, text="We ship daily.", heading_path=("Delivery",)),
        ],
        None,
    )

    hits = text_index.search("p1", "kb_1", "returns", top=5)

    assert [hit.chunk_index for hit in hits] == [0]
