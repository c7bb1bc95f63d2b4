"""Chunks follow the document's structure, stay within the target size and overlap."""

from __future__ import annotations

import itertools

import pytest

from shared.knowledge.chunking import Chunk, chunk, split_sentences
from shared.knowledge.extraction import extract
from shared.knowledge.extraction.document import ExtractedDocument, Section
from tests.knowledge.documents import HANDBOOK, make_pdf


def document(*sections: Section) -> ExtractedDocument:
    return ExtractedDocument(title="T", sections=list(sections), kind="text")


def sentences(count: int, start: int = 0) -> str:
    return " ".join(f"Sentence {n} tells a fact about kettles." for n in range(start, start + count))


def overlap_of(previous: str, following: str) -> str:
    """The longest end of ``previous`` that ``following`` starts with."""
    for size in range(min(len(previous), len(following)), 0, -1):
        if following.startswith(previous[-size:]):
            return previous[-size:]
    return ""


def test_small_sections_are_one_chunk_each_with_their_heading_path() -> None:
    chunks = chunk(extract(make_pdf(HANDBOOK), None, "h.pdf"))

    assert [c.heading_path for c in chunks] == [
        ("Shipping",),
        ("Shipping", "International customs"),
        ("Returns",),
        ("Warranty",),
    ]
    assert [c.index for c in chunks] == [0, 1, 2, 3]
    assert [c.page for c in chunks] == [1, 1, 2, 2]
    assert chunks[0].text == "\n\n".join(HANDBOOK[0].paragraphs)
    assert chunks[1].context_text == (
        "Shipping > International customs\n\n"
        "Customs duties are paid by the recipient when the parcel arrives."
    )


def test_paragraphs_are_packed_whole_up_to_the_target() -> None:
    paragraphs = [sentences(3, start=10 * n) for n in range(10)]  # about 120 characters each
    chunks = chunk(document(Section("H", 1, paragraphs)), target_chars=400, overlap_chars=0)

    assert all(len(c.text) <= 400 for c in chunks)
    assert len(chunks) == 4
    rebuilt = [p for c in chunks for p in c.text.split("\n\n")]
    assert rebuilt == paragraphs  # no paragraph was cut


def test_consecutive_chunks_of_a_section_overlap_by_whole_sentences() -> None:
    paragraph = sentences(60)
    chunks = chunk(document(Section("H", 1, [paragraph])), target_chars=400, overlap_chars=100)

    assert len(chunks) > 3
    for previous, following in itertools.pairwise(chunks):
        shared = overlap_of(previous.text, following.text)
        assert 0 < len(shared) <= 100
        assert split_sentences(shared) == split_sentences(previous.text)[-len(split_sentences(shared)) :]
    assert all(len(c.text) <= 400 for c in chunks)
    covered = set()
    for c in chunks:
        covered.update(split_sentences(c.text))
    assert covered == set(split_sentences(paragraph))  # nothing lost


def test_overlap_never_crosses_into_another_section() -> None:
    chunks = chunk(
        document(Section("A", 1, [sentences(20)]), Section("B", 1, ["B's only paragraph."])),
        target_chars=300,
        overlap_chars=80,
    )

    assert chunks[-1].heading_path == ("B",)
    assert chunks[-1].text == "B's only paragraph."


def test_paragraph_longer_than_the_target_is_cut_between_sentences() -> None:
    long_paragraph = sentences(30)
    chunks = chunk(document(Section(None, 0, ["Intro.", long_paragraph])), target_chars=300, overlap_chars=0)

    assert chunks[0].text.startswith("Intro.\n\nSentence 0")
    for c in chunks:
        assert len(c.text) <= 300
        assert c.text.rstrip().endswith(".")  # every cut is after a sentence


def test_sentence_longer_than_the_target_is_cut_between_words_and_a_run_without_spaces_at_the_target() -> (
    None
):
    words = " ".join(["word"] * 200)  # 999 characters, no sentence end
    run = "x" * 650
    chunks = chunk(document(Section(None, 0, [words, run])), target_chars=300, overlap_chars=50)

    assert all(len(c.text) <= 300 for c in chunks)
    assert all(not c.text.startswith(" ") and not c.text.endswith(" ") for c in chunks)
    assert "".join(c.text for c in chunks if set(c.text) == {"x"}) == run


def test_heading_path_follows_levels() -> None:
    chunks = chunk(
        document(
            Section(None, 0, ["Preamble."]),
            Section("Guide", 1, ["a"]),
            Section("Setup", 2, ["b"]),
            Section("Wiring", 3, ["c"]),
            Section("Use", 2, ["d"]),
            Section("Appendix", 1, ["e"]),
        )
    )

    assert [c.heading_path for c in chunks] == [
        (),
        ("Guide",),
        ("Guide", "Setup"),
        ("Guide", "Setup", "Wiring"),
        ("Guide", "Use"),
        ("Appendix",),
    ]
    assert chunks[0].context_text == "Preamble."


def test_chunking_is_deterministic() -> None:
    doc = document(Section("H", 1, [sentences(80), sentences(5)]))
    assert chunk(doc, 500, 120) == chunk(doc, 500, 120)


def test_cjk_text_is_cut_after_its_sentence_marks() -> None:
    paragraph = "".join(f"这是第{n}句话\uff0c说明水壶的保修。" for n in range(40))
    chunks = chunk(document(Section(None, 0, [paragraph])), target_chars=120, overlap_chars=30)

    assert all(len(c.text) <= 120 for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)


@pytest.mark.parametrize(("target", "overlap"), [(10, 0), (400, 200), (400, -1)])
def test_unreasonable_sizes_are_refused(target: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk(document(Section(None, 0, ["x"])), target, overlap)


def test_chunk_is_a_plain_value() -> None:
    assert Chunk(0, "t", ("a", "b"), 3).heading == "a > b"
