"""Markdown: ATX and setext headings, fenced code as one paragraph, links and images as their text."""

from __future__ import annotations

import re

from shared.knowledge.extraction.document import ExtractedDocument, SectionBuilder

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_OR_TABLE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)]|\|)\s")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _markdown_inline(text: str) -> str:
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _CODE_SPAN.sub(r"\1", text)
    return _HTML_TAG.sub(" ", text)


def extract_markdown(text: str) -> ExtractedDocument:
    builder = SectionBuilder()
    block: list[str] = []
    fence: str | None = None
    code: list[str] = []

    def flush() -> None:
        if not block:
            return
        keep_lines = any(_LIST_OR_TABLE.match(line) for line in block)
        joined = "\n".join(_markdown_inline(line) for line in block)
        builder.paragraph(joined, keep_lines=keep_lines)
        block.clear()

    lines = text.splitlines()
    for line in lines:
        if fence is not None:
            if line.strip().startswith(fence):
                builder.paragraph("\n".join(code), keep_lines=True)
                code.clear()
                fence = None
            else:
                code.append(line)
            continue
        opened = _FENCE.match(line)
        if opened:
            flush()
            fence = opened.group(1)[0] * 3
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            builder.heading(_markdown_inline(atx.group(2) or ""), len(atx.group(1)))
            continue
        setext = _SETEXT.match(line)
        if setext and len(block) == 1 and not _LIST_OR_TABLE.match(block[0]):
            heading = block.pop()
            builder.heading(_markdown_inline(heading), 1 if setext.group(1)[0] == "=" else 2)
            continue
        if setext and not block:  # a thematic break
            continue
        if not line.strip():
            flush()
            continue
        block.append(line)
    flush()
    if code:
        builder.paragraph("\n".join(code), keep_lines=True)
    # A top-level heading before any text is the title; otherwise the file name gives it.
    leading = next((section for section in builder.sections if section.heading or section.paragraphs), None)
    title = leading.heading if leading is not None and leading.level == 1 else None
    return ExtractedDocument(title=title, sections=builder.sections, kind="markdown")
