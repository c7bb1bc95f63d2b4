"""The embedded index finds the right chunk, never crosses projects or collections, forgets what is
deleted, and lets vectors change the ranking."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from shared.knowledge.chunking import Chunk, chunk
from shared.knowledge.extraction import extract
from shared.knowledge.index import MAX_TOP, KnowledgeIndex, passages
from shared.knowledge.local_index import LocalIndex, local_index_path, query_terms
from tests.knowledge.documents import HANDBOOK, make_docx, make_pdf


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LocalIndex]:
    with LocalIndex(local_index_path(tmp_path / "data")) as opened:
        yield opened


def handbook_chunks() -> list[Chunk]:
    return chunk(extract(make_pdf(HANDBOOK), None, "handbook.pdf"))


def test_local_index_is_a_knowledge_index(index: LocalIndex) -> None:
    assert isinstance(index, KnowledgeIndex)
    assert index.path.name == "knowledge-index.sqlite3"


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("How long does delivery to Canada take?", ("Shipping",)),
        ("Who pays customs duties?", ("Shipping", "International customs")),
        ("Can I get my money back?", ("Returns",)),
        ("my item arrived damaged", ("Returns",)),
        ("Is the heating element covered?", ("Warranty",)),
    ],
)
def test_search_finds_the_chunk_that_answers_the_question(
    index: LocalIndex, question: str, heading: tuple[str, ...]
) -> None:
    index.upsert_chunks("p1", "kb1", "doc1", "Store handbook", handbook_chunks(), None)

    hits = index.search("p1", "kb1", question, top=3)

    assert hits
    assert hits[0].heading_path == heading
    assert hits[0].document_id == "doc1"
    assert hits[0].title == "Store handbook"
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_hits_carry_page_and_become_passages(index: LocalIndex) -> None:
    index.upsert_chunks("p1", "kb1", "doc1", "Store handbook", handbook_chunks(), None)

    hit = index.search("p1", "kb1", "warranty kettle heating element", top=1)[0]

    assert hit.page == 2
    (passage,) = passages([hit])
    assert passage.document_id == "doc1"
    assert passage.chunk == hit.chunk_index
    assert passage.text.startswith("Warranty\n\nEvery kettle")


def test_search_never_crosses_projects_or_collections(index: LocalIndex) -> None:
    for project, collection in [("p1", "kb1"), ("p1", "kb2"), ("p2", "kb1")]:
        text = f"Opening hours of {project} {collection}: the shop opens at nine."
        index.upsert_chunks(project, collection, "doc", f"{project}/{collection}", [Chunk(0, text)], None)

    for project, collection in [("p1", "kb1"), ("p1", "kb2"), ("p2", "kb1")]:
        hits = index.search(project, collection, "When does the shop open?", top=10)
        assert [hit.title for hit in hits] == [f"{project}/{collection}"]
    assert index.search("p3", "kb1", "When does the shop open?", top=10) == []


def test_ids_that_look_alike_stay_apart(index: LocalIndex) -> None:
    index.upsert_chunks("p1", "kb1x", "doc", "A", [Chunk(0, "kettle")], None)
    index.upsert_chunks("p1k", "b1x", "doc", "B", [Chunk(0, "kettle")], None)

    assert [hit.title for hit in index.search("p1", "kb1x", "kettle", 5)] == ["A"]
    assert [hit.title for hit in index.search("p1k", "b1x", "kettle", 5)] == ["B"]


def test_upsert_replaces_all_chunks_of_the_document(index: LocalIndex) -> None:
    index.upsert_chunks("p1", "kb1", "doc", "v1", [Chunk(0, "old kettle"), Chunk(1, "old toaster")], None)
    index.upsert_chunks("p1", "kb1", "doc", "v2", [Chunk(0, "new kettle")], None)

    assert index.count("p1", "kb1", "doc") == 1
    assert index.search("p1", "kb1", "toaster", 5) == []
    assert [hit.text for hit in index.search("p1", "kb1", "kettle", 5)] == ["new kettle"]


def test_deleting_a_document_removes_its_rows_and_after_compaction_its_words(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite3"
    with LocalIndex(path) as index:
        index.upsert_chunks("p1", "kb1", "gone", "G", [Chunk(0, "the zanzibarian teapot secret")], None)
        index.upsert_chunks("p1", "kb1", "kept", "K", [Chunk(0, "a kettle that stays")], None)

        index.delete_document("p1", "kb1", "gone")

        assert index.search("p1", "kb1", "zanzibarian teapot", 5) == []
        assert index.count("p1", "kb1") == 1
        index.compact()
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == 1
        assert connection.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0] == 1
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"zanzibar" not in raw
    assert b"teapot" not in raw


def test_deleting_a_collection_leaves_the_others(index: LocalIndex) -> None:
    index.upsert_chunks("p1", "kb1", "d1", "A", [Chunk(0, "kettle one"), Chunk(1, "kettle two")], None)
    index.upsert_chunks("p1", "kb1", "d2", "B", [Chunk(0, "kettle three")], None)
    index.upsert_chunks("p1", "kb2", "d1", "C", [Chunk(0, "kettle four")], None)
    index.upsert_chunks("p2", "kb1", "d1", "D", [Chunk(0, "kettle five")], None)

    index.delete_collection("p1", "kb1")

    assert index.count("p1", "kb1") == 0
    assert index.search("p1", "kb1", "kettle", 10) == []
    assert [hit.title for hit in index.search("p1", "kb2", "kettle", 10)] == ["C"]
    assert [hit.title for hit in index.search("p2", "kb1", "kettle", 10)] == ["D"]


def test_index_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite3"
    with LocalIndex(path) as index:
        index.upsert_chunks("p1", "kb1", "d", "T", [Chunk(0, "descaling the kettle")], [[1.0, 0.0]])
    with LocalIndex(path) as index:
        assert [hit.text for hit in index.search("p1", "kb1", "descale", 1, [1.0, 0.0])] == [
            "descaling the kettle"
        ]


def test_top_is_bounded_and_queries_without_words_find_nothing(index: LocalIndex) -> None:
    chunks = [Chunk(n, f"kettle model {n}") for n in range(MAX_TOP + 10)]
    index.upsert_chunks("p1", "kb1", "d", "T", chunks, None)

    assert len(index.search("p1", "kb1", "kettle", top=1000)) == MAX_TOP
    assert index.search("p1", "kb1", "the and of ?!", top=5) == []
    assert query_terms('what "is" OR NOT') == []  # query syntax is never passed through
    with pytest.raises(ValueError):
        index.search("p1", "kb1", "kettle", top=0)


def test_cjk_text_is_searchable(index: LocalIndex) -> None:
    index.upsert_chunks(
        "p1", "kb1", "d", "T", [Chunk(0, "水壶的保修期为两年。"), Chunk(1, "运费为十元。")], None
    )

    assert [hit.chunk_index for hit in index.search("p1", "kb1", "保修多久\uff1f", 2)] == [0]


# ------------------------------------------------------------------------------------------ vectors

CONCEPTS = {
    "colour": ("red", "blue", "green", "colour"),
    "kettle": ("kettle", "kettles"),
    "descale": ("descale", "limescale", "vinegar"),
}


class ConceptEmbedder:
    """A tiny deterministic embedder: one dimension per concept, counting its words."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            words = text.lower().replace(".", " ").replace(",", " ").replace("?", " ").split()
            vectors.append([0.01 + sum(word in group for word in words) for group in CONCEPTS.values()])
        return vectors


DESCALING = [
    Chunk(0, "Kettles, kettles, kettles: our kettle colour range is red, blue and green."),
    Chunk(1, "Remove limescale from the kettle with vinegar."),
    Chunk(2, "Limescale builds up; vinegar removes limescale."),
]


def test_vectors_change_the_ranking(index: LocalIndex) -> None:
    embedder = ConceptEmbedder()
    index.upsert_chunks("p1", "kb1", "d", "Care", DESCALING, embedder.embed([c.text for c in DESCALING]))
    question = "How do I descale my kettle?"

    lexical = [hit.chunk_index for hit in index.search("p1", "kb1", question, top=3)]
    (query_vector,) = embedder.embed([question])
    hybrid = [
        hit.chunk_index for hit in index.search("p1", "kb1", question, top=3, query_vector=query_vector)
    ]

    assert lexical == [0, 1]  # by words: the chunk that says "kettle" most
    assert hybrid == [1, 0, 2]  # by words and meaning: the one about descaling a kettle; and one
    # that shares no word with the question at all


def test_vectors_of_another_size_are_ignored_and_mismatched_vectors_refused(index: LocalIndex) -> None:
    embedder = ConceptEmbedder()
    index.upsert_chunks("p1", "kb1", "d", "Care", DESCALING, embedder.embed([c.text for c in DESCALING]))

    assert index.search("p1", "kb1", "kettle", 3, query_vector=[1.0, 0.0]) == index.search(
        "p1", "kb1", "kettle", 3
    )
    assert index.search("p1", "kb1", "kettle", 3, query_vector=[0.0, 0.0, 0.0]) == index.search(
        "p1", "kb1", "kettle", 3
    )
    with pytest.raises(ValueError, match="one vector per chunk"):
        index.upsert_chunks("p1", "kb1", "d", "Care", DESCALING, [[1.0, 0.0]])
    with pytest.raises(ValueError):
        index.upsert_chunks("p1", "kb1", "d", "Care", DESCALING[:2], [[1.0, 0.0], [1.0]])
    with pytest.raises(ValueError):
        index.upsert_chunks("p1", "kb1", "d", "Care", DESCALING[:1], [[0.0, 0.0]])
    assert index.count("p1", "kb1") == 3  # a refused write changed nothing


def test_vector_cache_follows_writes(index: LocalIndex) -> None:
    index.upsert_chunks("p1", "kb1", "d", "T", [Chunk(0, "alpha")], [[1.0, 0.0]])
    assert [hit.text for hit in index.search("p1", "kb1", "zzz", 5, [0.0, 1.0])] == ["alpha"]

    index.upsert_chunks("p1", "kb1", "e", "T", [Chunk(0, "beta")], [[0.0, 1.0]])
    assert [hit.text for hit in index.search("p1", "kb1", "zzz", 5, [0.0, 1.0])] == ["beta", "alpha"]

    index.delete_document("p1", "kb1", "e")
    assert [hit.text for hit in index.search("p1", "kb1", "zzz", 5, [0.0, 1.0])] == ["alpha"]


def test_one_index_serves_many_threads(index: LocalIndex) -> None:
    errors: list[BaseException] = []
    documents = [make_docx(HANDBOOK)]
    chunks = chunk(extract(documents[0], None, "h.docx"))

    def work(worker: int) -> None:
        try:
            for round_number in range(20):
                index.upsert_chunks("p1", "kb1", f"doc{worker}", "Handbook", chunks, None)
                assert index.search("p1", "kb1", "refund", 3)
                if round_number % 5 == 4:
                    index.delete_document("p1", "kb1", f"doc{worker}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert index.count("p1", "kb1") == 0


def test_what_other_projects_hold_never_changes_what_a_collection_finds(index: LocalIndex) -> None:
    other = [Chunk(n, f"kettle review number {n}") for n in range(20)] + [Chunk(20, "zanzibar kettle")]
    index.upsert_chunks("p2", "kb1", "reviews", "Reviews", other, None)  # "kettle" is in most rows
    index.upsert_chunks("p1", "kb1", "doc", "Ours", [Chunk(0, "our kettle warranty")], None)

    hits = index.search("p1", "kb1", "zanzibar kettle", top=5)  # "zanzibar" is rare, but not ours

    assert [hit.text for hit in hits] == ["our kettle warranty"]


def test_common_words_do_not_change_the_order_of_what_rarer_words_find(index: LocalIndex) -> None:
    chunks = [Chunk(n, f"kettle {'descaling ' * (n % 3)}model {n}") for n in range(40)]
    index.upsert_chunks("p1", "kb1", "d", "T", chunks, None)

    hits = index.search("p1", "kb1", "descaling kettle", top=50)

    assert len(hits) == 40  # those only "kettle" finds come after
    descaling = [hit for hit in hits if "descaling" in hit.text]
    assert hits[: len(descaling)] == descaling
    assert [hit.text.count("descaling") for hit in descaling] == sorted(
        (hit.text.count("descaling") for hit in descaling), reverse=True
    )
