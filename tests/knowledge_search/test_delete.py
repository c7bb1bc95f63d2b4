"""Deleting a document or a collection: keys found by a filtered search, deleted in batches."""

from __future__ import annotations

from shared.knowledge.azure_search_index import AzureSearchIndex
from tests.fakes.azure_search import FakeAzureSearch
from tests.knowledge_search.conftest import INDEX_NAME, chunks, numbered_chunks


def fill(index: AzureSearchIndex) -> None:
    index.upsert_chunks("p1", "kb_1", "doc_a", "A", chunks("a0", "a1", "a2"), None)
    index.upsert_chunks("p1", "kb_1", "doc_b", "B", chunks("b0", "b1"), None)
    index.upsert_chunks("p1", "kb_2", "doc_a", "A in kb_2", chunks("c0"), None)
    index.upsert_chunks("p2", "kb_1", "doc_a", "A in p2", chunks("d0"), None)


def remaining(service: FakeAzureSearch) -> list[tuple[str, str, str, int]]:
    return sorted(
        (d["project_id"], d["collection_id"], d["document_id"], d["chunk_index"])
        for d in service.documents(INDEX_NAME).values()
    )


def test_deleting_a_document_removes_exactly_its_chunks(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    fill(text_index)

    text_index.delete_document("p1", "kb_1", "doc_a")

    assert remaining(service) == [
        ("p1", "kb_1", "doc_b", 0),
        ("p1", "kb_1", "doc_b", 1),
        ("p1", "kb_2", "doc_a", 0),
        ("p2", "kb_1", "doc_a", 0),
    ]


def test_deleting_a_collection_removes_exactly_its_chunks(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    fill(text_index)

    text_index.delete_collection("p1", "kb_1")

    assert remaining(service) == [("p1", "kb_2", "doc_a", 0), ("p2", "kb_1", "doc_a", 0)]


def test_deletion_finds_keys_with_a_scoped_search_then_deletes_them(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    fill(text_index)
    service.clear_requests()

    text_index.delete_document("p1", "kb_1", "doc_a")

    search, delete = service.requests
    assert search.operation == "docs.search"
    assert (
        search.body["filter"] == "project_id eq 'p1' and collection_id eq 'kb_1' and document_id eq 'doc_a'"
    )
    assert search.body["select"] == "id"
    assert search.body["orderby"] == "id asc"
    assert delete.operation == "docs.index"
    assert {action["@search.action"] for action in delete.body["value"]} == {"delete"}
    assert len(delete.body["value"]) == 3


def test_more_than_1000_chunks_are_paged_by_key_and_deleted_in_batches(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    text_index.upsert_chunks("p1", "kb_1", "doc_big", "Big", numbered_chunks(2500), None)
    text_index.upsert_chunks("p1", "kb_1", "doc_small", "Small", chunks("stays"), None)
    service.clear_requests()

    text_index.delete_document("p1", "kb_1", "doc_big")

    searches = service.search_bodies(INDEX_NAME)
    assert len(searches) == 3
    scope = "project_id eq 'p1' and collection_id eq 'kb_1' and document_id eq 'doc_big'"
    assert searches[0]["filter"] == scope
    assert searches[1]["filter"].startswith(scope + " and id gt '")
    assert [len(batch) for batch in service.index_batches(INDEX_NAME)] == [1000, 1000, 500]
    assert remaining(service) == [("p1", "kb_1", "doc_small", 0)]


def test_deleting_from_a_missing_index_does_nothing(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    text_index.delete_collection("p1", "kb_1")

    assert [r.operation for r in service.requests] == ["docs.search"]


def test_deleting_a_quoted_id_escapes_it(service: FakeAzureSearch, text_index: AzureSearchIndex) -> None:
    text_index.upsert_chunks("p1", "kb_1", "it's", "Quoted", chunks("q"), None)
    text_index.upsert_chunks("p1", "kb_1", "its", "Plain", chunks("p"), None)

    text_index.delete_document("p1", "kb_1", "it's")

    assert remaining(service) == [("p1", "kb_1", "its", 0)]
