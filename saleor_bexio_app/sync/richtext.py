"""Saleor rich text (EditorJS JSON) to the plain text bexio shows, and back.

bexio's `intern_description` is shown as entered on documents, so the app writes *plain text*:
blocks are separated by a blank line, a `<br>` becomes a line break, list items become
"- item" or "1. item" lines (nested items follow their parent, numbered "2.1." in
ordered lists; plain text keeps no indentation). Tags, attributes, the content
of `<script>`/`<style>` and blocks that are not text (images, embeds, raw HTML, tables) are
dropped; character references are decoded. `normalize_text` is the canonical form both
directions compare, so `richtext_to_text(text_to_richtext(t)) == normalize_text(t)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from html import escape
from html.parser import HTMLParser
from typing import Any

_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre"}
_SKIPPED_TAGS = {"script", "style", "template"}
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2007\u202f]+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_HTML_TAG = re.compile(
    r"</?(?:p|br|div|span|ul|ol|li|h[1-6]|b|strong|i|em|u|a|blockquote|pre|script|style)\b[^>]*>",
    re.IGNORECASE,
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment (or of plain text), in `normalize_text` form."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return normalize_text("".join(parser.parts))


def plain_or_html_to_text(text: str) -> str:
    """Text that may be HTML (bexio's editor) or plain (the app's writes), as plain text.

    Only text containing a common HTML tag is parsed as HTML, so plain text with "<" or "&"
    (as the app writes it) reads back unchanged.
    """
    return html_to_text(text) if _HTML_TAG.search(text) else normalize_text(text)


def normalize_text(text: str) -> str:
    """Canonical plain text: runs of spaces collapsed, lines trimmed, one blank line between
    paragraphs, no empty lines inside a paragraph, nothing leading or trailing."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[str] = []
    for chunk in _PARAGRAPH_BREAK.split(text):
        lines = [_SPACES.sub(" ", line).strip() for line in chunk.split("\n")]
        kept = [line for line in lines if line]
        if kept:
            paragraphs.append("\n".join(kept))
    return "\n\n".join(paragraphs)


def _list_lines(items: object, *, ordered: bool, prefix: str) -> list[str]:
    if not isinstance(items, Sequence) or isinstance(items, str):
        return []
    lines: list[str] = []
    for number, item in enumerate(items, start=1):
        # List v1 items are HTML strings; list v2 / nested-list items are {content, items}.
        if isinstance(item, Mapping):
            content, children = item.get("content", ""), item.get("items", [])
        else:
            content, children = item, []
        text = " ".join(html_to_text(content).split()) if isinstance(content, str) else ""
        path = f"{prefix}{number}."
        if text:
            lines.append(f"{path if ordered else '-'} {text}")
        lines.extend(_list_lines(children, ordered=ordered, prefix=path))
    return lines


def _block_text(block: Mapping[str, Any]) -> str:
    data = block.get("data")
    if not isinstance(data, Mapping):
        return ""
    kind = block.get("type")
    text = data.get("text")
    if kind in ("paragraph", "header"):
        return html_to_text(text) if isinstance(text, str) else ""
    if kind == "list":
        ordered = data.get("style") == "ordered"
        return "\n".join(_list_lines(data.get("items"), ordered=ordered, prefix=""))
    if kind == "quote":
        quote = html_to_text(text) if isinstance(text, str) else ""
        caption = data.get("caption")
        caption_text = html_to_text(caption) if isinstance(caption, str) else ""
        return f"{quote}\n— {caption_text}" if quote and caption_text else quote
    return ""


def richtext_to_text(description: str | Mapping[str, Any] | None) -> str:
    """The plain text bexio shows for a Saleor rich-text description (JSON string or parsed).

    A string that is not JSON at all is taken as HTML/plain text rather than dropped.
    """
    if description is None:
        return ""
    document: object = description
    if isinstance(description, str):
        if not description.strip():
            return ""
        try:
            document = json.loads(description)
        except ValueError:
            return html_to_text(description)
    if not isinstance(document, Mapping):
        return ""
    blocks = document.get("blocks")
    if not isinstance(blocks, Sequence) or isinstance(blocks, str):
        return ""
    texts = (_block_text(block) for block in blocks if isinstance(block, Mapping))
    return normalize_text("\n\n".join(text for text in texts if text))


def _escape(line: str) -> str:
    return escape(line, quote=False)


def text_to_richtext(text: str) -> str:
    """Saleor rich-text JSON for plain text: one paragraph block per paragraph, lines as `<br>`."""
    blocks = [
        {"type": "paragraph", "data": {"text": "<br>".join(map(_escape, para.split("\n")))}}
        for para in normalize_text(text).split("\n\n")
        if para
    ]
    return json.dumps({"blocks": blocks}, ensure_ascii=False, separators=(",", ":"))
