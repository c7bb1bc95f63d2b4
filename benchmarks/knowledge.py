"""Knowledge ingestion and local retrieval speed, printed from one run.

- Ingestion: a generated 200-page PDF (fpdf2: headings as bookmarks, ~3 paragraphs a page) through
  extraction (pypdf), chunking (1,200 / 200 characters) and the local index (SQLite FTS5), without and
  with vectors (256 dimensions from a deterministic hashing embedder standing in for a provider, whose
  network time is not ours to measure): chunks per second for each step and end to end.
- Through the platform: the same PDF uploaded to a collection of the local stack (Azurite, devhost, the
  durable ingestion: prepare, embedding batches, index), from the upload to ``ready``: chunks per
  second and the ratio to the in-process end to end above; once with a text-only key, once with a
  zero-latency scripted embedding model (so the batches' durable steps show, not a provider's time).
- Queries: the local index holding 10,000 and then 100,000 chunks (Zipf-distributed synthetic words,
  ~1,000 characters a chunk, 50 chunks a document, in one collection, the worst case for a search;
  plus 10% as many in another project, which a search must skip), questions of 3-8 words: p50 and p95
  latency of ``search(top=5)``, lexical only and hybrid (with a query vector; the collection's vector
  matrix is loaded on the first hybrid search, timed apart).

Run: ``.venv/bin/python benchmarks/knowledge.py [PAGES] [SIZES...]`` (default 200 pages; 10000 100000).
"""

from __future__ import annotations

import hashlib
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import requests  # noqa: E402
from fpdf import FPDF  # noqa: E402

from benchmarks.local_stack import Key, create_project_key, local_stack  # noqa: E402
from shared.knowledge.chunking import Chunk, chunk  # noqa: E402
from shared.knowledge.extraction import extract  # noqa: E402
from shared.knowledge.local_index import LocalIndex  # noqa: E402
from tests.fakes.scripted_openai import ScriptedOpenAI  # noqa: E402

DIMENSIONS = 256
QUERIES = 300
CHUNKS_PER_DOCUMENT = 50


class HashingEmbedder:
    """Deterministic bag-of-words vectors (each word's hash picks a dimension and a sign)."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            vector = [0.0] * DIMENSIONS
            for word in text.lower().split():
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                value = int.from_bytes(digest, "big")
                vector[value % DIMENSIONS] += 1.0 if value & 0x80000000 else -1.0
            if not any(vector):
                vector[0] = 1.0
            vectors.append(vector)
        return vectors


def vocabulary(size: int, rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "qu", "der", "lin", "gor", "ben"]
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Corpus:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(20_000, self.rng)
        weights = [1.0 / (rank + 1) for rank in range(len(self.words))]
        self.cumulative = list(_accumulate(weights))

    def sample(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def sentence(self) -> str:
        words = self.sample(self.rng.randint(8, 18))
        return " ".join(words).capitalize() + "."

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))


def _accumulate(values: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


# ------------------------------------------------------------------------------------------ ingestion


def make_pdf(pages: int, corpus: Corpus) -> bytes:
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    for page in range(pages):
        pdf.add_page()
        if page % 4 == 0:
            pdf.set_font("Helvetica", "B", 15)
            heading = f"Chapter {page // 4 + 1}"
            pdf.start_section(heading, level=0)
            pdf.cell(text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for _ in range(3):
            pdf.multi_cell(0, 5, corpus.paragraph(6), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def ingestion(pages: int, directory: Path) -> float:
    corpus = Corpus(seed=1)
    data = make_pdf(pages, corpus)
    started = time.perf_counter()
    document = extract(data, "application/pdf", "generated.pdf")
    extracted = time.perf_counter()
    chunks = chunk(document)
    chunked = time.perf_counter()
    count = len(chunks)
    print(
        f"Ingestion: a {document.pages}-page PDF ({len(data) / 1e6:.1f} MB,"
        f" {document.char_count:,} characters) -> {count:,} chunks"
    )
    print(f"  extract  {extracted - started:7.2f} s  {count / (extracted - started):9,.0f} chunks/s")
    print(f"  chunk    {chunked - extracted:7.2f} s  {count / (chunked - extracted):9,.0f} chunks/s")
    with LocalIndex(directory / "ingest.sqlite3") as index:
        before = time.perf_counter()
        index.upsert_chunks("p1", "kb1", "doc1", document.title or "", chunks, None)
        indexed = time.perf_counter() - before
        print(f"  index    {indexed:7.2f} s  {count / indexed:9,.0f} chunks/s  (text only)")
        embedder = HashingEmbedder()
        before = time.perf_counter()
        vectors = embedder.embed([item.context_text for item in chunks])
        index.upsert_chunks("p1", "kb1", "doc2", document.title or "", chunks, vectors)
        with_vectors = time.perf_counter() - before
        print(
            f"  index    {with_vectors:7.2f} s  {count / with_vectors:9,.0f} chunks/s"
            f"  (with {DIMENSIONS}-dimension vectors, stand-in embedder included)"
        )
    total = (extracted - started) + (chunked - extracted) + indexed
    print(f"  end to end (extract + chunk + index, text only): {count / total:,.0f} chunks/s")
    through_the_platform(data, count / total, directory)
    return count / total


def through_the_platform(data: bytes, in_process_rate: float, directory: Path) -> None:
    with ScriptedOpenAI() as model, local_stack(directory / "stack") as host:
        text_only = create_project_key(host, {"type": "hosted"})
        embedding = create_project_key(
            host,
            {"type": "openai-compatible", "baseUrl": model.base_url, "model": "m", "embeddingModel": "e"},
        )
        for label, key in (("text only", text_only), ("with embeddings", embedding)):
            seconds, chunks = _upload_until_ready(host, key, data)
            print(
                f"  through the platform ({label}): {seconds:.2f} s upload to ready, "
                f"{chunks / seconds:,.0f} chunks/s, {in_process_rate / (chunks / seconds):.1f}x "
                "the in-process end to end"
            )


def _upload_until_ready(host: Any, key: Key, data: bytes) -> tuple[float, int]:
    collection = requests.post(
        host.url("/public/knowledge-bases"), json={"name": "Bench"}, headers=key.headers, timeout=30
    ).json()["id"]
    started = time.perf_counter()
    file = requests.post(
        host.url(f"/public/knowledge-bases/{collection}/files"),
        files={"file": ("generated.pdf", data, "application/pdf")},
        headers=key.headers,
        timeout=60,
    ).json()
    while file["status"] not in ("ready", "failed"):
        time.sleep(0.05)
        file = requests.get(
            host.url(f"/public/knowledge-bases/{collection}/files/{file['id']}"),
            headers=key.headers,
            timeout=30,
        ).json()
    if file["status"] != "ready":
        raise RuntimeError(f"ingestion failed: {file['error']}")
    return time.perf_counter() - started, int(file["chunkCount"])


# ------------------------------------------------------------------------------------------ queries


def fill(index: LocalIndex, size: int, corpus: Corpus, embedder: HashingEmbedder) -> float:
    started = time.perf_counter()
    for project, collection, count in (("p1", "kb1", size), ("p2", "kb1", size // 10)):
        for document in range(math.ceil(count / CHUNKS_PER_DOCUMENT)):
            chunks = [
                Chunk(n, corpus.paragraph(8), (f"Section {document}",))
                for n in range(min(CHUNKS_PER_DOCUMENT, count - document * CHUNKS_PER_DOCUMENT))
            ]
            vectors = embedder.embed([item.context_text for item in chunks])
            index.upsert_chunks(
                project, collection, f"doc{document}", f"Document {document}", chunks, vectors
            )
    return time.perf_counter() - started


def queries(size: int, directory: Path) -> None:
    corpus = Corpus(seed=size)
    embedder = HashingEmbedder()
    with LocalIndex(directory / f"query-{size}.sqlite3") as index:
        seconds = fill(index, size, corpus, embedder)
        chunks = index.count("p1", "kb1")
        print(
            f"Queries over {chunks:,} chunks (filled in {seconds:.1f} s, {chunks / seconds:,.0f} chunks/s):"
        )
        questions = [" ".join(corpus.sample(corpus.rng.randint(3, 8))) for _ in range(QUERIES)]
        vectors = embedder.embed(questions)
        for question in questions[:10]:  # warm the page cache
            index.search("p1", "kb1", question, 5)
        lexical = []
        for question in questions:
            started = time.perf_counter()
            index.search("p1", "kb1", question, 5)
            lexical.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.search("p1", "kb1", questions[0], 5, vectors[0])
        load = (time.perf_counter() - started) * 1000
        hybrid = []
        for question, vector in zip(questions, vectors, strict=True):
            started = time.perf_counter()
            index.search("p1", "kb1", question, 5, vector)
            hybrid.append((time.perf_counter() - started) * 1000)
        print(f"  lexical (BM25)       {latency(lexical)}")
        print(
            f"  hybrid (BM25 + {DIMENSIONS}d) {latency(hybrid)}   (first, loading the vectors: {load:.0f} ms)"
        )


def latency(milliseconds: Sequence[float]) -> str:
    p50, p95 = statistics.median(milliseconds), percentile(milliseconds, 0.95)
    return f"p50 {p50:7.2f} ms   p95 {p95:7.2f} ms"


def main() -> None:
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sizes = [int(value) for value in sys.argv[2:]] or [10_000, 100_000]
    with tempfile.TemporaryDirectory(prefix="knowledge-bench-") as directory:
        ingestion(pages, Path(directory))
        for size in sizes:
            queries(size, Path(directory))


if __name__ == "__main__":
    main()
