"""The knowledge index on Azure AI Search (``azure-search-documents``).

One search index holds every project's chunks; each chunk is one search document, and every query and
every deletion is filtered to one project and one collection (``project_id eq '…' and collection_id
eq '…'``), so a project never sees another's text.

The index is defined in code (``shared.knowledge.azure_search_schema``) and created or updated by
``ensure_index``; document keys and filters are ``shared.knowledge.azure_search_keys``. Queries are
hybrid: the text, plus the query vector as a ``VectorizedQuery`` when one is given; the service fuses
both rankings.

Writes go in batches of at most 1000 documents (the service's limit per request) with
``merge_or_upload_documents``; every document's result is checked. Deletions find the keys with a
filtered search, paged by key (``id gt 'last'`` ordered by ``id``, so there is no 100,000 ``skip``
limit and no dependence on when the service shows a deletion), then delete them in batches.
``upsert_chunks`` replaces a document's chunks: it writes them, then deletes the document's other keys
(the service shows writes about a second late: a chunk written by an upsert of the same document less
than a second before may escape that sweep).

A query vector the index cannot use (no vector field, other dimensions, zero or not finite) is left
out of the query with a warning, so a conversation still gets text hits; chunk vectors that do not fit
are a ``ValueError`` before any request.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.search.documents import SearchClient
from azure.search.documents.indexes import SearchIndexClient
from azure.search.documents.models import VectorFilterMode, VectorizedQuery, VectorQuery

from shared.http_transport import sdk_transport_options
from shared.knowledge.azure_search_keys import chunk_key, odata_string, scope_filter
from shared.knowledge.azure_search_schema import KEY_FIELD, VECTOR_FIELD, index_definition
from shared.knowledge.index import MAX_TOP, Chunk, Hit, KnowledgeIndex

logger = logging.getLogger(__name__)

MAX_BATCH = 1000  # documents per indexing request, and keys per page when listing
MIN_VECTOR_CANDIDATES = 50  # nearest neighbours asked for, at least: what the fusion ranks from

_HIT_FIELDS = ["document_id", "title", "chunk_index", "text", "heading_path", "page"]
# Lowercase letters, digits and dashes, starting and ending with a letter or digit, at most 128.
_INDEX_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$")


class IndexingFailed(Exception):
    """The search service refused some documents of a batch (named with their status and message)."""

    def __init__(self, failures: Sequence[tuple[str, int | None, str | None]]) -> None:
        self.failures = list(failures)
        shown = "; ".join(
            f"{key}: {status} {message or ''}".rstrip() for key, status, message in failures[:5]
        )
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} search document(s) failed: {shown}{more}")


def _batches(items: Sequence[Any], size: int = MAX_BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class AzureSearchIndex(KnowledgeIndex):
    """Knowledge chunks in one Azure AI Search index (created on first write, or by ``ensure_index``)."""

    def __init__(
        self,
        endpoint: str,
        index_name: str,
        credential: AzureKeyCredential | TokenCredential,
        vector_dimensions: int | None = None,
    ) -> None:
        if not _INDEX_NAME.match(index_name):
            raise ValueError(
                f"Invalid search index name {index_name!r}: lowercase letters, digits and dashes, "
                "starting and ending with a letter or digit, at most 128 characters."
            )
        if vector_dimensions is not None and vector_dimensions < 1:
            raise ValueError(f"vector_dimensions must be positive, not {vector_dimensions}.")
        self.endpoint = endpoint
        self.index_name = index_name
        self.vector_dimensions = vector_dimensions
        self._credential = credential
        self._lock = threading.Lock()
        self._index_client: SearchIndexClient | None = None
        self._search_client: SearchClient | None = None
        self._index_ready = False
        self._ensure_lock = threading.Lock()

    # ------------------------------------------------------------------------------------ the index

    def ensure_index(self) -> None:
        """Create the index, or update it to this definition (the service refuses changed fields)."""
        with self._ensure_lock:
            self._index_clients()[0].create_or_update_index(
                index_definition(self.index_name, self.vector_dimensions)
            )
            self._index_ready = True

    # ------------------------------------------------------------------------------------ writes

    def upsert_chunks(
        self,
        project_id: str,
        collection_id: str,
        document_id: str,
        title: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]] | None,
    ) -> None:
        """Make ``chunks`` the document's chunks: written (merge-or-upload, key = its index), then the
        document's other chunks deleted. The index is created on the first write."""
        documents = self._documents(project_id, collection_id, document_id, title, chunks, vectors)
        if not self._index_ready:
            self.ensure_index()
        client = self._client()
        for batch in _batches(documents):
            _check(client.merge_or_upload_documents(documents=list(batch)))
        written = {document[KEY_FIELD] for document in documents}
        stale = [
            key
            for key in self._keys(scope_filter(project_id, collection_id, document_id))
            if key not in written
        ]
        self._delete_keys(stale)

    def delete_document(self, project_id: str, collection_id: str, document_id: str) -> None:
        self._delete_matching(scope_filter(project_id, collection_id, document_id))

    def delete_collection(self, project_id: str, collection_id: str) -> None:
        self._delete_matching(scope_filter(project_id, collection_id))

    # ------------------------------------------------------------------------------------ search

    def search(
        self,
        project_id: str,
        collection_id: str,
        query: str,
        top: int,
        query_vector: Sequence[float] | None = None,
    ) -> list[Hit]:
        """The best ``min(top, MAX_TOP)`` chunks of the collection: BM25 over title, headings and text,
        fused by the service with the vector ranking when ``query_vector`` is given. A query vector the
        index cannot use (no vector field, other dimensions, not finite) is left out, with a warning:
        the text still answers."""
        if top < 1:
            raise ValueError(f"top must be at least 1, not {top}.")
        top = min(top, MAX_TOP)
        text = query.strip() or None
        vector_queries: list[VectorQuery] | None = None
        if query_vector is not None:
            problem = self._vector_problem(query_vector)
            if problem is None:
                vector_queries = [
                    VectorizedQuery(
                        vector=[float(x) for x in query_vector],
                        k_nearest_neighbors=max(top * 4, MIN_VECTOR_CANDIDATES),
                        fields=VECTOR_FIELD,
                    )
                ]
            else:
                logger.warning("Searching %s by text only: the query vector %s", self.index_name, problem)
        if text is None and vector_queries is None:
            return []
        try:
            results = self._client().search(
                search_text=text,
                filter=scope_filter(project_id, collection_id),
                top=top,
                select=_HIT_FIELDS,
                vector_queries=vector_queries,
                # Filter before the nearest-neighbour search: k neighbours within the collection.
                vector_filter_mode=VectorFilterMode.PRE_FILTER if vector_queries else None,
            )
            return [_hit(result) for result in itertools.islice(results, top)]
        except ResourceNotFoundError:  # no index yet: nothing was ever written
            return []

    # ------------------------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        with self._lock:
            clients = (self._search_client, self._index_client)
            self._search_client = self._index_client = None
        for client in clients:
            if client is not None:
                client.close()

    def __enter__(self) -> AzureSearchIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ helpers

    def _documents(
        self,
        project_id: str,
        collection_id: str,
        document_id: str,
        title: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]] | None,
    ) -> list[dict[str, Any]]:
        if vectors is not None:
            if len(vectors) != len(chunks):
                raise ValueError(f"{len(vectors)} vectors for {len(chunks)} chunks: one vector per chunk.")
            for vector in vectors:
                problem = self._vector_problem(vector)
                if problem is not None:
                    raise ValueError(f"A chunk vector {problem}")
        indexes = [chunk.index for chunk in chunks]
        if len(set(indexes)) != len(indexes):
            raise ValueError("Two chunks of one document share an index.")
        documents = []
        for position, chunk in enumerate(chunks):
            document: dict[str, Any] = {
                KEY_FIELD: chunk_key(project_id, collection_id, document_id, chunk.index),
                "project_id": project_id,
                "collection_id": collection_id,
                "document_id": document_id,
                "title": title,
                "text": chunk.text,
                "chunk_index": chunk.index,
                "heading_path": list(chunk.heading_path),
                "page": chunk.page,
            }
            if self.vector_dimensions is not None:
                # Always sent, null without vectors, so a merge never keeps a stale vector.
                document[VECTOR_FIELD] = None if vectors is None else [float(x) for x in vectors[position]]
            documents.append(document)
        return documents

    def _vector_problem(self, vector: Sequence[float]) -> str | None:
        if self.vector_dimensions is None:
            return f"was given, but the index {self.index_name!r} has no vector field."
        if len(vector) != self.vector_dimensions:
            return f"has {len(vector)} dimensions; the index expects {self.vector_dimensions}."
        if not all(math.isfinite(x) for x in vector) or not any(vector):
            return "is zero or not finite."
        return None

    def _keys(self, filter_expression: str) -> list[str]:
        """Every key matching the filter, one page of ``MAX_BATCH`` at a time, paged by key."""
        keys: list[str] = []
        client = self._client()
        while True:
            page_filter = filter_expression
            if keys:
                page_filter = f"{filter_expression} and {KEY_FIELD} gt {odata_string(keys[-1])}"
            results = client.search(
                search_text="*",
                filter=page_filter,
                order_by=[f"{KEY_FIELD} asc"],
                select=[KEY_FIELD],
                top=MAX_BATCH,
            )
            page = [str(result[KEY_FIELD]) for result in itertools.islice(results, MAX_BATCH)]
            keys.extend(page)
            if len(page) < MAX_BATCH:
                return keys

    def _delete_matching(self, filter_expression: str) -> None:
        try:
            keys = self._keys(filter_expression)
        except ResourceNotFoundError:  # no index yet: nothing to delete
            return
        self._delete_keys(keys)

    def _delete_keys(self, keys: Sequence[str]) -> None:
        client = self._client()
        for batch in _batches(keys):
            _check(client.delete_documents(documents=[{KEY_FIELD: key} for key in batch]))

    def _index_clients(self) -> tuple[SearchIndexClient, SearchClient]:
        with self._lock:
            if self._index_client is None or self._search_client is None:
                self._index_client = SearchIndexClient(
                    self.endpoint, self._credential, **sdk_transport_options()
                )
                self._search_client = SearchClient(
                    self.endpoint, self.index_name, self._credential, **sdk_transport_options()
                )
            return self._index_client, self._search_client

    def _client(self) -> SearchClient:
        return self._index_clients()[1]


def _hit(result: dict[str, Any]) -> Hit:
    return Hit(
        document_id=result["document_id"],
        title=result["title"],
        chunk_index=int(result["chunk_index"]),
        text=result["text"],
        score=float(result["@search.score"]),
        heading_path=tuple(result.get("heading_path") or ()),
        page=result.get("page"),
    )


def _check(results: Sequence[Any]) -> None:
    failures = [(r.key, r.status_code, r.error_message) for r in results if not r.succeeded]
    if failures:
        raise IndexingFailed(failures)
