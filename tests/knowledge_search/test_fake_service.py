"""The loopback service refuses what it does not understand, so a test notices."""

from __future__ import annotations

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.search.documents import SearchClient

from shared.knowledge.azure_search_index import AzureSearchIndex
from tests.fakes.azure_search import FakeAzureSearch, parse_filter
from tests.knowledge_search.conftest import API_KEY, INDEX_NAME, chunks


def test_a_wrong_api_key_is_refused(service: FakeAzureSearch) -> None:
    index = AzureSearchIndex(service.endpoint, INDEX_NAME, AzureKeyCredential("wrong"), None)

    with pytest.raises(HttpResponseError) as raised:
        index.ensure_index()
    index.close()
    assert raised.value.status_code == 403  # the service's answer to a wrong key


@pytest.mark.parametrize(
    "expression",
    [
        "project_id ne 'p1'",
        "project_id eq 'p1' or collection_id eq 'kb_1'",
        "search.in(project_id, 'p1')",
        "chunk_index eq 1",
        "project_id eq p1",
    ],
)
def test_filters_outside_the_fakes_grammar_are_refused(
    service: FakeAzureSearch, text_index: AzureSearchIndex, expression: str
) -> None:
    text_index.upsert_chunks("p1", "kb_1", "doc_1", "Guide", chunks("text"), None)

    with (
        SearchClient(service.endpoint, INDEX_NAME, AzureKeyCredential(API_KEY)) as client,
        pytest.raises(HttpResponseError) as raised,
    ):
        list(client.search("*", filter=expression))
    assert raised.value.status_code == 400


def test_the_filter_grammar_reads_doubled_quotes() -> None:
    assert parse_filter("project_id eq 'o''brien' and id gt 'a=b'") == [
        ("project_id", "eq", "o'brien"),
        ("id", "gt", "a=b"),
    ]


def test_a_batch_over_1000_actions_is_refused(service: FakeAzureSearch, text_index: AzureSearchIndex) -> None:
    text_index.ensure_index()
    documents = [{"id": f"k{i}", "project_id": "p"} for i in range(1001)]

    with (
        SearchClient(service.endpoint, INDEX_NAME, AzureKeyCredential(API_KEY)) as client,
        pytest.raises(HttpResponseError) as raised,
    ):
        client.upload_documents(documents)
    assert raised.value.status_code == 400
