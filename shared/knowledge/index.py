"""The knowledge index: one interface, two backends.

- ``LocalIndex`` (``shared.knowledge.local_index``): SQLite FTS5 in a file under the data directory,
  for the local stack.
- ``AzureSearchIndex`` (``shared.knowledge.azure_search_index``): Azure AI Search, in Azure.

Every call names a project and a collection, and nothing crosses them: a search sees only the chunks
written under the same project and collection, a deletion removes only theirs. ``upsert_chunks``
writes a document's whole chunk list: what the document had before and no longer has is gone
afterwards. ``vectors`` (one per chunk, from the collection's embedder) and ``query_vector`` are given
when the key's provider has an embedding model; a backend then ranks by text and vector together.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from shared.knowledge.chunking import Chunk
from shared.models.messages import KnowledgePassage

__all__ = ["DEFAULT_TOP", "MAX_TOP", "Chunk", "Hit", "KnowledgeIndex", "passages"]

DEFAULT_TOP = 5
MAX_TOP = 50


@dataclass(frozen=True)
class Hit:
    """One chunk found. ``score`` orders the hits of one search (higher is better); its scale depends
    on the backend and on whether vectors took part, so it is no threshold."""

    document_id: str
    title: str
    chunk_index: int
    text: str
    score: float
    heading_path: tuple[str, ...] = ()
    page: int | None = None

    def passage(self) -> KnowledgePassage:
        """The hit as the model's grounding (the heading path in front of the text)."""
        text = f"{' > '.join(self.heading_path)}\n\n{self.text}" if self.heading_path else self.text
        return KnowledgePassage(
            text=text, document_id=self.document_id, title=self.title, chunk=self.chunk_index
        )


def passages(hits: Sequence[Hit]) -> tuple[KnowledgePassage, ...]:
    return tuple(hit.passage() for hit in hits)


class KnowledgeIndex(ABC):
    """Where a collection's chunks are searched. Implementations are safe to share between threads."""

    @abstractmethod
    def upsert_chunks(
        self,
        project_id: str,
        collection_id: str,
        document_id: str,
        title: str,
        chunks: Sequence[Chunk],
        vectors: Sequence[Sequence[float]] | None,
    ) -> None:
        """Make ``chunks`` the document's chunks (replacing all it had). ``vectors``, when given, has one
        vector per chunk, in the same order. Raises ``ValueError`` for mismatched vectors."""

    @abstractmethod
    def delete_document(self, project_id: str, collection_id: str, document_id: str) -> None:
        """Remove every chunk of the document (nothing happens when it has none)."""

    @abstractmethod
    def delete_collection(self, project_id: str, collection_id: str) -> None:
        """Remove every chunk of every document of the collection."""

    @abstractmethod
    def search(
        self,
        project_id: str,
        collection_id: str,
        query: str,
        top: int,
        query_vector: Sequence[float] | None = None,
    ) -> list[Hit]:
        """The best chunks for ``query`` (at most ``min(top, MAX_TOP)``), best first, from this project's
        collection only. ``query_vector`` is the query's embedding, made by the same embedder as the
        chunks' vectors."""
