"""Extraction keeps a document's structure, whatever made it, and refuses what it cannot read."""

from __future__ import annotations

import io
import zipfile

import pytest

from shared.knowledge.extraction import extract
from shared.knowledge.extraction.detection import detect_kind
from shared.knowledge.extraction.document import ExtractedDocument
from shared.knowledge.extraction.errors import (
    DocumentTooLarge,
    NoTextFound,
    UnreadableDocument,
    UnsupportedDocument,
)
from shared.knowledge.extraction.formats import (
    MAX_DOCUMENT_BYTES,
    MAX_UNPACKED_BYTES,
    SUPPORTED_CONTENT_TYPES,
)
from tests.knowledge.documents import HANDBOOK, Part, make_docx, make_html, make_markdown, make_pdf


def outline(document: ExtractedDocument) -> list[tuple[str | None, int]]:
    return [(section.heading, section.level) for section in document.sections]


EXPECTED_OUTLINE = [("Shipping", 1), ("International customs", 2), ("Returns", 1), ("Warranty", 1)]


def test_pdf_keeps_headings_from_its_outline_paragraphs_and_page_numbers() -> None:
    document = extract(make_pdf(HANDBOOK), "application/pdf", "handbook.pdf")

    assert document.kind == "pdf"
    assert document.title == "Store handbook"
    assert document.pages == 2
    assert outline(document) == EXPECTED_OUTLINE
    shipping, customs, returns, _ = document.sections
    assert shipping.paragraphs == list(HANDBOOK[0].paragraphs)
    assert shipping.pages == [1, 1]
    assert customs.pages == [1]
    assert returns.paragraphs == list(HANDBOOK[2].paragraphs)
    assert returns.pages == [2, 2]


def test_pdf_paragraph_wrapped_over_lines_is_joined_into_one() -> None:
    long_paragraph = " ".join(f"Clause {n} of the agreement applies to every order." for n in range(12))
    document = extract(make_pdf([Part(None, 1, [long_paragraph, "Second paragraph."])]), None, "a.pdf")

    assert document.sections[0].paragraphs == [long_paragraph, "Second paragraph."]


def test_pdf_without_text_layer_has_no_text() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)  # a drawing, as a scan would be an image: no text
    with pytest.raises(NoTextFound) as raised:
        extract(bytes(pdf.output()), "application/pdf", "scan.pdf")
    assert "OCR" in raised.value.message
    assert raised.value.status == 422


def test_damaged_pdf_is_unreadable() -> None:
    data = make_pdf(HANDBOOK)
    with pytest.raises(UnreadableDocument):
        extract(data[: len(data) // 3], "application/pdf", "cut.pdf")


def test_docx_headings_come_from_heading_styles_and_title_from_title_style() -> None:
    document = extract(make_docx(HANDBOOK, title="Kettle Co handbook", table=True), None, "handbook.docx")

    assert document.kind == "docx"
    assert document.title == "Kettle Co handbook"
    assert outline(document) == EXPECTED_OUTLINE
    assert document.sections[0].paragraphs == list(HANDBOOK[0].paragraphs)
    assert document.sections[-1].paragraphs[-2:] == ["Zone | Days", "Europe | 3"]  # table rows


def test_docx_that_unpacks_beyond_the_limit_is_too_large() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/bomb.bin", b"\0" * (MAX_UNPACKED_BYTES + 1))
    data = buffer.getvalue()
    assert len(data) < MAX_DOCUMENT_BYTES

    with pytest.raises(DocumentTooLarge) as raised:
        extract(data, None, "bomb.docx")
    assert raised.value.limit == MAX_UNPACKED_BYTES
    assert raised.value.api_error().status == 413


def test_html_keeps_title_and_heading_structure_and_drops_scripts_styles_and_hidden_parts() -> None:
    document = extract(make_html(HANDBOOK), "text/html; charset=utf-8", "handbook.html")

    assert document.kind == "html"
    assert document.title == "Store handbook"
    assert outline(document) == EXPECTED_OUTLINE
    text = " ".join(p for section in document.sections for p in section.paragraphs)
    assert "tracking code" not in text
    assert "color" not in text
    assert "Skip to content" not in text
    assert document.sections[2].paragraphs == list(HANDBOOK[2].paragraphs)


def test_html_lists_tables_and_preformatted_text_become_paragraphs() -> None:
    html = b"""<html><body><h1>Rates</h1><ul><li>Standard: <b>free</b></li><li>Express: 9 dollars</li></ul>
    <table><tr><th>Zone</th><th>Days</th></tr><tr><td>Europe</td><td>3</td></tr></table>
    <pre>line one
line two</pre></body></html>"""
    document = extract(html, None, None)

    assert document.sections[0].paragraphs == [
        "Standard: free",
        "Express: 9 dollars",
        "Zone | Days",
        "Europe | 3",
        "line one\nline two",
    ]
    assert document.title == "Rates"


def test_markdown_headings_fenced_code_and_links() -> None:
    markdown = b"""# Kettle guide

Read the [safety notes](https://example.com/safety) first.

## Descaling

```
# not a heading
descale --now
```

Setext heading
--------------

- one
- two
"""
    document = extract(markdown, "text/markdown", "guide.md")

    assert document.kind == "markdown"
    assert document.title == "Kettle guide"
    assert outline(document) == [("Kettle guide", 1), ("Descaling", 2), ("Setext heading", 2)]
    assert document.sections[0].paragraphs == ["Read the safety notes first."]
    assert document.sections[1].paragraphs == ["# not a heading\ndescale --now"]
    assert document.sections[2].paragraphs == ["- one\n- two"]


def test_markdown_round_trip_of_the_handbook() -> None:
    document = extract(make_markdown(HANDBOOK), None, "handbook.md")
    assert outline(document) == EXPECTED_OUTLINE


def test_plain_text_paragraphs_are_split_at_blank_lines_and_title_comes_from_the_file_name() -> None:
    text = "First paragraph\nwrapped over two lines.\n\n\nSecond paragraph.\r\n\r\nThird."
    document = extract(text.encode(), "text/plain", "delivery_faq.txt")

    assert document.kind == "text"
    assert document.title == "delivery faq"
    assert outline(document) == [(None, 0)]
    assert document.sections[0].paragraphs == [
        "First paragraph wrapped over two lines.",
        "Second paragraph.",
        "Third.",
    ]


def test_text_encodings_bom_charset_and_windows_1252() -> None:
    assert extract("Café ü".encode("utf-16"), None, "a.txt").sections[0].paragraphs == ["Café ü"]
    assert extract("Café".encode("latin-1"), "text/plain; charset=latin-1", None).sections[0].paragraphs == [
        "Café"
    ]
    assert extract("naïve “quotes”".encode("cp1252"), None, None).sections[0].paragraphs == ["naïve “quotes”"]


@pytest.mark.parametrize(
    ("data", "content_type", "filename", "kind"),
    [
        (make_pdf(HANDBOOK), "text/plain", "notes.txt", "pdf"),  # the content wins over the claim
        (make_docx(HANDBOOK), "application/octet-stream", "upload.bin", "docx"),
        (b"  <!DOCTYPE html><p>hi</p>", "text/plain", "page.txt", "html"),
        (b"<p align=center>logo</p>\n# Readme", "text/markdown", "README.md", "markdown"),
        (b"<p>x</p>", "text/plain", "README.md", "markdown"),  # text/plain is what clients send for .md
        (b"# Title\n\nText", None, None, "markdown"),
        (b"# Title\n\nText", "text/plain", "notes.txt", "text"),
        (b"Just words.", None, None, "text"),
        (b"<b>bold claim</b> then text", None, "x", "html"),
    ],
)
def test_type_is_detected_by_content_first(
    data: bytes, content_type: str | None, filename: str | None, kind: str
) -> None:
    assert detect_kind(data, content_type and content_type.split(";")[0], filename) == kind


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "legacy Office"),
        (bytes(range(256)) * 4, "binary"),
    ],
)
def test_unsupported_files_answer_415_naming_the_supported_types(data: bytes, named: str) -> None:
    with pytest.raises(UnsupportedDocument) as raised:
        extract(data, "application/pdf", "file.pdf")
    error = raised.value
    assert named in error.message
    assert "PDF, Word (.docx), HTML, Markdown or plain text" in error.message
    assert error.supported == SUPPORTED_CONTENT_TYPES
    api_error = error.api_error()
    assert (api_error.status, api_error.code) == (415, "UnsupportedMediaType")


def test_other_zip_files_are_unsupported() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedDocument, match="spreadsheet"):
        extract(buffer.getvalue(), None, "sheet.xlsx")


def test_too_large_answers_413_with_the_limit() -> None:
    with pytest.raises(DocumentTooLarge) as raised:
        extract(b"a" * (MAX_DOCUMENT_BYTES + 1), "text/plain", "big.txt")
    error = raised.value
    assert (error.size, error.limit) == (MAX_DOCUMENT_BYTES + 1, MAX_DOCUMENT_BYTES)
    assert str(MAX_DOCUMENT_BYTES) in error.message
    assert error.api_error().body()["code"] == "PayloadTooLarge"


@pytest.mark.parametrize(
    "data", [b"", b"   \n\n ", b"<html><head><title>T</title></head><body> </body></html>"]
)
def test_files_without_text_answer_no_text_found(data: bytes) -> None:
    with pytest.raises(NoTextFound) as raised:
        extract(data, None, None)
    assert raised.value.api_error().status == 422


def test_text_formats_have_the_published_10_mb_limit_and_name_it():
    from shared.knowledge.extraction.detection import check_upload
    from shared.knowledge.extraction.formats import SIZE_LIMITS

    assert SIZE_LIMITS["markdown"] == 10 * 1024 * 1024 and SIZE_LIMITS["pdf"] == 50 * 1024 * 1024
    with pytest.raises(DocumentTooLarge) as raised:
        check_upload(b"# Notes\n\n" + b"a" * SIZE_LIMITS["markdown"], "text/markdown", "notes.md")
    assert raised.value.limit == SIZE_LIMITS["markdown"] and "10 MB" in raised.value.message
    assert check_upload(b"# Notes\n\nshort", None, "notes.md") == "markdown"
