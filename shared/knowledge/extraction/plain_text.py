"""Plain text: blank lines separate the paragraphs."""

from __future__ import annotations

import re

from shared.knowledge.extraction.document import ExtractedDocument, SectionBuilder

_BLANK_LINES = re.compile(r"\n\s*\n")


def extract_plain_text(text: str) -> ExtractedDocument:
    builder = SectionBuilder()
    for block in _BLANK_LINES.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        builder.paragraph(block)
    return ExtractedDocument(title=None, sections=builder.sections, kind="text")
