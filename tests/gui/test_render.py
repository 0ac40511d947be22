"""Each message status is told honestly, and app notices never look like model text."""

from __future__ import annotations

import itertools
from typing import cast

import pytest
from PySide6.QtGui import QFontMetrics, QTextCursor, QTextDocument

from writer_desktop.core.models import Message, Role, Status, Usage
from writer_desktop.ui.chat_palette import DARK, LIGHT, ChatPalette
from writer_desktop.ui.render import (
    ERROR_BG,
    NOTICE_BG,
    code_blocks,
    make_markdown,
    markdown_html,
    message_html,
)


@pytest.mark.parametrize(
    ("message", "shown", "bg"),
    [
        (Message(Role.ASSISTANT, "Hi", status=Status.STREAMING), "Writing…", None),
        (Message(Role.ASSISTANT, "", status=Status.STREAMING), "Waiting for Writer…", None),
        (Message(Role.ASSISTANT, "Hi", status=Status.STOPPED), "Stopped", None),
        (
            Message(Role.ASSISTANT, "", status=Status.STOPPED, error="Stopped while waiting."),
            "Stopped while waiting.",
            None,
        ),
        (
            Message(Role.ASSISTANT, "Hi", status=Status.INTERRUPTED, error_kind="closed"),
            "Interrupted — the app was closed.",
            NOTICE_BG,
        ),
        (
            Message(Role.ASSISTANT, "Hi", status=Status.INTERRUPTED, error="Lost."),
            "Interrupted — connection lost.",
            NOTICE_BG,
        ),
        (
            Message(Role.ASSISTANT, "", status=Status.ERROR, error="Invalid token"),
            "Couldn&#x27;t get a reply: Invalid token",
            ERROR_BG,
        ),
        (Message(Role.ASSISTANT, "Hi", finish_reason="length"), "length limit", NOTICE_BG),
        (
            Message(Role.ASSISTANT, "Hi", finish_reason="content_filter"),
            "content filter",
            NOTICE_BG,
        ),
        (
            Message(Role.ASSISTANT, "Hi", finish_reason="stop", usage=Usage(3, 4, 7)),
            "7 tokens",
            None,
        ),
    ],
)
def test_status_is_shown(message: Message, shown: str, bg: str | None) -> None:
    html = message_html(make_markdown(), message)
    assert shown in html
    if bg is not None:
        assert f'bgcolor="{bg}"' in html
        assert "Writer Desktop:" in html  # labelled as the app's words, not the model's


def test_user_text_is_plain_and_actions_cannot_be_forged() -> None:
    md = make_markdown()
    user = message_html(md, Message(Role.USER, "**not bold** <b>x</b>"))
    assert "<strong>" not in user
    assert "&lt;b&gt;" in user
    forged = message_html(md, Message(Role.ASSISTANT, "[Retry](wd-action:retry/x) <wd-action:x>"))
    assert "href=" not in forged


def test_retry_countdown_is_shown_while_waiting() -> None:
    message = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    html = message_html(make_markdown(), message, "Retrying in 3 s — Quota exceeded")
    assert "Retrying in 3 s — Quota exceeded" in html
    assert "Waiting for Writer…" in html  # no text yet


def test_code_blocks_are_numbered_for_copy_links_across_parts() -> None:
    md = make_markdown()
    first, next_code = markdown_html(md, "```\na\n```\n\n~~~\nb\n~~~\n", "m1")
    assert "wd-action:copy-code/m1/0" in first
    assert "wd-action:copy-code/m1/1" in first
    assert next_code == 2
    second, next_code = markdown_html(md, "```\nc\n```\n", "m1", next_code)
    assert "wd-action:copy-code/m1/2" in second
    assert next_code == 3
    assert "copy-code" not in markdown_html(md, "```\nno id\n```\n")[0]


def test_code_blocks_are_the_fenced_text_as_shown() -> None:
    text = "x\n\n```py\nif a < b:\n    pass\n```\n\n    indented\n\n```\n\u202etxt\n```"
    assert code_blocks(make_markdown(), text) == ["if a < b:\n    pass\n", "[U+202E]txt\n"]


def test_links_take_the_palette_colour() -> None:
    html = message_html(make_markdown(DARK), Message(Role.ASSISTANT, "[w](https://writer.com)"))
    assert f'style="color:{DARK.link}"' in html


def test_strikethrough_is_struck_through() -> None:
    html = message_html(make_markdown(), Message(Role.ASSISTANT, "It was ~~wrong~~ right."))
    doc = QTextDocument()
    doc.setHtml(html)
    found = doc.find("wrong")
    assert not found.isNull()
    cursor = QTextCursor(doc)
    cursor.setPosition(found.selectionStart() + 1)
    assert cursor.charFormat().fontStrikeOut()
    assert "~~" not in doc.toPlainText()


def test_your_lines_are_shown_as_typed_not_as_paragraphs_apart() -> None:
    # Each line was a paragraph with its margins: a list typed line by line showed with gaps,
    # and a blank line as a tall double gap.
    doc = QTextDocument()
    doc.setHtml(message_html(make_markdown(), Message(Role.USER, "one\ntwo\n\nfour")))
    layout = doc.documentLayout()
    tops = []
    block = doc.begin()
    while block.isValid():
        if block.text() in ("one", "two", "\xa0", "four"):
            tops.append(layout.blockBoundingRect(block).top())
        block = block.next()
    assert len(tops) == 4
    steps = [b - a for a, b in itertools.pairwise(tops)]
    assert max(steps) - min(steps) < 2  # evenly spaced, one line each
    assert steps[0] < QFontMetrics(doc.defaultFont()).lineSpacing() + 4  # no margins between


def test_your_indentation_and_spaces_are_kept_and_direction_overrides_show() -> None:
    # Each line was a <p>, which collapses spaces: a nested list, unfenced code and columns
    # all started at the margin. A right-to-left override turned "gnp.exe" into "exe.png".
    typed = "- level 1\n  - level 2\n    - level 3\nname    size\nreport\u202egnp.exe"
    doc = QTextDocument()
    doc.setHtml(message_html(make_markdown(), Message(Role.USER, typed)))
    texts = []
    block = doc.begin()
    while block.isValid():
        texts.append(block.text())
        block = block.next()
    assert "  - level 2" in texts
    assert "    - level 3" in texts
    assert "name    size" in texts
    assert "report[U+202E]gnp.exe" in texts
    doc.setTextWidth(600)
    assert doc.size().height() > 0  # laid out
    first = doc.findBlock(doc.toPlainText().index("- level 1"))
    third = doc.findBlock(doc.toPlainText().index("    - level 3"))
    assert first.layout().lineCount() == third.layout().lineCount() == 1
    x1 = cast(tuple[float, int], first.layout().lineAt(0).cursorToX(0))[0]
    x3 = cast(tuple[float, int], third.layout().lineAt(0).cursorToX(4))[0]
    assert x3 - x1 >= 3 * QFontMetrics(doc.defaultFont()).horizontalAdvance(" ")  # drawn indented


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_inline_code_is_tinted_and_escaped(palette: ChatPalette) -> None:
    # Monospace alone hardly set `code` apart from the sans text around it.
    html, _ = markdown_html(make_markdown(palette), "Call `f(<b>&x</b>)` now")
    doc = QTextDocument()
    doc.setHtml(html)
    assert doc.toPlainText().strip() == "Call f(<b>&x</b>) now"
    cursor = QTextCursor(doc)
    cursor.setPosition(doc.toPlainText().index("f(") + 1)
    fmt = cursor.charFormat()
    assert fmt.background().color().name() == palette.inline_code_bg
    assert fmt.fontFamilies() == ["monospace"]


def test_a_quote_has_a_bar_and_quotes_inside_it_indent() -> None:
    # Qt shows <blockquote> as an indent alone. The bar is a table, so the outermost quote only:
    # tables nested in tables made a reply of nested quotes take over a minute to lay out.
    html, _ = markdown_html(make_markdown(), "> said\n>\n> > and before that\n\nAfter.")
    assert html.count("<table") == 1
    assert html.count("<blockquote>") == html.count("</blockquote>") == 1
    deep, _ = markdown_html(make_markdown(), "> " * 60 + "deep")
    assert deep.count("<table") == 1
    doc = QTextDocument()
    doc.setHtml(html)
    assert doc.toPlainText().split() == ["said", "and", "before", "that", "After."]
