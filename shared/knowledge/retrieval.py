"""Where the app's knowledge lives and how a collection is searched.

- ``knowledge_index(settings)``: the backend the settings choose (``OMNI_KNOWLEDGE_INDEX``): the
  embedded ``LocalIndex`` in ``OMNI_KNOWLEDGE_DIR`` (the local stack), or ``AzureSearchIndex`` at
  ``OMNI_SEARCH_ENDPOINT`` (an admin key from ``OMNI_SEARCH_API_KEY``, else the app's managed identity).
  One per process: both are safe to share between threads.
- ``collection_embedder``: the embedding model of the key that created the collection. Chunks and
  queries are embedded by the same model, so their vectors compare; a key without an embedding model
  (or a deleted one) means text ranking only.
- ``search_collection``: the query's vector (when there is an embedder) plus the text, ranked by the
  index. A failing embedding call does not fail the search: it falls back to text ranking.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from azure.core.credentials import AzureKeyCredential
from azure.identity import DefaultAzureCredential

from shared.knowledge.azure_search_index import AzureSearchIndex
from shared.knowledge.embeddings import Embedder, HostedEmbeddingSettings, embedder_for
from shared.knowledge.index import Hit, KnowledgeIndex
from shared.knowledge.local_index import LocalIndex, local_index_path
from shared.knowledge.models import KnowledgeBaseRecord
from shared.models import ProviderError
from shared.platform import Platform
from shared.sessions.configuration import key_provider
from shared.settings import Settings
from shared.storage import NotFound

log = logging.getLogger("omniagent.knowledge")


@functools.cache
def knowledge_index(settings: Settings) -> KnowledgeIndex:
    if settings.knowledge_index == "azure-search":
        assert settings.search_endpoint is not None  # load_settings insists on it
        credential = (
            AzureKeyCredential(settings.search_api_key)
            if settings.search_api_key
            else DefaultAzureCredential()
        )
        return AzureSearchIndex(
            settings.search_endpoint,
            settings.search_index_name,
            credential,
            vector_dimensions=settings.search_vector_dimensions,
        )
    directory = Path(settings.knowledge_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return LocalIndex(local_index_path(directory))


def hosted_embedding_settings(settings: Settings) -> HostedEmbeddingSettings:
    return HostedEmbeddingSettings(
        endpoint=settings.hosted_openai_endpoint,
        deployment=settings.hosted_embedding_deployment,
        api_version=settings.hosted_openai_api_version,
        api_key=settings.hosted_openai_api_key,
    )


def collection_embedder(
    platform: Platform, project_id: str, collection: KnowledgeBaseRecord, caller_key_id: str
) -> Embedder | None:
    """The collection's embedding model, or None (text ranking only)."""
    key_id = collection.key_id or caller_key_id
    try:
        provider, secret = key_provider(platform, project_id, key_id)
    except NotFound:
        return None  # the key that made the collection is gone: text ranking from now on
    return embedder_for(provider, secret, hosted_embedding_settings(platform.settings))


def search_collection(
    platform: Platform,
    project_id: str,
    collection: KnowledgeBaseRecord,
    caller_key_id: str,
    query: str,
    top: int,
) -> list[Hit]:
    vector: list[float] | None = None
    try:
        embedder = collection_embedder(platform, project_id, collection, caller_key_id)
        if embedder is not None:
            vector = embedder.embed([query])[0]
    except ProviderError as failure:
        log.warning("query embedding failed for %s, text ranking only: %s", collection.id, failure.code)
    index = knowledge_index(platform.settings)
    return index.search(project_id, collection.id, query, top, query_vector=vector)
