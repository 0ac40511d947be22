"""Bare addresses become links and task-list items get boxes, as models expect (GitHub's way)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QTextCursor, QTextDocument

from writer_desktop.ui.render import make_markdown, markdown_html

_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>')


def links(text: str) -> list[tuple[str, str]]:
    """(shown text, address) of every link the text renders with."""
    html = markdown_html(make_markdown(), text)[0]
    return [(shown, href) for href, shown in _LINK.findall(html)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://writer.com/docs for more.", [("https://writer.com/docs", "https://writer.com/docs")]),
        ("Or www.writer.com.", [("www.writer.com", "http://www.writer.com")]),
        ("HTTPS://X.ORG/A", [("HTTPS://X.ORG/A", "HTTPS://X.ORG/A")]),
        # where it ends: sentence punctuation and an unmatched ")" are not part of it
        ("(see https://x.org/a)", [("https://x.org/a", "https://x.org/a")]),
        ("https://en.wikipedia.org/wiki/Foo_(bar)!", [("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)")]),
        ("'https://x.org/?q=1&r=2'", [("https://x.org/?q=1&amp;r=2", "https://x.org/?q=1&amp;r=2")]),
        ("“https://x.org”; «www.x.org»", [("https://x.org", "https://x.org"), ("www.x.org", "http://www.x.org")]),
        ("a https://x.org/a_b_c, b", [("https://x.org/a_b_c", "https://x.org/a_b_c")]),
        ("見てhttps://例え.jp/パス。次", [("https://例え.jp/パス", "https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9")]),
        (
            "two: https://a.org and http://b.org/x.",
            [("https://a.org", "https://a.org"), ("http://b.org/x", "http://b.org/x")],
        ),
        # links and code already there are left as they are
        ("[text https://a.org](https://b.org)", [("text https://a.org", "https://b.org")]),
        ("<https://a.org>", [("https://a.org", "https://a.org")]),
        ("`https://a.org`", []),
        ("```\nhttps://a.org\n```", []),
        # not addresses, or not ones to link
        ("https:// www. www.x wwwx.org", []),
        ("javascript://x ftp://x.org file:///etc/passwd", []),
        ("me@www.x.org x.https://a.org", []),
        ("<script>https://a.org</script>", [("https://a.org", "https://a.org")]),  # escaped tag
    ],
)  # fmt: skip
def test_bare_addresses_become_links(text: str, expected: list[tuple[str, str]]) -> None:
    assert links(text) == expected


def test_a_bare_address_is_a_link_in_the_document() -> None:
    doc = QTextDocument()
    QTextCursor(doc).insertHtml(markdown_html(make_markdown(), "Go to www.writer.com now.")[0])
    block = doc.begin()
    anchors = []
    it = block.begin()
    while not it.atEnd():
        fmt = it.fragment().charFormat()
        if fmt.isAnchor():
            anchors.append((it.fragment().text(), fmt.anchorHref()))
        it += 1
    assert anchors == [("www.writer.com", "http://www.writer.com")]


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("- [x] done\n- [ ] open\n- [X] upper", ["☑ done", "☐ open", "☑ upper"]),
        ("1. [ ] numbered", ["☐ numbered"]),
        ("> - [x] quoted", ["☑ quoted"]),
        ("- [ ]", ["☐"]),
        ("- [x] **bold** after", ["☑ <strong>bold</strong> after"]),
        # not tasks: escaped, no space, other letters, not a list
        (
            "- \\[x] escaped\n- [x]no\n- [y] other\n- [] empty",
            ["[x] escaped", "[x]no", "[y] other", "[] empty"],
        ),
    ],
)  # fmt: skip
def test_task_items_get_boxes(text: str, items: list[str]) -> None:
    html = markdown_html(make_markdown(), text)[0]
    assert re.findall(r"<li>(.*?)</li>", html) == items


def test_a_task_box_outside_a_list_is_text() -> None:
    assert markdown_html(make_markdown(), "[x] not in a list")[0] == "<p>[x] not in a list</p>\n"
