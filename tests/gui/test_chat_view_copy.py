"""Copy: a code block's exact text from its Copy link, a message's Markdown, or the selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTextBrowser
from pytestqt.qtbot import QtBot

from tests.gui.harness import chat_showing
from tests.gui.test_safety import anchors
from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.ui.chat_view import ChatView
from writer_desktop.ui.plain_copy import plain_selection
from writer_desktop.ui.render import action_href

REPLY = (
    "Two blocks:\n\n```python\ndef f(x):\n    return x < 3 and '<b>'\n```\n\n"
    "- a list\n\n~~~\nplain   text\n\ttabbed\n~~~\n"
)


@pytest.fixture
def shown(qtbot: QtBot) -> tuple[ChatView, Message]:
    view = ChatView()
    view.resize(600, 500)
    qtbot.addWidget(view)
    view.show()
    reply = Message(Role.ASSISTANT, REPLY)
    view.show_conversation(Conversation(messages=[Message(Role.USER, "Show me code"), reply]))
    QApplication.clipboard().clear()
    return view, reply


def test_each_code_block_has_a_copy_link(shown: tuple[ChatView, Message]) -> None:
    view, reply = shown
    links = [h for h in anchors(view.document()) if h.startswith("wd-action:copy-code/")]
    assert links == [f"wd-action:copy-code/{reply.id}/0", f"wd-action:copy-code/{reply.id}/1"]


@pytest.mark.parametrize(
    ("index", "code"),
    [(0, "def f(x):\n    return x < 3 and '<b>'\n"), (1, "plain   text\n\ttabbed\n")],
)
def test_copy_link_copies_the_exact_code(
    shown: tuple[ChatView, Message], qtbot: QtBot, index: int, code: str
) -> None:
    view, reply = shown
    with qtbot.waitSignal(view.copied) as copied, qtbot.waitSignal(view.notice) as notice:
        view.anchorClicked.emit(QUrl(action_href("copy-code", reply.id, str(index))))
    assert QApplication.clipboard().text() == code
    assert copied.args == [code]
    assert notice.args == ["Copied code"]


def test_copy_links_to_nothing_copy_nothing(shown: tuple[ChatView, Message], qtbot: QtBot) -> None:
    view, reply = shown
    with qtbot.assertNotEmitted(view.copied):
        view.anchorClicked.emit(QUrl(action_href("copy-code", reply.id, "2")))
        view.anchorClicked.emit(QUrl(action_href("copy-code", "not-a-message", "0")))
        view.anchorClicked.emit(QUrl(f"wd-action:copy-code/{reply.id}/x"))
    assert QApplication.clipboard().text() == ""


def test_context_menu_copies_the_markdown_source(
    shown: tuple[ChatView, Message], qtbot: QtBot
) -> None:
    view, reply = shown
    layout = view.document().documentLayout()
    frame = view._window.frames[reply.id]
    top = layout.frameBoundingRect(frame).top() - view.verticalScrollBar().value()
    point = view.viewport().rect().topLeft()
    point.setX(40)
    point.setY(round(top) + 30)
    assert view.message_at(point) == reply.id
    menu = view.message_menu(point)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert actions["Copy &message"].isEnabled()
    assert not actions["&Copy text"].isEnabled()  # nothing selected
    with qtbot.waitSignal(view.copied):
        actions["Copy &message"].trigger()
    assert QApplication.clipboard().text() == REPLY


def test_context_menu_copies_the_selection_as_text(
    shown: tuple[ChatView, Message], qtbot: QtBot
) -> None:
    view, _ = shown
    cursor = view.document().find("a list")
    assert not cursor.isNull()
    view.setTextCursor(cursor)
    menu = view.message_menu(view.viewport().rect().center())
    copy_text = next(a for a in menu.actions() if a.text() == "&Copy text")
    assert copy_text.isEnabled()
    assert copy_text.shortcut().toString() == "Ctrl+C"  # the menu teaches the key
    with qtbot.waitSignal(view.notice) as blocker:
        copy_text.trigger()
    assert QApplication.clipboard().text() == "a list"
    assert blocker.args == ["Copied text"]
    view.setTextCursor(QTextCursor(view.document()))


def test_a_long_line_of_code_wraps_instead_of_widening_the_chat(qtbot: QtBot) -> None:
    # One unbroken line made the whole document as wide as the line: the conversation scrolled
    # sideways and the block's Copy link went out of view.
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    line = "x = " + " + ".join(f"value_{i}" for i in range(60))
    for code in (line, "A" * 3000):
        reply = Message(Role.ASSISTANT, f"Look:\n\n```python\n{code}\nprint(x)\n```\n")
        view.show_conversation(Conversation(messages=[reply]))
        qtbot.wait(20)
        assert view.horizontalScrollBar().maximum() == 0
        assert view.document().size().width() <= view.viewport().width()
        view.copy_code(reply.id, 0)
        assert QApplication.clipboard().text() == f"{code}\nprint(x)\n"  # copied as written


TOKEN = "QUJD" * 171  # a 684-character base64 key: wrapped by the renderer every 256 characters


def copied_by_ctrl_c(view: QTextBrowser, qtbot: QtBot) -> QMimeData:
    QApplication.clipboard().clear()
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    data = QApplication.clipboard().mimeData()
    assert data is not None
    return data


def test_ctrl_c_copies_plain_text_as_shown(qtbot: QtBot) -> None:
    # Qt's own copy gave the renderer's hidden wrap points (U+200B) inside long tokens, the code
    # blocks' "Copy" links, HTML with wd-action: links, and a Markdown version that lost a
    # character at each of its 80-column wraps.
    prompt = Message(Role.USER, f"KEY {TOKEN}\n\nfirst\n\n\nafter two blank lines")
    reply = Message(Role.ASSISTANT, f"Here:\n\n```\n{TOKEN}\n\tindented\n```\n\nDone.")
    view = chat_showing(qtbot, Conversation(messages=[prompt, reply]))
    view.selectAll()
    data = copied_by_ctrl_c(view, qtbot)
    assert data.formats() == ["text/plain"]
    text = data.text()
    assert "\u200b" not in text
    assert text.count(TOKEN) == 2
    assert "Copy" not in text.splitlines()
    # No line where "Copy" was; paragraphs apart by a blank line, as on screen (they were run
    # together); your own blank lines kept; no empty line first.
    assert "Here:\n\n" + TOKEN + "\n\tindented\n\nDone." in text
    assert "first\n\n\nafter two blank lines" in text
    assert text.startswith("You\n\nKEY ")
    assert plain_selection(view.textCursor()) == text  # the same as the menu's Copy text


def test_the_quick_answer_copies_plain_text_too(qtbot: QtBot) -> None:
    from writer_desktop.ui.quick_prompt import AnswerView

    view = AnswerView()
    view.resize(500, 400)
    qtbot.addWidget(view)
    view.show()
    view.show_message(Message(Role.ASSISTANT, f"```\n{TOKEN}\n```\n"))
    view.selectAll()
    data = copied_by_ctrl_c(view, qtbot)
    assert data.formats() == ["text/plain"]
    assert data.text().strip() == TOKEN


def test_the_code_starts_right_under_its_copy_link(shown: tuple[ChatView, Message]) -> None:
    # The Copy row's padding and the code cell's added up to what looked like an empty first
    # line in every code block.
    view, _ = shown
    document = view.document()
    layout = document.documentLayout()
    copy = document.find("Copy").block()
    code = document.find("def f(x):").block()
    gap = layout.blockBoundingRect(code).top() - layout.blockBoundingRect(copy).bottom()
    assert 0 <= gap < view.fontMetrics().lineSpacing() / 2


def test_paragraphs_and_lists_copy_as_they_read(qtbot: QtBot) -> None:
    # Paragraphs came out run together, one per line, and list items without their bullets.
    reply = Message(Role.ASSISTANT, "One.\n\nTwo.\n\n- a\n- b\n\n1. x\n2. y\n\nEnd.")
    view = chat_showing(qtbot, Conversation(messages=[reply]))
    view.selectAll()
    text = plain_selection(view.textCursor())
    assert text.endswith("One.\n\nTwo.\n\n• a\n• b\n\n1. x\n2. y\n\nEnd.")
