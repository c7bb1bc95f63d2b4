"""Text and structure out of an uploaded knowledge file: plain functions over bytes, no I/O.

``extract(data, content_type, filename)`` answers an ``ExtractedDocument``: a title and sections (a
heading, its level, its paragraphs), page numbers for PDFs.

- **The type comes from the content first**: ``%PDF-`` is a PDF, a zip holding ``word/document.xml`` a
  DOCX, text that opens with an HTML tag (the WHATWG sniffing list) is HTML. Known binary formats and
  other zips are refused (415) whatever the request claimed. Text that is not HTML is Markdown when the
  declared content type or extension says so (or, with neither, when it has ``#`` heading lines), else
  plain text. A declared Markdown type wins over the HTML sniff: Markdown may open with inline HTML.
- **PDF** (``pypdf``): layout-mode text per page (blank lines at vertical gaps make the paragraphs, lines
  joined, hyphenated line ends mended); headings from the document outline (bookmarks), matched to
  their line on their page; every paragraph keeps its page number. Encrypted PDFs open with the empty
  password or are refused as unreadable.
- **DOCX** (``python-docx``): body paragraphs and tables in document order; ``Heading 1..9`` styles
  make sections, ``Title`` the title; a table row is one paragraph, cells joined by `` | ``.
- **HTML** (Beautiful Soup, the standard library's parser): ``<title>`` (else the first ``<h1>``),
  ``h1``-``h6`` sections, block elements as paragraphs; scripts, styles, templates, hidden elements
  and other non-text content dropped.
- **Markdown**: ATX (``#``) and setext headings, fenced code kept as one paragraph (a ``#`` inside is
  not a heading), links and images reduced to their text.

Limits (the published ones): PDF and DOCX at most 50 MB, the text formats at most 10 MB
(``SIZE_LIMITS``; ``DocumentTooLarge``, 413); a DOCX
whose parts would inflate beyond ``MAX_UNPACKED_BYTES``, or any document with more than
``MAX_EXTRACTED_CHARS`` of text, is too large too. ``UnsupportedDocument`` (415) names the accepted
types; ``NoTextFound`` (422: a scanned PDF, an empty page) and ``UnreadableDocument`` (422: damaged or
encrypted) say what to do instead.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from shared.knowledge.extraction.detection import check_upload, decode_text, parse_content_type
from shared.knowledge.extraction.document import ExtractedDocument, clean, first_heading
from shared.knowledge.extraction.errors import DocumentTooLarge, NoTextFound
from shared.knowledge.extraction.formats import MAX_EXTRACTED_CHARS
from shared.knowledge.extraction.html import extract_html
from shared.knowledge.extraction.markdown import extract_markdown
from shared.knowledge.extraction.pdf import extract_pdf
from shared.knowledge.extraction.plain_text import extract_plain_text
from shared.knowledge.extraction.word import extract_docx


def extract(data: bytes, content_type: str | None, filename: str | None) -> ExtractedDocument:
    """The text and structure of an uploaded file. Raises ``DocumentTooLarge``,
    ``UnsupportedDocument``, ``UnreadableDocument`` or ``NoTextFound``."""
    kind = check_upload(data, content_type, filename)
    _, charset = parse_content_type(content_type)
    if kind == "pdf":
        document = extract_pdf(data)
    elif kind == "docx":
        document = extract_docx(data)
    else:
        text = decode_text(data, charset)
        if kind == "html":
            document = extract_html(text)
        elif kind == "markdown":
            document = extract_markdown(text)
        else:
            document = extract_plain_text(text)
    document.sections = [section for section in document.sections if section.paragraphs]
    chars = document.char_count
    if chars > MAX_EXTRACTED_CHARS:
        raise DocumentTooLarge(
            f"The file holds {chars} characters of text; the limit is {MAX_EXTRACTED_CHARS}.",
            size=chars,
            limit=MAX_EXTRACTED_CHARS,
        )
    if not chars:
        hint = " (a scanned PDF needs a text layer: run OCR on it first)" if kind == "pdf" else ""
        raise NoTextFound(f"No text was found in the file{hint}.")
    if not document.title:
        document.title = first_heading(document.sections) or _title_from_filename(filename)
    return document


def _title_from_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    stem = PurePosixPath(filename.replace("\\", "/")).stem
    return clean(stem.replace("_", " ")) or None
