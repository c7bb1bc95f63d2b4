"""HTML (Beautiful Soup): ``h1``-``h6`` sections, block elements as paragraphs, hidden content dropped."""

from __future__ import annotations

import re
from typing import Any

from shared.knowledge.extraction.document import ExtractedDocument, SectionBuilder, clean, first_heading

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


def extract_html(text: str) -> ExtractedDocument:
    from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, Tag

    soup = BeautifulSoup(text, "html.parser")
    title_tag = soup.find("title")
    title = clean(title_tag.get_text(" ")) if isinstance(title_tag, Tag) else None
    builder = SectionBuilder()
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
        title = first_heading(builder.sections)
    return ExtractedDocument(title=title or None, sections=builder.sections, kind="html")
