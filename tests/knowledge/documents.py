"""Real files for the knowledge tests, made with the libraries people make them with: PDFs with fpdf2
(outline entries as bookmarks), Word documents with python-docx."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import docx
from fpdf import FPDF


@dataclass
class Part:
    """A heading (level 1 = top) with its paragraphs; ``new_page`` starts it on a new PDF page."""

    heading: str | None
    level: int = 1
    paragraphs: Sequence[str] = field(default_factory=list)
    new_page: bool = False


HANDBOOK = [
    Part(
        "Shipping",
        1,
        [
            "Orders ship within two business days from our warehouse in Leeds.",
            "Delivery to Canada takes seven to ten business days and costs 12 dollars.",
        ],
    ),
    Part(
        "International customs",
        2,
        ["Customs duties are paid by the recipient when the parcel arrives."],
    ),
    Part(
        "Returns",
        1,
        [
            "You can return an unused item within thirty days for a full refund.",
            "Damaged items are replaced free of charge; send us a photo of the damage.",
        ],
        new_page=True,
    ),
    Part("Warranty", 1, ["Every kettle has a two year warranty covering the heating element."]),
]


def make_pdf(parts: Sequence[Part], title: str | None = "Store handbook", pages: int | None = None) -> bytes:
    """A PDF with each heading as a bold line and an outline entry (bookmark) at its level."""
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    if title:
        pdf.set_title(title)
    pdf.add_page()
    for number, part in enumerate(parts):
        if part.new_page and number:
            pdf.add_page()
        if part.heading:
            pdf.set_font("Helvetica", "B", 16 if part.level == 1 else 13)
            pdf.start_section(part.heading, level=part.level - 1)
            pdf.cell(text=part.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for paragraph in part.paragraphs:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    return bytes(pdf.output())


def make_docx(parts: Sequence[Part], title: str | None = "Store handbook", table: bool = False) -> bytes:
    document = docx.Document()
    if title:
        document.add_heading(title, level=0)  # the "Title" style
    for part in parts:
        if part.heading:
            document.add_heading(part.heading, level=part.level)
        for paragraph in part.paragraphs:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=2, cols=2)
        grid.cell(0, 0).text, grid.cell(0, 1).text = "Zone", "Days"
        grid.cell(1, 0).text, grid.cell(1, 1).text = "Europe", "3"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_html(parts: Sequence[Part], title: str = "Store handbook") -> bytes:
    body = []
    for part in parts:
        if part.heading:
            body.append(f"<h{part.level}>{part.heading}</h{part.level}>")
        body.extend(f"<p>{paragraph}</p>" for paragraph in part.paragraphs)
    return (
        "<!DOCTYPE html><html><head><title>" + title + "</title>"
        "<style>p { color: red; }</style><script>var secret = 'tracking code';</script></head>"
        "<body><nav hidden>Skip to content</nav>" + "\n".join(body) + "</body></html>"
    ).encode()


def make_markdown(parts: Sequence[Part]) -> bytes:
    lines: list[str] = []
    for part in parts:
        if part.heading:
            lines += ["#" * part.level + " " + part.heading, ""]
        for paragraph in part.paragraphs:
            lines += [paragraph, ""]
    return "\n".join(lines).encode()
