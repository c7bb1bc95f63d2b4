"""What an upload is, judged by its bytes before any work: kind, size, charset and text."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import PurePosixPath

from shared.knowledge.extraction.errors import (
    DocumentTooLarge,
    NoTextFound,
    UnreadableDocument,
    UnsupportedDocument,
)
from shared.knowledge.extraction.formats import MAX_DOCUMENT_BYTES, SIZE_LIMITS, SUPPORTED_TYPES, DocumentKind


def check_upload(data: bytes, content_type: str | None, filename: str | None) -> DocumentKind:
    """The file's kind, when its size and type are acceptable: what can be judged before any work.
    Raises ``DocumentTooLarge`` (naming the limit of its type), ``UnsupportedDocument`` or
    ``NoTextFound`` (empty)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_large(len(data), MAX_DOCUMENT_BYTES, "any file")
    if not data.strip():
        raise NoTextFound("The file is empty.")
    declared_type, _ = parse_content_type(content_type)
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


def parse_content_type(content_type: str | None) -> tuple[str | None, str | None]:
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
