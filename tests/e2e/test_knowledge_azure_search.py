"""With OMNI_SEARCH_ENDPOINT set, knowledge goes to Azure AI Search (here the loopback service, through
the real SDK): ingestion indexes there, search and deletion go there, nothing is written locally."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from shared.knowledge.local_index import local_index_path
from tests.e2e.test_knowledge_files import files_url, new_collection, search, upload_file, wait_until_done
from tests.fakes.azure_search import FakeAzureSearch
from tests.knowledge.documents import HANDBOOK, make_markdown

API_KEY = "search-admin-key"
INDEX = "omniagent-knowledge"


@pytest.fixture
def search_service():
    with FakeAzureSearch(api_key=API_KEY) as service:
        yield service


def test_an_azure_search_platform_ingests_searches_and_deletes_there(
    own_platform_factory, search_service, project_key, tmp_path
):
    knowledge_dir = tmp_path / "unused-local-knowledge"
    host = own_platform_factory(
        OMNI_SEARCH_ENDPOINT=search_service.endpoint,
        OMNI_SEARCH_API_KEY=API_KEY,
        OMNI_KNOWLEDGE_DIR=str(knowledge_dir),
    )
    kb = new_collection(host, project_key)
    file = upload_file(host, project_key, kb, "handbook.md", make_markdown(HANDBOOK)).json()
    ready, _ = wait_until_done(host, project_key, kb, file["id"])
    assert ready["status"] == "ready", ready

    stored = search_service.documents(INDEX).values()
    assert {(d["project_id"], d["collection_id"], d["document_id"]) for d in stored} == {
        (project_key.project_id, kb, file["id"])
    }
    assert len(stored) == ready["chunkCount"]
    results = search(host, project_key, kb, "delivery to Canada")
    assert results and results[0]["fileId"] == file["id"]
    query = search_service.search_bodies(INDEX)[-1]
    assert f"project_id eq '{project_key.project_id}'" in query["filter"] and f"'{kb}'" in query["filter"]

    gone = requests.delete(files_url(host, kb, f"/{file['id']}"), headers=project_key.headers, timeout=30)
    assert gone.status_code == 204
    assert search_service.documents(INDEX) == {}
    assert not Path(local_index_path(knowledge_dir)).exists()
