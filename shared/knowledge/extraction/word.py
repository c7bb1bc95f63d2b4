"""DOCX (``python-docx``): paragraphs and tables in order, ``Heading 1..9`` styles as sections."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

from shared.knowledge.extraction.document import ExtractedDocument, SectionBuilder, clean
from shared.knowledge.extraction.errors import DocumentError, DocumentTooLarge, UnreadableDocument
from shared.knowledge.extraction.formats import MAX_UNPACKED_BYTES

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def extract_docx(data: bytes) -> ExtractedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnreadableDocument("The Word document is damaged and could not be read.") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocumentTooLarge(
            f"The Word document unpacks to {unpacked} bytes; the limit is {MAX_UNPACKED_BYTES}.",
            size=unpacked,
            limit=MAX_UNPACKED_BYTES,
        )
    try:
        document = docx.Document(io.BytesIO(data))
        builder = SectionBuilder()
        title = clean(document.core_properties.title or "") or None
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                style = _style_name(block)
                heading = _HEADING_STYLE.match(style)
                if heading:
                    builder.heading(block.text, int(heading.group(1)))
                elif style.lower() == "title" and block.text.strip():
                    title = title or clean(block.text)
                else:
                    builder.paragraph(block.text)
            elif isinstance(block, Table):
                for row in block.rows:
                    cells = _unique_cells(clean(cell.text) for cell in row.cells)
                    builder.paragraph(" | ".join(cell for cell in cells if cell))
    except DocumentError:
        raise
    except Exception:  # python-docx surfaces damage as KeyError, lxml errors, ValueError...
        raise UnreadableDocument("The Word document is damaged and could not be read.") from None
    return ExtractedDocument(title=title, sections=builder.sections, kind="docx")


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
    except Exception:
        return ""
    return str(style.name or "") if style is not None else ""


def _unique_cells(cells: Iterable[str]) -> list[str]:
    """Row cells without the repeats python-docx yields for merged (spanning) cells."""
    unique: list[str] = []
    for cell in cells:
        if not unique or cell != unique[-1]:
            unique.append(cell)
    return unique
