"""The document kinds knowledge accepts: their content types, extensions and size limits."""

from __future__ import annotations

from typing import Literal

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
