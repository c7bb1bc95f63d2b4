"""The plain rules of ingestion: batches, progress, the automatic summary, the chunks' work blob."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.knowledge.chunking import Chunk
from shared.knowledge.extraction.document import ExtractedDocument, Section
from shared.knowledge.files import KnowledgeFileRecord, duplicate_of
from shared.knowledge.ingestion import (
    EMBED_BATCH_CHUNKS,
    INDEXED_PROGRESS,
    PREPARED_PROGRESS,
    SUMMARY_CHARS,
    batch_range,
    chunks_from_json,
    chunks_to_json,
    embed_batches,
    embedding_progress,
    summary_of,
)


def test_batches_cover_every_chunk_once():
    count = EMBED_BATCH_CHUNKS * 2 + 5
    assert embed_batches(count) == 3 and embed_batches(0) == 0
    covered = [i for batch in range(embed_batches(count)) for i in batch_range(batch, count)]
    assert covered == list(range(count))


def test_progress_moves_between_prepared_and_indexed_without_reaching_it():
    values = [embedding_progress(done, 7) for done in range(8)]
    assert values[0] == PREPARED_PROGRESS and values == sorted(values)
    assert len(set(values)) == 8 and values[-1] < INDEXED_PROGRESS


def test_the_summary_is_the_opening_sentences_within_the_limit():
    document = ExtractedDocument(
        title="T",
        sections=[Section("Intro", 1, ["First sentence here. Second one follows.", "x " * 400])],
        kind="text",
    )
    summary = summary_of(document)
    assert summary == "First sentence here. Second one follows."
    long = ExtractedDocument(title=None, sections=[Section(None, 0, ["word " * 200])], kind="text")
    cut = summary_of(long)
    assert cut is not None and len(cut) <= SUMMARY_CHARS and cut.endswith("\u2026")


def test_chunks_survive_their_work_blob():
    chunks = [Chunk(0, "Text é", ("A", "B"), 3), Chunk(1, "More", (), None)]
    assert chunks_from_json(chunks_to_json(chunks)) == chunks


def _file(file_id: str, second: int, sha256: str = "abc", status: str = "ready") -> KnowledgeFileRecord:
    at = datetime(2026, 3, 10, 12, 0, second, tzinfo=UTC)
    return KnowledgeFileRecord(
        id=file_id,
        original_name=f"{file_id}.md",
        content_type="text/markdown",
        created_at=at,
        updated_at=at,
        knowledge_base_id="kb_1",
        status=status,
        progress=0,
        sha256=sha256,
    )


def test_of_two_copies_that_raced_the_later_is_the_duplicate():
    first, second = _file("file_a", 1, status="queued"), _file("file_b", 2, status="queued")
    files = [first, second]
    assert duplicate_of(files, "abc", before=second) == first
    assert duplicate_of(files, "abc", before=first) is None  # the first one stays
    assert duplicate_of(files, "abc") == first  # an upload compares with every file
    assert duplicate_of([_file("file_c", 0, status="failed"), second], "abc", before=second) is None
    assert duplicate_of(files, "other") is None
