"""The embedded knowledge index of the local stack: SQLite FTS5 in one file, vectors beside it.

- **Rows**: table ``chunks`` holds each chunk (project, collection, document, index, title, heading path,
  text, page and, when the collection has an embedder, its vector as float32 bytes, normalised to
  length 1). ``chunks_fts`` (FTS5, same rowid) holds the chunk's index terms: the terms of
  ``shared.models.retrieval`` (folded, stop words out, lightly stemmed, CJK as character pairs), so the
  index matches words the way the embedded offline model does.
- **Scope**: every row carries a scope token made from its project and collection, and every FTS query
  is ``scope : token AND (...)``: SQLite intersects the two posting lists, so a query only ever reads
  its own collection's rows. Rows are also filtered by project and collection columns when read.
- **Lexical ranking**: FTS5 ``bm25()`` over title (x2), heading path (x1.5) and text (x1); the query's
  terms and their synonyms (``retrieval.SYNONYMS``) are OR-ed, so a chunk matching some words still
  ranks, below one matching more. Terms found in half the rows or more are searched for only when the
  others find too little (see ``_lexical``): it makes a query over 100,000 chunks about 3x faster.
- **Vector ranking** (when a query vector is given and the collection has vectors of its size):
  cosine similarity over all the collection's vectors (numpy; the matrix of a collection is cached
  in memory until the collection is written). Both rankings are fused by reciprocal rank fusion
  (``1 / (60 + rank)`` summed), so a chunk that only the vector finds (other words, same meaning) can
  rank, and one both find ranks first. Both are in ``shared.knowledge.local_index_vectors``.
- **Concurrency**: one connection behind a lock (safe to share between threads); WAL journal.
- **Deletion** removes the rows from both tables at once (``secure_delete`` overwrites freed pages);
  ``compact()`` also merges the full-text index's segments, so no trace of deleted text stays in the
  file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from shared.knowledge.index import MAX_TOP, Chunk, Hit, KnowledgeIndex
from shared.knowledge.local_index_vectors import (
    DEFAULT_VECTOR_CACHE_BYTES,
    VectorCache,
    fuse_rankings,
    nearest,
    pack_vectors,
    unit_query,
)
from shared.models.retrieval import SYNONYMS, terms

LOCAL_INDEX_FILENAME = "knowledge-index.sqlite3"
SCHEMA_VERSION = 1
MIN_CANDIDATES = 50  # each ranking contributes at least this many candidates to the fusion
MAX_QUERY_TERMS = 64
TITLE_WEIGHT, HEADING_WEIGHT, BODY_WEIGHT = 2.0, 1.5, 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    collection_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    title TEXT NOT NULL,
    heading_path TEXT NOT NULL,
    text TEXT NOT NULL,
    page INTEGER,
    dims INTEGER,
    vector BLOB,
    UNIQUE (project_id, collection_id, document_id, chunk_index)
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    scope, title, heading, body, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
"""


def local_index_path(data_dir: str | Path) -> Path:
    """Where the local stack keeps its index: ``LOCAL_INDEX_FILENAME`` in ``data_dir``."""
    return Path(data_dir) / LOCAL_INDEX_FILENAME


def scope_token(project_id: str, collection_id: str) -> str:
    """One FTS token (letters and digits) standing for a project's collection."""
    digest = hashlib.sha256(json.dumps([project_id, collection_id]).encode()).hexdigest()
    return f"scope{digest[:32]}"


def query_terms(query: str) -> list[str]:
    """The index terms a query looks for: its own terms and their synonyms, in order, at most
    ``MAX_QUERY_TERMS``. Never FTS5 syntax: the words of a query are only ever quoted terms."""
    wanted: dict[str, None] = {}
    for term in terms(query):
        wanted[term] = None
        for synonym in sorted(SYNONYMS.get(term, ())):
            wanted[synonym] = None
    return list(wanted)[:MAX_QUERY_TERMS]


def match_expression(scope: str, query_terms: Sequence[str]) -> str:
    """The FTS5 query: the scope's token AND any of the terms."""
    return f"scope : {_quote(scope)} AND ({' OR '.join(_quote(term) for term in query_terms)})"


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _index_text(text: str) -> str:
    return " ".join(terms(text))


class LocalIndex(KnowledgeIndex):
    """The knowledge index in the SQLite file at ``path`` (created with its folder when missing)."""

    def __init__(self, path: str | Path, *, vector_cache_bytes: int = DEFAULT_VECTOR_CACHE_BYTES) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._vector_cache = VectorCache(vector_cache_bytes)
        self._rows: int | None = None  # COUNT(*) of chunks, until the next write
        with self._lock:
            connection = self._connection
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA secure_delete = ON")
            connection.execute("PRAGMA busy_timeout = 5000")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer version (schema {version}).")
            connection.executescript(_SCHEMA)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
        packed = pack_vectors(vectors, len(chunks))
        indexes = [chunk.index for chunk in chunks]
        if len(set(indexes)) != len(indexes):
            raise ValueError("Two chunks of one document share an index.")
        scope = scope_token(project_id, collection_id)
        title_terms = _index_text(title)
        rows = [
            (
                chunk,
                _index_text(" ".join(chunk.heading_path)),
                _index_text(chunk.text),
                packed[position] if packed else (None, None),
            )
            for position, chunk in enumerate(chunks)
        ]
        with self._lock, self._transaction() as connection:
            self._delete_where(connection, "document_id = ?", project_id, collection_id, document_id)
            for chunk, heading_terms, body_terms, (dims, blob) in rows:
                cursor = connection.execute(
                    "INSERT INTO chunks (project_id, collection_id, document_id, chunk_index, title,"
                    " heading_path, text, page, dims, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        project_id,
                        collection_id,
                        document_id,
                        chunk.index,
                        title,
                        json.dumps(list(chunk.heading_path), ensure_ascii=False),
                        chunk.text,
                        chunk.page,
                        dims,
                        blob,
                    ),
                )
                connection.execute(
                    "INSERT INTO chunks_fts (rowid, scope, title, heading, body) VALUES (?, ?, ?, ?, ?)",
                    (cursor.lastrowid, scope, title_terms, heading_terms, body_terms),
                )
            self._forget_vectors(project_id, collection_id)

    def delete_document(self, project_id: str, collection_id: str, document_id: str) -> None:
        with self._lock, self._transaction() as connection:
            self._delete_where(connection, "document_id = ?", project_id, collection_id, document_id)
            self._forget_vectors(project_id, collection_id)

    def delete_collection(self, project_id: str, collection_id: str) -> None:
        with self._lock, self._transaction() as connection:
            self._delete_where(connection, None, project_id, collection_id)
            self._forget_vectors(project_id, collection_id)

    def compact(self) -> None:
        """Merge the full-text index into one segment (dropping what deletions left in older segments)
        and give freed pages back to the file system."""
        with self._lock:
            self._connection.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('optimize')")
            self._connection.execute("VACUUM")
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ------------------------------------------------------------------------------------ search

    def search(
        self,
        project_id: str,
        collection_id: str,
        query: str,
        top: int,
        query_vector: Sequence[float] | None = None,
    ) -> list[Hit]:
        if top < 1:
            raise ValueError(f"top must be at least 1, not {top}.")
        top = min(top, MAX_TOP)
        candidates = max(top * 4, MIN_CANDIDATES)
        with self._lock:
            lexical = self._lexical(project_id, collection_id, query, candidates)
            semantic: list[int] = []
            if query_vector is not None:
                semantic = self._semantic(project_id, collection_id, query_vector, candidates)
            if not semantic:
                ranked = [(row_id, -bm25) for row_id, bm25 in lexical[:top]]
            else:
                ranked = fuse_rankings([row_id for row_id, _ in lexical], semantic)[:top]
            return self._hits(project_id, collection_id, ranked)

    def _lexical(
        self, project_id: str, collection_id: str, query: str, limit: int
    ) -> list[tuple[int, float]]:
        """(row id, bm25) of the best ``limit`` matches, best (most negative) first.

        Terms in half the rows or more are searched for only when the others find fewer than ``limit``
        chunks: FTS5's BM25 gives such a term an idf of 1e-6, so the chunks it alone finds rank after
        every chunk another term finds and it barely moves those, while its posting list is most of a
        query's cost. (Counts are over the whole index, as FTS5's own statistics are; the second query
        keeps a small collection's answer independent of what other projects hold.)"""
        present, rare = self._terms_by_rarity(query_terms(query))
        if not present:
            return []
        scope = scope_token(project_id, collection_id)
        rows = self._bm25(scope, rare or present, limit)
        if rare and len(rows) < limit and len(rare) < len(present):
            rows = self._bm25(scope, present, limit)
        return rows

    def _bm25(self, scope: str, wanted: Sequence[str], limit: int) -> list[tuple[int, float]]:
        rows = self._connection.execute(
            "SELECT rowid, bm25(chunks_fts, 0.0, ?, ?, ?) AS score FROM chunks_fts"
            " WHERE chunks_fts MATCH ? ORDER BY score, rowid LIMIT ?",
            (TITLE_WEIGHT, HEADING_WEIGHT, BODY_WEIGHT, match_expression(scope, wanted), limit),
        ).fetchall()
        return [(int(row_id), float(score)) for row_id, score in rows]

    def _terms_by_rarity(self, wanted: list[str]) -> tuple[list[str], list[str]]:
        """The terms the index holds, and those of them in fewer than half its rows."""
        if not wanted:
            return [], []
        counts = {
            term: int(rows)
            for term, rows in self._connection.execute(
                f"SELECT term, doc FROM chunks_vocab WHERE term IN ({', '.join('?' for _ in wanted)})", wanted
            )
        }
        present = [term for term in wanted if counts.get(term, 0) > 0]
        total = self._row_count()
        return present, [term for term in present if counts[term] * 2 < total]

    def _row_count(self) -> int:
        if self._rows is None:
            self._rows = int(self._connection.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        return self._rows

    def _semantic(
        self, project_id: str, collection_id: str, query_vector: Sequence[float], limit: int
    ) -> list[int]:
        unit = unit_query(query_vector)
        if unit is None:
            return []
        matrix = self._vector_cache.matrix(self._connection, project_id, collection_id, int(unit.size))
        if matrix is None or not matrix.ids.size:
            return []
        return nearest(matrix, unit, limit)

    def _hits(self, project_id: str, collection_id: str, ranked: list[tuple[int, float]]) -> list[Hit]:
        if not ranked:
            return []
        marks = ", ".join("?" for _ in ranked)
        rows = self._connection.execute(
            "SELECT id, document_id, title, chunk_index, text, heading_path, page FROM chunks"
            f" WHERE id IN ({marks}) AND project_id = ? AND collection_id = ?",
            (*[row_id for row_id, _ in ranked], project_id, collection_id),
        ).fetchall()
        found = {row[0]: row for row in rows}
        hits: list[Hit] = []
        for row_id, score in ranked:
            row = found.get(row_id)
            if row is None:
                continue
            _, document_id, title, chunk_index, text, heading_path, page = row
            hits.append(
                Hit(
                    document_id=document_id,
                    title=title,
                    chunk_index=int(chunk_index),
                    text=text,
                    score=float(score),
                    heading_path=tuple(json.loads(heading_path)),
                    page=page,
                )
            )
        return hits

    # ------------------------------------------------------------------------------------ reading

    def count(self, project_id: str, collection_id: str, document_id: str | None = None) -> int:
        """How many chunks the collection (or one of its documents) has."""
        sql = "SELECT COUNT(*) FROM chunks WHERE project_id = ? AND collection_id = ?"
        parameters: tuple[str, ...] = (project_id, collection_id)
        if document_id is not None:
            sql += " AND document_id = ?"
            parameters = (*parameters, document_id)
        with self._lock:
            return int(self._connection.execute(sql, parameters).fetchone()[0])

    # ------------------------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        with self._lock:
            self._vector_cache.clear()
            self._connection.close()

    def __enter__(self) -> LocalIndex:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ helpers

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection)

    def _delete_where(
        self,
        connection: sqlite3.Connection,
        extra: str | None,
        project_id: str,
        collection_id: str,
        *more: str,
    ) -> None:
        condition = "project_id = ? AND collection_id = ?" + (f" AND {extra}" if extra else "")
        parameters = (project_id, collection_id, *more)
        connection.execute(
            f"DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE {condition})", parameters
        )
        connection.execute(f"DELETE FROM chunks WHERE {condition}", parameters)

    def _forget_vectors(self, project_id: str, collection_id: str) -> None:
        self._rows = None
        self._vector_cache.forget(project_id, collection_id)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on an exception)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.connection.execute("ROLLBACK" if exc_type is not None else "COMMIT")
