"""The plain rules of ingestion: batches, progress, the automatic summary, the chunks' work blob."""

from __future__ import annotations

from shared.knowledge.chunking import Chunk
from shared.knowledge.extraction import ExtractedDocument, Section
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
