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

import codecs
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from shared.api_errors import ApiError, ErrorKind, payload_too_large, unsupported_media_type

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # the largest upload of any type (413 above)
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a DOCX's zip parts once inflated ("zip bombs")
MAX_EXTRACTED_CHARS = 5_000_000  # text of one document (about 2,500 dense pages)

DocumentKind = Literal["pdf", "docx", "html", "markdown", "text"]

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# kind -> (content types, file extensions); the first content type is the canonical one
SUPPORTED_TYPES: dict[DocumentKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pdf": ((PDF_TYPE, "application/x-pdf"), (".pdf",)),
    "docx": ((DOCX_TYPE,), (".docx",)),
    "html": (("text/html", "application/xhtml+xml"), (".html", ".htm", ".xhtml")),
    "markdown": (("text/markdown", "text/x-markdown"), (".md", ".markdown", ".mdown", ".mkd")),
    "text": (("text/plain",), (".txt", ".text")),
}
SIZE_LIMITS: dict[DocumentKind, int] = {
    "pdf": MAX_DOCUMENT_BYTES,
    "docx": MAX_DOCUMENT_BYTES,
    "html": 10 * 1024 * 1024,
    "markdown": 10 * 1024 * 1024,
    "text": 10 * 1024 * 1024,
}
SUPPORTED_CONTENT_TYPES = tuple(types[0] for types, _ in SUPPORTED_TYPES.values())
SUPPORTED_DESCRIPTION = "PDF, Word (.docx), HTML, Markdown or plain text"


# ------------------------------------------------------------------------------------------ errors


class DocumentError(Exception):
    """A file that cannot become knowledge; ``status`` and ``code`` are what the API answers."""

    status = 422
    code = "DocumentNotProcessable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def api_error(self) -> ApiError:
        return ApiError(self.status, self.code, self.message, ErrorKind.VALIDATION)


class DocumentTooLarge(DocumentError):
    """413: over ``limit`` (bytes of the file, of its unpacked parts, or characters of its text)."""

    status = 413
    code = "PayloadTooLarge"

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit

    def api_error(self) -> ApiError:
        return payload_too_large(self.message)


class UnsupportedDocument(DocumentError):
    """415: not one of ``SUPPORTED_TYPES``; the message names them."""

    status = 415
    code = "UnsupportedMediaType"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} Supported: {SUPPORTED_DESCRIPTION} ({', '.join(SUPPORTED_CONTENT_TYPES)}).")
        self.supported = SUPPORTED_CONTENT_TYPES

    def api_error(self) -> ApiError:
        return unsupported_media_type(self.message)


class NoTextFound(DocumentError):
    """422: the file holds no text (a scanned PDF without a text layer, an empty document)."""

    code = "NoTextFound"


class UnreadableDocument(DocumentError):
    """422: the file says it is a supported type but is damaged, truncated or encrypted."""

    code = "DocumentUnreadable"


# ------------------------------------------------------------------------------------------ shapes


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


# ------------------------------------------------------------------------------------------ entry


def extract(data: bytes, content_type: str | None, filename: str | None) -> ExtractedDocument:
    """The text and structure of an uploaded file. Raises ``DocumentTooLarge``,
    ``UnsupportedDocument``, ``UnreadableDocument`` or ``NoTextFound``."""
    kind = check_upload(data, content_type, filename)
    _, charset = _parse_content_type(content_type)
    if kind == "pdf":
        document = _extract_pdf(data)
    elif kind == "docx":
        document = _extract_docx(data)
    else:
        text = decode_text(data, charset)
        if kind == "html":
            document = _extract_html(text)
        elif kind == "markdown":
            document = _extract_markdown(text)
        else:
            document = _extract_plain(text)
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
        document.title = _first_heading(document.sections) or _title_from_filename(filename)
    return document


def check_upload(data: bytes, content_type: str | None, filename: str | None) -> DocumentKind:
    """The file's kind, when its size and type are acceptable: what can be judged before any work.
    Raises ``DocumentTooLarge`` (naming the limit of its type), ``UnsupportedDocument`` or
    ``NoTextFound`` (empty)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_large(len(data), MAX_DOCUMENT_BYTES, "any file")
    if not data.strip():
        raise NoTextFound("The file is empty.")
    declared_type, _ = _parse_content_type(content_type)
    kind = detect_kind(data, declared_type, filename)
    if len(data) > SIZE_LIMITS[kind]:
        raise _too_large(len(data), SIZE_LIMITS[kind], _KIND_NAMES[kind])
    return kind


_KIND_NAMES: dict[DocumentKind, str] = {
    "pdf": "a PDF",
    "docx": "a Word file",
    "html": "an HTML file",
    "markdown": "a Markdown file",
    "text": "a text file",
}


def _too_large(size: int, limit: int, what: str) -> DocumentTooLarge:
    return DocumentTooLarge(
        f"The file is {size} bytes; the limit for {what} is {limit} bytes ({limit // (1024 * 1024)} MB). "
        "PDF and Word files may have up to 50 MB, HTML, Markdown and text files up to 10 MB.",
        size=size,
        limit=limit,
    )


# ------------------------------------------------------------------------------------------ detection

_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (audio, video or WebP)"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.doc, .xls, .ppt); save it as .docx or PDF"),
    (b"{\\rtf", "an RTF file; save it as .docx or PDF"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
)
# WHATWG MIME sniffing: text that opens (after whitespace) with one of these, then a space or ">".
_HTML_OPENERS = (
    "<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table",
    "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--", "<meta", "<section", "<article",
    "<main", "<header", "<nav", "<ul", "<ol", "<h2", "<h3", "<link",
)  # fmt: skip
_MARKDOWN_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)


def detect_kind(data: bytes, declared_type: str | None, filename: str | None) -> DocumentKind:
    """What the file is, judged by its bytes first; the declared type and extension only decide
    between text formats. Raises ``UnsupportedDocument``."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise UnreadableDocument("The file is a damaged zip archive.") from None
        if "word/document.xml" in names:
            return "docx"
        what = "a spreadsheet (.xlsx)" if "xl/workbook.xml" in names else "a zip archive"
        if "ppt/presentation.xml" in names:
            what = "a presentation (.pptx)"
        raise UnsupportedDocument(f"The file is {what}.")
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise UnsupportedDocument(f"The file is {what}.")
    if _looks_binary(data[:8192]):
        raise UnsupportedDocument("The file is binary data of an unknown type.")
    declared = _declared_kind(declared_type, filename)
    if declared == "markdown":
        return "markdown"
    sample = decode_text(data[:4096], None, strict=False).lstrip("\ufeff \t\r\n").lower()
    opens_with_tag = any(
        sample.startswith(opener) and sample[len(opener) : len(opener) + 1] in (" ", ">", "\t", "\n", "\r")
        for opener in _HTML_OPENERS
    )
    if opens_with_tag or (sample.startswith("<?xml") and "<html" in sample):
        return "html"
    if declared is not None:
        return declared
    if declared is None and _MARKDOWN_HEADING.search(decode_text(data[:65536], None, strict=False)):
        return "markdown"
    return "text"


def _declared_kind(declared_type: str | None, filename: str | None) -> DocumentKind | None:
    """The text kind the request names by content type, else by extension (None: neither says)."""
    suffix = PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()
    for kind, (types, _) in SUPPORTED_TYPES.items():
        if declared_type in types and kind in ("html", "markdown", "text"):
            if kind == "text" and suffix in SUPPORTED_TYPES["markdown"][1]:
                return "markdown"  # text/plain is what most clients send for .md
            return kind
    for kind, (_, suffixes) in SUPPORTED_TYPES.items():
        if suffix in suffixes and kind in ("html", "markdown", "text"):
            return kind
    return None


def content_type_for_name(filename: str) -> str | None:
    """The canonical content type a file name's extension suggests (None: not a supported one); a
    hint to show until the content is judged."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    for types, suffixes in SUPPORTED_TYPES.values():
        if suffix in suffixes:
            return types[0]
    return None


def _looks_binary(sample: bytes) -> bool:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return controls > len(sample) * 0.05


def _parse_content_type(content_type: str | None) -> tuple[str | None, str | None]:
    if not content_type:
        return None, None
    main, _, rest = content_type.partition(";")
    charset = None
    for parameter in rest.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    return main.strip().lower() or None, charset


def decode_text(data: bytes, charset: str | None, *, strict: bool = True) -> str:
    """Text from bytes: a BOM decides, then the declared charset, then UTF-8, then Windows-1252."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    candidates = [charset] if charset else []
    for encoding in [*candidates, "utf-8"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as error:
            if not strict and isinstance(error, UnicodeDecodeError) and error.start >= len(data) - 3:
                return data[: error.start].decode(encoding)  # a sample cut inside a character
    return data.decode("cp1252", errors="replace")


# ------------------------------------------------------------------------------------------ helpers

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")


def clean(text: str) -> str:
    """One line of text: NFC, control characters dropped, runs of whitespace as one space."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch >= " " or ch in "\t\n" else " " for ch in text)
    return " ".join(text.split())


def _first_heading(sections: Iterable[Section]) -> str | None:
    return next((section.heading for section in sections if section.heading), None)


def _title_from_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    stem = PurePosixPath(filename.replace("\\", "/")).stem
    return clean(stem.replace("_", " ")) or None


class _Builder:
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


# ------------------------------------------------------------------------------------------ PDF

_HYPHENATED = re.compile(r"(\w)-\n(?=[a-z])")
_SENTENCE_END = (".", "!", "?", ":", ";", "\u3002", "\uff01", "\uff1f")


def _extract_pdf(data: bytes) -> ExtractedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("The PDF is encrypted with a password; upload it without one.")
        page_count = len(reader.pages)
        headings = _pdf_outline(reader)
        builder = _Builder()
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


def _pdf_page(builder: _Builder, text: str, number: int, headings: list[tuple[str, int]]) -> None:
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


# ------------------------------------------------------------------------------------------ DOCX

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def _extract_docx(data: bytes) -> ExtractedDocument:
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
        builder = _Builder()
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


# ------------------------------------------------------------------------------------------ HTML

_DROPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
     "head", "button", "select", "input", "textarea", "math"}
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "blockquote",
     "li", "ul", "ol", "dl", "dt", "dd", "figure", "figcaption", "form", "fieldset", "address",
     "details", "summary", "caption", "table", "thead", "tbody", "tfoot", "hr", "body", "html"}
)  # fmt: skip
_HEADING_TAG = re.compile(r"^h([1-6])$")


def _extract_html(text: str) -> ExtractedDocument:
    from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, Tag

    soup = BeautifulSoup(text, "html.parser")
    title_tag = soup.find("title")
    title = clean(title_tag.get_text(" ")) if isinstance(title_tag, Tag) else None
    builder = _Builder()
    inline: list[str] = []

    def flush() -> None:
        builder.paragraph("".join(inline))
        inline.clear()

    def hidden(tag: Any) -> bool:
        attrs = tag.attrs or {}
        style = str(attrs.get("style", "")).replace(" ", "").lower()
        return (
            "hidden" in attrs
            or str(attrs.get("aria-hidden", "")).lower() == "true"
            or "display:none" in style
            or "visibility:hidden" in style
        )

    def walk(node: Any) -> None:
        for child in node.children:
            if isinstance(child, Comment | Doctype):
                continue
            if isinstance(child, NavigableString):
                inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in _DROPPED_TAGS or hidden(child):
                continue
            heading = _HEADING_TAG.match(name)
            if heading:
                flush()
                builder.heading(child.get_text(" "), int(heading.group(1)))
            elif name == "br":
                inline.append("\n")
            elif name == "pre":
                flush()
                builder.paragraph(child.get_text(), keep_lines=True)
            elif name == "tr":
                flush()
                cells = [clean(cell.get_text(" ")) for cell in child.find_all(["td", "th"])]
                builder.paragraph(" | ".join(cell for cell in cells if cell))
            elif name in _BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            else:
                if name in ("td", "th"):
                    inline.append(" ")
                walk(child)
                if name in ("td", "th", "img"):
                    inline.append(" ")
                if name == "img" and child.get("alt"):
                    inline.append(str(child.get("alt")))

    walk(soup)
    flush()
    if not title:
        title = _first_heading(builder.sections)
    return ExtractedDocument(title=title or None, sections=builder.sections, kind="html")


# ------------------------------------------------------------------------------------------ Markdown

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


def _extract_markdown(text: str) -> ExtractedDocument:
    builder = _Builder()
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


# ------------------------------------------------------------------------------------------ plain text

_BLANK_LINES = re.compile(r"\n\s*\n")


def _extract_plain(text: str) -> ExtractedDocument:
    builder = _Builder()
    for block in _BLANK_LINES.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        builder.paragraph(block)
    return ExtractedDocument(title=None, sections=builder.sections, kind="text")
