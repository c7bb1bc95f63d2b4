"""PDF (``pypdf``): layout-mode text per page, paragraphs at vertical gaps, headings from the outline."""

from __future__ import annotations

import io
import re
from typing import Any

from shared.knowledge.extraction.document import ExtractedDocument, SectionBuilder, clean
from shared.knowledge.extraction.errors import UnreadableDocument

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_HYPHENATED = re.compile(r"(\w)-\n(?=[a-z])")
_SENTENCE_END = (".", "!", "?", ":", ";", "\u3002", "\uff01", "\uff1f")


def extract_pdf(data: bytes) -> ExtractedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("The PDF is encrypted with a password; upload it without one.")
        page_count = len(reader.pages)
        headings = _pdf_outline(reader)
        builder = SectionBuilder()
        for number, page in enumerate(reader.pages, start=1):
            _pdf_page(builder, _page_text(page), number, headings.get(number - 1, []))
        title = _pdf_title(reader)
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError):
        raise UnreadableDocument("The PDF is damaged or truncated and could not be read.") from None
    except Exception as error:  # pypdf raises NotImplementedError for unsupported encryption
        if type(error).__module__.startswith("pypdf") or isinstance(error, NotImplementedError):
            raise UnreadableDocument(
                "The PDF could not be read (unsupported encryption or structure)."
            ) from None
        raise
    return ExtractedDocument(title=title, sections=builder.sections, kind="pdf", pages=page_count)


def _page_text(page: Any) -> str:
    try:
        text = page.extract_text(extraction_mode="layout")
    except Exception:  # layout mode is stricter; the plain mode still reads most pages
        text = page.extract_text()
    return str(text or "")


def _pdf_title(reader: Any) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:
        return None
    return clean(str(title)) if title and clean(str(title)) else None


def _pdf_outline(reader: Any) -> dict[int, list[tuple[str, int]]]:
    """Outline entries (bookmarks) by 0-based page index: (title, level), in outline order."""
    found: dict[int, list[tuple[str, int]]] = {}

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
                title = clean(str(item.title))
            except Exception:
                continue
            if page is not None and page >= 0 and title:
                found.setdefault(page, []).append((title, level))

    try:
        walk(list(reader.outline), 1)
    except Exception:
        return {}
    return found


def _pdf_page(builder: SectionBuilder, text: str, number: int, headings: list[tuple[str, int]]) -> None:
    """A page's paragraphs (blank lines split them; a short line ending a sentence ends one too),
    with the outline's headings found on their own line starting new sections."""
    pending = list(headings)
    block: list[str] = []

    def flush() -> None:
        for paragraph in _pdf_paragraphs(block):
            builder.paragraph(paragraph, number)
        block.clear()

    for raw_line in text.splitlines():
        line = _SPACES.sub(" ", raw_line).strip()
        if not line:
            flush()
            continue
        match = next((i for i, (title, _) in enumerate(pending) if _same_text(title, line)), None)
        if match is not None:
            flush()
            for title, level in pending[: match + 1]:  # entries on this page not found as lines
                builder.heading(title, level)
            del pending[: match + 1]
            continue
        block.append(line)
    flush()
    for title, level in pending:  # outline entries whose line was not found: the page's end
        builder.heading(title, level)


def _pdf_paragraphs(lines: list[str]) -> list[str]:
    if not lines:
        return []
    widest = max(len(line) for line in lines)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        current.append(line)
        if line.endswith(_SENTENCE_END) and len(line) < widest * 0.7:
            paragraphs.append(_join_lines(current))
            current = []
    if current:
        paragraphs.append(_join_lines(current))
    return paragraphs


def _join_lines(lines: list[str]) -> str:
    return _HYPHENATED.sub(r"\1", "\n".join(lines)).replace("\n", " ")


def _same_text(a: str, b: str) -> bool:
    return clean(a).casefold() == clean(b).casefold()
