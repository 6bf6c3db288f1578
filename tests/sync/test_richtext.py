"""Saleor rich text (EditorJS) to the plain text bexio shows, and back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from saleor_bexio_app.sync.richtext import (
    html_to_text,
    normalize_text,
    plain_or_html_to_text,
    richtext_to_text,
    text_to_richtext,
)


def doc(*blocks: dict[str, Any]) -> str:
    return json.dumps({"time": 1, "blocks": list(blocks), "version": "2.24.3"})


def para(text: str) -> dict[str, Any]:
    return {"id": "x", "type": "paragraph", "data": {"text": text}}


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (None, ""),
        ("", ""),
        (doc(), ""),
        (doc(para("Fine <b>organic</b> tea")), "Fine organic tea"),
        (doc(para("One"), para("Two")), "One\n\nTwo"),
        (doc(para("line one<br>line two")), "line one\nline two"),
        (doc(para("line one<br/>  line two  ")), "line one\nline two"),
        (
            doc({"type": "header", "data": {"text": "Care", "level": 2}}, para("Wash")),
            "Care\n\nWash",
        ),
        (doc(para("A&amp;B&nbsp;&nbsp;C &lt;3")), "A&B C <3"),
        (doc(para('<a href="https://x.ch" onclick="steal()">link</a>')), "link"),
        (doc(para("safe<script>alert(1)</script> text")), "safe text"),
        (doc(para("<style>p{}</style>styled")), "styled"),
        (doc(para("")), ""),
        (doc(para("   ")), ""),
        (
            doc({"type": "list", "data": {"style": "unordered", "items": ["a", "<i>b</i>"]}}),
            "- a\n- b",
        ),
        (
            doc({"type": "list", "data": {"style": "ordered", "items": ["first", "second"]}}),
            "1. first\n2. second",
        ),
        (
            doc(
                {
                    "type": "list",
                    "data": {
                        "style": "ordered",
                        "items": [
                            {"content": "one", "items": []},
                            {"content": "two", "items": [{"content": "two a", "items": []}]},
                        ],
                    },
                }
            ),
            "1. one\n2. two\n2.1. two a",
        ),
        (
            doc({"type": "quote", "data": {"text": "Best tea", "caption": "Anna"}}),
            "Best tea\n— Anna",
        ),
        (doc({"type": "image", "data": {"url": "https://x/y.png"}}, para("after")), "after"),
        (doc({"type": "raw", "data": {"html": "<div>raw</div>"}}), ""),
        (doc({"type": "paragraph"}, {"type": "paragraph", "data": {"text": 5}}), ""),
        ({"blocks": [para("already parsed")]}, "already parsed"),
        ("not json <b>but html</b>", "not json but html"),
        ('["a list"]', ""),
    ],
)
def test_rich_text_becomes_plain_text(description: Any, expected: str) -> None:
    assert richtext_to_text(description) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("plain", "plain"),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<ul><li>x</li><li>y</li></ul>", "- x\n- y"),
        ("a < b & c", "a < b & c"),
        ("<h2>Title</h2>\n\n\n<div>body</div>", "Title\n\nbody"),
    ],
)
def test_bexio_html_or_text_reads_as_plain_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected
    assert plain_or_html_to_text(html) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fresh & <green>", "Fresh & <green>"),
        ("a &amp; b", "a &amp; b"),
        ("1 < 2 > 0", "1 < 2 > 0"),
        ("<P>Fresh &amp; green</P>", "Fresh & green"),
        ('Fresh<br/>green <span style="x">tea</span>', "Fresh\ngreen tea"),
    ],
)
def test_only_text_with_html_tags_is_read_as_html(text: str, expected: str) -> None:
    assert plain_or_html_to_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  a   b  ", "a b"),
        ("a\r\nb", "a\nb"),
        ("a\n\n\n\nb", "a\n\nb"),
        ("a\n \n\tb", "a\n\nb"),
        ("\n\n", ""),
    ],
)
def test_text_normalises_spaces_and_blank_lines(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "One line",
        "Para one\nsecond line\n\nPara two",
        "Tags stay text: <b>not bold</b> & AT&T",
        "- item\n- item two",
        "  messy   spacing \n\n\n end ",
    ],
)
def test_plain_text_survives_a_round_trip_through_saleor_rich_text(text: str) -> None:
    assert richtext_to_text(text_to_richtext(text)) == normalize_text(text)


def test_plain_text_becomes_one_paragraph_block_per_paragraph() -> None:
    document = json.loads(text_to_richtext("A & B\nnext\n\nSecond"))

    assert document == {
        "blocks": [
            {"type": "paragraph", "data": {"text": "A &amp; B<br>next"}},
            {"type": "paragraph", "data": {"text": "Second"}},
        ]
    }
