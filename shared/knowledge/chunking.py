"""An extracted document cut into chunks for retrieval: by its structure, deterministic, no I/O.

- A chunk never crosses a section: its ``heading_path`` (the headings above it, outermost first) says
  where it comes from, and ``context_text`` puts that path in front of the text for indexing and
  embedding ("Returns > Damaged items" makes a chunk findable by its section's name).
- A section's paragraphs are packed whole up to ``target_chars``. A paragraph longer than the target
  alone is cut between sentences (a sentence longer than the target, between words; a run without
  spaces, at the target).
- Consecutive chunks of a section overlap: the next one starts with the last sentences (at most
  ``overlap_chars``; when one sentence is longer, its last words) of the previous one, so a fact cut by a
  chunk border is whole in one of them.
- No chunk's text is longer than ``target_chars``: the overlap gives way first (it is left out when
  less than half of it would fit).
- ``page`` is the page (PDF, 1-based) where the chunk's text starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.knowledge.extraction.document import ExtractedDocument

DEFAULT_TARGET_CHARS = 1200
DEFAULT_OVERLAP_CHARS = 200
HEADING_SEPARATOR = " > "

_SENTENCE_BREAK = re.compile(r"(?<=[.!?\u2026])[\"')\]\u201d\u2019]*\s+|(?<=[\u3002\uff01\uff1f])\s*")


@dataclass(frozen=True)
class Chunk:
    index: int  # 0-based, in document order
    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)

    @property
    def context_text(self) -> str:
        """The text with its heading path in front: what is embedded."""
        return f"{self.heading}\n\n{self.text}" if self.heading_path else self.text


@dataclass(frozen=True)
class _Piece:
    text: str
    page: int | None
    continues: bool  # the rest of the previous piece's paragraph: joined with a space, not a break


def chunk(
    document: ExtractedDocument,
    target_chars: int = DEFAULT_TARGET_CHARS,
    overlap_chars: int = DEFAULT_OVERLAP_CHARS,
) -> list[Chunk]:
    """The document's chunks, in order (see the module's docstring for the rules)."""
    if target_chars < 50:
        raise ValueError("target_chars must be at least 50")
    if not 0 <= overlap_chars < target_chars // 2:
        raise ValueError("overlap_chars must be at least 0 and less than half of target_chars")
    chunks: list[Chunk] = []
    path: list[tuple[int, str]] = []  # (level, heading)
    for section in document.sections:
        if section.heading:
            while path and path[-1][0] >= section.level:
                path.pop()
            path.append((section.level, section.heading))
        pages: list[int | None] = [*section.pages] if section.pages else [None for _ in section.paragraphs]
        pieces = [
            piece
            for paragraph, page in zip(section.paragraphs, pages, strict=False)
            for piece in _pieces(paragraph, page, target_chars)
        ]
        heading_path = tuple(heading for _, heading in path)
        for text, page in _pack(pieces, target_chars, overlap_chars):
            chunks.append(Chunk(len(chunks), text, heading_path, page))
    return chunks


def split_sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE_BREAK.split(text) if sentence and sentence.strip()]


def _pieces(paragraph: str, page: int | None, limit: int) -> list[_Piece]:
    """The paragraph whole when it fits, else its sentences (long ones cut between words)."""
    if len(paragraph) <= limit:
        return [_Piece(paragraph, page, False)]
    parts = [part for sentence in split_sentences(paragraph) for part in _split_long(sentence.strip(), limit)]
    return [_Piece(text, page, index > 0) for index, text in enumerate(parts)]


def _split_long(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at spaces where there are any."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def _join(pieces: list[_Piece]) -> str:
    text = ""
    for piece in pieces:
        if text:
            text += " " if piece.continues else "\n\n"
        text += piece.text
    return text


def _pack(pieces: list[_Piece], target: int, overlap: int) -> list[tuple[str, int | None]]:
    """Chunks (text, page) of one section's pieces, each at most ``target`` characters, each after the
    first starting with the overlap taken from the end of the one before."""
    chunks: list[tuple[str, int | None]] = []
    position = 0
    carried: _Piece | None = None
    while position < len(pieces):
        current: list[_Piece] = []
        first = pieces[position]
        if carried is not None:
            room = min(overlap, target - len(first.text) - 2)
            tail = _tail(carried.text, room) if room >= overlap // 2 else ""  # no scraps
            if tail:
                current.append(_Piece(tail, carried.page, False))
        current.append(first)
        position += 1
        length = len(_join(current))
        while position < len(pieces):
            following = pieces[position]
            grown = length + (1 if following.continues else 2) + len(following.text)
            if grown > target:
                break
            current.append(following)
            length = grown
            position += 1
        text = _join(current)
        chunks.append((text, current[0].page))
        carried = _Piece(text, current[-1].page, False)
    return chunks


def _tail(text: str, limit: int) -> str:
    """The end of ``text`` to repeat at the start of the next chunk: whole trailing sentences of at most
    ``limit`` characters, else the last words that fit ("" when not even a word fits)."""
    if limit <= 0:
        return ""
    last_paragraph = text.rsplit("\n\n", 1)[-1]
    sentences = split_sentences(last_paragraph)
    tail = ""
    for sentence in reversed(sentences):
        candidate = f"{sentence.strip()} {tail}".strip()
        if len(candidate) > limit:
            break
        tail = candidate
    if tail:
        return tail
    words = last_paragraph.split()
    for index in range(len(words)):
        candidate = " ".join(words[index:])
        if len(candidate) <= limit:
            return candidate
    return ""
