"""The vector side of the local knowledge index (``shared.knowledge.local_index``).

Chunk vectors are stored normalised to length 1, as float32 bytes. A query ranks a collection's
vectors by cosine similarity (numpy) over one matrix per collection and size, cached in memory, least
recently used first out, until the collection is written. The vector ranking and the text ranking are
fused by reciprocal rank fusion (``1 / (RRF_K + rank)`` summed).
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al., 2009)
DEFAULT_VECTOR_CACHE_BYTES = 256 * 1024 * 1024


@dataclass
class VectorMatrix:
    """A collection's vectors of one size, row by row, with the chunk row id of each."""

    ids: np.ndarray[Any, np.dtype[np.int64]]
    vectors: np.ndarray[Any, np.dtype[np.float32]]

    @property
    def size(self) -> int:
        return int(self.ids.nbytes + self.vectors.nbytes)


class VectorCache:
    """The matrices of the collections searched last, at most ``max_bytes`` of them together."""

    def __init__(self, max_bytes: int) -> None:
        self._matrices: OrderedDict[tuple[str, str, int], VectorMatrix] = OrderedDict()
        self._max_bytes = max_bytes

    def matrix(
        self, connection: sqlite3.Connection, project_id: str, collection_id: str, dims: int
    ) -> VectorMatrix | None:
        """The collection's vectors of ``dims`` dimensions (None: it has none), from the cache or read
        from table ``chunks``."""
        key = (project_id, collection_id, dims)
        cached = self._matrices.get(key)
        if cached is not None:
            self._matrices.move_to_end(key)
            return cached
        rows = connection.execute(
            "SELECT id, vector FROM chunks WHERE project_id = ? AND collection_id = ? AND dims = ?"
            " ORDER BY id",
            (project_id, collection_id, dims),
        ).fetchall()
        if not rows:
            return None
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(len(rows), dims)
        matrix = VectorMatrix(ids, vectors)
        if matrix.size <= self._max_bytes:
            self._matrices[key] = matrix
            while sum(entry.size for entry in self._matrices.values()) > self._max_bytes:
                self._matrices.popitem(last=False)
        return matrix

    def forget(self, project_id: str, collection_id: str) -> None:
        """Drop the collection's matrices (it was written)."""
        for key in [key for key in self._matrices if key[:2] == (project_id, collection_id)]:
            del self._matrices[key]

    def clear(self) -> None:
        self._matrices.clear()


def unit_query(query_vector: Sequence[float]) -> np.ndarray[Any, np.dtype[np.float32]] | None:
    """The query vector scaled to length 1; None when it is not a finite, non-zero vector."""
    query = np.asarray(query_vector, dtype=np.float32)
    norm = float(np.linalg.norm(query))
    if query.ndim != 1 or not query.size or not np.isfinite(norm) or norm == 0:
        return None
    return query / norm


def nearest(matrix: VectorMatrix, unit: np.ndarray[Any, np.dtype[np.float32]], limit: int) -> list[int]:
    """The row ids of the ``limit`` vectors most similar to ``unit``, best first (ties by row id)."""
    similarities = matrix.vectors @ unit
    count = min(limit, int(similarities.size))
    best = np.argpartition(-similarities, count - 1)[:count]
    order = sorted(best.tolist(), key=lambda i: (-float(similarities[i]), int(matrix.ids[i])))
    return [int(matrix.ids[i]) for i in order]


def pack_vectors(vectors: Sequence[Sequence[float]] | None, count: int) -> list[tuple[int, bytes]] | None:
    """Each vector normalised to length 1, as float32 bytes with its size; ValueError when the vectors
    do not fit the chunks (count, equal sizes, finite, not all zero)."""
    if vectors is None:
        return None
    if len(vectors) != count:
        raise ValueError(f"{len(vectors)} vectors for {count} chunks: one vector per chunk.")
    if not count:
        return []
    matrix = np.asarray([list(vector) for vector in vectors], dtype=np.float32)
    if matrix.ndim != 2 or not matrix.shape[1]:
        raise ValueError("The vectors must all have the same, non-zero number of dimensions.")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if not np.all(np.isfinite(matrix)) or np.any(norms == 0):
        raise ValueError("A vector is zero or not finite.")
    unit = (matrix / norms).astype(np.float32)
    dims = int(unit.shape[1])
    return [(dims, row.tobytes()) for row in unit]


def fuse_rankings(*rankings: Iterable[int]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each id scores the sum of ``1 / (RRF_K + rank)`` over the rankings it is
    in (rank from 1); best first, ties by the id's first ranking position, then the id."""
    scores: dict[int, float] = {}
    first_seen: dict[int, tuple[int, int]] = {}
    for which, ranking in enumerate(rankings):
        for rank, row_id in enumerate(ranking, start=1):
            scores[row_id] = scores.get(row_id, 0.0) + 1.0 / (RRF_K + rank)
            first_seen.setdefault(row_id, (rank, which))
    return sorted(scores.items(), key=lambda item: (-item[1], first_seen[item[0]], item[0]))
