"""What extraction answers (a title and sections of paragraphs) and the builder every format fills."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.knowledge.extraction.formats import DocumentKind


@dataclass
class Section:
    """A heading (None before the first one) at ``level`` (1 = top; 0 = no heading) and its paragraphs.
    ``pages`` (PDF only) gives each paragraph's page number, 1-based."""

    heading: str | None
    level: int
    paragraphs: list[str] = field(default_factory=list)
    pages: list[int] | None = None


@dataclass
class ExtractedDocument:
    title: str | None
    sections: list[Section]
    kind: DocumentKind
    pages: int | None = None  # page count (PDF)

    @property
    def char_count(self) -> int:
        return sum(len(paragraph) for section in self.sections for paragraph in section.paragraphs)


def clean(text: str) -> str:
    """One line of text: NFC, control characters dropped, runs of whitespace as one space."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch >= " " or ch in "\t\n" else " " for ch in text)
    return " ".join(text.split())


def first_heading(sections: Iterable[Section]) -> str | None:
    return next((section.heading for section in sections if section.heading), None)


class SectionBuilder:
    """Sections in document order, built a heading and a paragraph at a time."""

    def __init__(self) -> None:
        self.sections: list[Section] = [Section(None, 0)]
        self.paragraph_pages = False

    def heading(self, text: str, level: int) -> None:
        text = clean(text)
        if text:
            self.sections.append(Section(text, max(1, min(level, 9))))

    def paragraph(self, text: str, page: int | None = None, *, keep_lines: bool = False) -> None:
        if keep_lines:
            lines = [clean(line) for line in text.splitlines()]
            text = "\n".join(line for line in lines if line)
        else:
            text = clean(text)
        if not text:
            return
        section = self.sections[-1]
        section.paragraphs.append(text)
        if page is not None:
            if section.pages is None:
                section.pages = []
            section.pages.append(page)
