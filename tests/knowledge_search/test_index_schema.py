"""The index definition the SDK sends: fields, flags, BM25 and the HNSW vector profile."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.search.documents.indexes import SearchIndexClient

from shared.knowledge.azure_search_index import AzureSearchIndex
from tests.fakes.azure_search import FakeAzureSearch
from tests.knowledge_search.conftest import API_KEY, DIMENSIONS, INDEX_NAME, MakeIndex, chunks


def sent_schema(service: FakeAzureSearch) -> dict[str, Any]:
    (put,) = service.requests_for("index.put", INDEX_NAME)
    body: dict[str, Any] = put.body
    return body


def fields_by_name(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {field["name"]: field for field in schema["fields"]}


def test_ensure_index_puts_the_index_under_its_name(
    service: FakeAzureSearch, index: AzureSearchIndex
) -> None:
    index.ensure_index()

    (put,) = service.requests_for("index.put")
    assert put.path == f"/indexes('{INDEX_NAME}')"
    assert put.query["api-version"] == "2026-04-01"
    assert put.headers["api-key"] == API_KEY
    assert put.body["name"] == INDEX_NAME


def test_the_key_is_a_filterable_sortable_string(service: FakeAzureSearch, index: AzureSearchIndex) -> None:
    index.ensure_index()

    fields = fields_by_name(sent_schema(service))
    keys = [name for name, field in fields.items() if field.get("key")]
    assert keys == ["id"]
    assert fields["id"]["type"] == "Edm.String"
    assert fields["id"]["filterable"] is True  # paging by key: id gt '…'
    assert fields["id"]["sortable"] is True  # … ordered by id


def test_scope_fields_are_filterable_and_not_searchable(
    service: FakeAzureSearch, index: AzureSearchIndex
) -> None:
    index.ensure_index()

    fields = fields_by_name(sent_schema(service))
    for name in ("project_id", "collection_id", "document_id"):
        assert fields[name]["type"] == "Edm.String"
        assert fields[name]["filterable"] is True
        assert fields[name]["searchable"] is False


def test_title_text_and_headings_are_searchable_with_bm25(
    service: FakeAzureSearch, index: AzureSearchIndex
) -> None:
    index.ensure_index()

    schema = sent_schema(service)
    fields = fields_by_name(schema)
    for name in ("title", "text"):
        assert fields[name]["type"] == "Edm.String"
        assert fields[name]["searchable"] is True
        assert fields[name]["retrievable"] is True
        assert not fields[name].get("filterable")
    assert fields["heading_path"]["type"] == "Collection(Edm.String)"
    assert fields["heading_path"]["searchable"] is True
    assert fields["chunk_index"]["type"] == "Edm.Int32"
    assert fields["page"]["type"] == "Edm.Int32"
    assert schema["similarity"]["@odata.type"] == "#Microsoft.Azure.Search.BM25Similarity"


def test_the_vector_field_has_the_dimensions_and_an_hnsw_profile(
    service: FakeAzureSearch, index: AzureSearchIndex
) -> None:
    index.ensure_index()

    schema = sent_schema(service)
    vector = fields_by_name(schema)["text_vector"]
    assert vector["type"] == "Collection(Edm.Single)"
    assert vector["dimensions"] == DIMENSIONS
    assert vector["searchable"] is True
    assert vector["retrievable"] is False  # never sent back with hits
    (profile,) = schema["vectorSearch"]["profiles"]
    assert vector["vectorSearchProfile"] == profile["name"]
    (algorithm,) = schema["vectorSearch"]["algorithms"]
    assert profile["algorithm"] == algorithm["name"]
    assert algorithm["kind"] == "hnsw"
    assert algorithm["hnswParameters"]["metric"] == "cosine"


def test_without_dimensions_there_is_no_vector_field_nor_vector_search(
    service: FakeAzureSearch, text_index: AzureSearchIndex
) -> None:
    text_index.ensure_index()

    schema = sent_schema(service)
    assert "text_vector" not in fields_by_name(schema)
    assert schema.get("vectorSearch") is None


def test_the_stored_index_reads_back_through_the_sdk(
    service: FakeAzureSearch, index: AzureSearchIndex
) -> None:
    index.ensure_index()

    with SearchIndexClient(service.endpoint, AzureKeyCredential(API_KEY)) as client:
        stored = client.get_index(INDEX_NAME)
    by_name = {field.name: field for field in stored.fields}
    assert by_name["text_vector"].vector_search_dimensions == DIMENSIONS
    assert by_name["project_id"].filterable is True
    assert stored.e_tag


def test_ensure_index_again_updates_the_same_definition(
    service: FakeAzureSearch, index: AzureSearchIndex
) -> None:
    index.ensure_index()
    index.ensure_index()

    first, second = service.requests_for("index.put")
    assert first.body["fields"] == second.body["fields"]
    assert service.index_schema(INDEX_NAME)["fields"] == first.body["fields"]


def test_the_first_write_creates_the_index_once(service: FakeAzureSearch, index: AzureSearchIndex) -> None:
    index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("one"), None)
    index.upsert_chunks("p1", "kb_1", "doc_2", "Guide", chunks("two"), None)

    assert len(service.requests_for("index.put")) == 1


def test_the_service_refusing_changed_dimensions_is_an_error(
    service: FakeAzureSearch, make_index: MakeIndex
) -> None:
    make_index(vector_dimensions=4).ensure_index()

    with pytest.raises(HttpResponseError) as raised:
        make_index(vector_dimensions=8).ensure_index()
    assert raised.value.status_code == 400


@pytest.mark.parametrize("name", ["Knowledge", "-knowledge", "knowledge-", "know_ledge", "", "k" * 129])
def test_an_invalid_index_name_is_refused_before_any_request(name: str) -> None:
    with pytest.raises(ValueError, match="index name"):
        AzureSearchIndex("http://127.0.0.1:1", name, AzureKeyCredential(API_KEY), None)
