"""The rules of ingesting a knowledge file, as plain functions (the orchestration is
``orchestrators/knowledge_ingestion.py``; each step is an activity in ``activities/knowledge.py``).

Steps: **prepare** (fetch the original, check for a duplicate by SHA-256, extract, chunk; the chunks
are kept as work blobs, one per batch), **embed** (one activity per ``EMBED_BATCH_CHUNKS`` chunks, when the
collection has an embedding model; each moves ``progress``), **index** (the document's chunks
replace whatever it had in the index; then ``ready``). Any step that cannot succeed marks the file
``failed`` with a reason a person can act on: the activities handle the failures they expect
(download, extraction, embedding) themselves; anything else is retried by the orchestration and then
reported as an internal error, never with its stack trace.

Progress: ``PREPARED_PROGRESS`` once the text is chunked, then up to ``INDEXED_PROGRESS - 1`` as
embedding batches finish, ``INDEXED_PROGRESS`` (100) when the file is searchable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime

from shared.concurrency import update_with_retry
from shared.knowledge.chunking import Chunk, split_sentences
from shared.knowledge.extraction.document import ExtractedDocument
from shared.knowledge.files import FileError, KnowledgeFileRecord, knowledge_files
from shared.platform import Platform
from shared.storage import NotFound, Stored

EMBED_BATCH_CHUNKS = 64
PREPARED_PROGRESS = 5
INDEXED_PROGRESS = 100
SUMMARY_CHARS = 300
DOWNLOAD_ATTEMPTS = 3
DOWNLOAD_BACKOFF_SECONDS = (1.0, 4.0)  # pauses between the attempts
INTERNAL_FAILURE = (
    "IngestionFailed",
    "The file could not be processed because of an internal error; upload it again, and contact "
    "support if it keeps failing.",
)


def embed_batches(chunk_count: int) -> int:
    return math.ceil(chunk_count / EMBED_BATCH_CHUNKS)


def batch_range(batch: int, chunk_count: int) -> range:
    start = batch * EMBED_BATCH_CHUNKS
    return range(start, min(start + EMBED_BATCH_CHUNKS, chunk_count))


def embedding_progress(batches_done: int, batches: int) -> int:
    """Between ``PREPARED_PROGRESS`` and ``INDEXED_PROGRESS`` (exclusive): indexing is the last step."""
    span = INDEXED_PROGRESS - 1 - PREPARED_PROGRESS
    return PREPARED_PROGRESS + (span * batches_done) // max(batches, 1)


def summary_of(document: ExtractedDocument) -> str | None:
    """The opening sentences of the text, up to about ``SUMMARY_CHARS``: the automatic summary."""
    sentences: list[str] = []
    length = 0
    for section in document.sections:
        for paragraph in section.paragraphs:
            for sentence in split_sentences(paragraph):
                if length and length + len(sentence) > SUMMARY_CHARS:
                    return " ".join(sentences)
                sentences.append(sentence)
                length += len(sentence) + 1
    text = " ".join(sentences)
    if not text:
        return None
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "\u2026"


def chunks_to_json(chunks: list[Chunk]) -> bytes:
    return json.dumps(
        [{"i": c.index, "t": c.text, "h": list(c.heading_path), "p": c.page} for c in chunks],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def chunks_from_json(data: bytes) -> list[Chunk]:
    return [Chunk(item["i"], item["t"], tuple(item["h"]), item["p"]) for item in json.loads(data)]


def update_file(
    platform: Platform,
    project_id: str,
    file_id: str,
    change: Callable[[KnowledgeFileRecord], KnowledgeFileRecord],
) -> Stored[KnowledgeFileRecord] | None:
    """Change the file's record (None when the file was deleted meanwhile)."""
    repository = knowledge_files(platform)
    try:
        return update_with_retry(
            repository,
            project_id,
            None,
            lambda: repository.get(project_id, file_id),
            lambda record: change(record).model_copy(update={"updated_at": datetime.now(UTC)}),
            "knowledge file",
        )
    except NotFound:
        return None


def failed(code: str, message: str) -> Callable[[KnowledgeFileRecord], KnowledgeFileRecord]:
    def change(record: KnowledgeFileRecord) -> KnowledgeFileRecord:
        return record.model_copy(update={"status": "failed", "error": FileError(code=code, message=message)})

    return change
