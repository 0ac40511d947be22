"""The chat view on its own: coalesced tail-only re-rendering and following the tail."""

from __future__ import annotations

from collections import Counter
from typing import cast

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QTextCursor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.ui.chat_stream import FLUSH_CHARS
from writer_desktop.ui.chat_view import FLUSH_MS, ChatView


def conversation(n: int) -> tuple[Conversation, Message]:
    messages = [
        Message(Role.USER if i % 2 == 0 else Role.ASSISTANT, f"line {i}\n" * 5) for i in range(n)
    ]
    tail = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    return Conversation(messages=[*messages, tail]), tail


@pytest.fixture
def view(qtbot: QtBot) -> ChatView:
    v = ChatView()
    v.resize(500, 300)
    qtbot.addWidget(v)
    v.show()
    return v


def test_bursts_of_deltas_render_only_the_tail_once(
    view: ChatView, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv, tail = conversation(40)
    view.show_conversation(conv)
    rendered: Counter[str] = Counter()
    original = view._html

    def counting(message: Message) -> str:
        rendered[message.id] += 1
        return original(message)

    monkeypatch.setattr(view, "_html", counting)
    for i in range(500):
        view.append_delta(conv.id, tail.id, f"w{i} ")
    qtbot.wait(FLUSH_MS * 3)
    assert rendered == Counter({tail.id: 1})
    assert view.message_text(tail.id).startswith("w0 w1 ")
    assert "w499" in view.toPlainText()
    view.append_delta("another conversation", tail.id, "ignored")
    qtbot.wait(FLUSH_MS * 3)
    assert "ignored" not in view.toPlainText()


def test_text_faster_than_the_timer_is_drawn_in_equal_steps(view: ChatView, qtbot: QtBot) -> None:
    """A reply arriving faster than 12.5 renders a second can show is drawn every FLUSH_CHARS
    characters, at once: no render has to lay out a whole burst (figure 2's stall)."""
    conv, tail = conversation(4)
    view.show_conversation(conv)
    qtbot.wait(FLUSH_MS + 10)
    flushes: list[int] = []
    original = view._flush

    def counting() -> None:
        flushes.append(len(view.message_text(tail.id)))
        original()

    view._flush = counting  # type: ignore[method-assign]
    piece = "word " * 20  # 100 characters a read, no event loop in between
    total = FLUSH_CHARS * 3 + FLUSH_CHARS // 2
    for _ in range(total // len(piece)):
        view.append_delta(conv.id, tail.id, piece)
    assert flushes == [FLUSH_CHARS, FLUSH_CHARS * 2, FLUSH_CHARS * 3]
    assert view.toPlainText().count("word") == FLUSH_CHARS * 3 // 5  # shown already
    qtbot.waitUntil(lambda: len(flushes) == 4, timeout=FLUSH_MS * 5)  # the rest: the timer
    assert view.toPlainText().count("word") == total // 5


def test_follows_the_tail_unless_scrolled_up(view: ChatView, qtbot: QtBot) -> None:
    conv, tail = conversation(30)
    view.show_conversation(conv)
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0
    assert bar.value() == bar.maximum()
    view.append_delta(conv.id, tail.id, "more\n\n" * 20)
    qtbot.waitUntil(lambda: "more" in view.toPlainText())
    assert bar.value() == bar.maximum()
    bar.setValue(0)  # the user scrolls up to read
    view.append_delta(conv.id, tail.id, "even more\n\n" * 20)
    qtbot.waitUntil(lambda: "even more" in view.toPlainText())
    assert bar.value() == 0


def long_conversation(n: int) -> Conversation:
    """``n`` messages, yours and replies in turn, a few lines each."""
    return Conversation(
        title="long",
        messages=[
            Message(Role.USER if i % 2 == 0 else Role.ASSISTANT, f"message {i} " * 30)
            for i in range(n)
        ],
    )


def test_the_menu_key_opens_the_menu_of_the_message_scrolled_to_the_top(
    view: ChatView, qtbot: QtBot
) -> None:
    # It opened for the hidden text cursor's message (the last, mostly): Edit, Branch and the
    # versions of earlier messages were left to the mouse.
    conv = long_conversation(40)
    view.show_conversation(conv)
    target = conv.messages[30]  # a question of yours, well above the end
    view.show_message(target.id)  # scrolled to the top of the view, as PageUp would bring it
    point = view.keyboard_menu_point()
    assert view.message_at(point) == target.id
    menu = view.message_menu(point)
    assert "&Edit and resend…" in [a.text() for a in menu.actions()]
    menu.deleteLater()
    view.verticalScrollBar().setValue(view.verticalScrollBar().value() + 40)  # its header out
    assert view.message_at(view.keyboard_menu_point()) == conv.messages[31].id  # the next header
    # With text of two messages selected it opened at the selection's left edge, between
    # messages: Copy message off, and no Edit, Regenerate or Branch.
    value = view.verticalScrollBar().value()
    cursor = view.textCursor()
    cursor.setPosition(view._window.frames[conv.messages[31].id].firstPosition())
    end = view._window.frames[conv.messages[32].id].lastPosition()
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    view.verticalScrollBar().setValue(value)
    assert view.message_at(view.keyboard_menu_point()) == conv.messages[31].id


def test_ctrl_home_and_ctrl_end_go_to_the_first_and_the_latest_message(
    view: ChatView, qtbot: QtBot
) -> None:
    # The read-only view ignored both: Home and End only reached the ends of what was rendered.
    conv = long_conversation(300)
    view.show_conversation(conv)
    bar = view.verticalScrollBar()
    assert conv.messages[0].id not in view._window.frames  # only the end is rendered at first
    QTest.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert bar.value() == 0
    assert view.message_at(view.keyboard_menu_point()) == conv.messages[0].id
    QTest.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert bar.value() == bar.maximum()
    assert conv.messages[-1].id in view._window.frames
    assert view._lazy.following()  # a reply streaming there would be followed again


def test_latest_after_ctrl_home_goes_to_the_latest_message_not_the_end_rendered(
    view: ChatView, qtbot: QtBot
) -> None:
    # It scrolled to the end of what was rendered around the top: message ~19 of 300.
    conv = long_conversation(300)
    view.show_conversation(conv)
    QTest.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert conv.messages[-1].id not in view._window.frames
    qtbot.waitUntil(view.latest.isVisible, timeout=2000)
    view.latest.click()
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    assert conv.messages[-1].id in view._window.frames
    span = view.message_span(conv.messages[-1].id)
    assert span is not None
    end = view.textCursor()
    end.setPosition(span[1])
    assert view.viewport().rect().contains(view.cursorRect(end).center())  # its end on screen
    assert view._lazy.following()
    assert not view.latest.isVisible()


def test_tab_never_leaves_a_link_under_the_latest_button(view: ChatView, qtbot: QtBot) -> None:
    # Qt scrolls the link Tab reaches just into view: at the bottom, where ↓ Latest sits.
    words = " ".join(f"word{i}" for i in range(40))  # a link as wide as the view, some lines
    conv = Conversation(
        messages=[
            Message(Role.ASSISTANT, f"Reply {i}.\n\n[{words}](https://example.com/{i})")
            for i in range(30)
        ]
    )
    view.show_conversation(conv)
    view.activateWindow()  # Tab steps through links only in a focused view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    QTest.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert view.latest.isVisible()
    reached = 0
    for _ in range(12):
        QTest.keyClick(view, Qt.Key.Key_Tab)
        qtbot.waitUntil(lambda: not view._lazy.busy())  # more rendered below, as in idle time
        cursor = view.textCursor()
        assert cursor.hasSelection()  # on a link
        if view.latest.isVisible():
            reached += 1
            link = view._selection_rect(cursor)
            assert link.width() == view.viewport().width()  # on several lines, as meant
            assert not link.intersects(view.latest.geometry()), cursor.selectedText()[:20]
    assert reached >= 5


def test_the_menu_key_on_a_link_reached_with_tab_opens_that_messages_menu(
    view: ChatView, qtbot: QtBot
) -> None:
    # It opened the menu of the message at the top of the view, not the one whose link
    # showed the focus box.
    conv = Conversation(
        messages=[
            Message(
                Role.ASSISTANT,
                f"Message {i} [link](https://example.com/{i})",
            )
            for i in range(6)
        ]
    )
    view.show_conversation(conv)
    view.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    QTest.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    for _ in range(3):
        QTest.keyClick(view, Qt.Key.Key_Tab)
    assert view.textCursor().selectedText() == "link"
    assert view.message_at(view.keyboard_menu_point()) == conv.messages[2].id


def test_a_ring_shows_while_the_conversation_has_the_focus(view: ChatView, qtbot: QtBot) -> None:
    # Fusion draws no focus frame around a text view: Tab into the conversation showed nothing.
    view.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    ring = view.focus_ring.strips
    assert all(strip.isVisible() for strip in ring)
    edges = {(s.x(), s.y(), s.width(), s.height()) for s in ring}
    w, h = view.width(), view.height()
    assert edges == {(0, 0, w, 2), (0, h - 2, w, 2), (0, 0, 2, h), (w - 2, 0, 2, h)}
    colour = view.palette().color(QPalette.ColorRole.Highlight)
    image = view.grab().toImage()
    assert image.pixelColor(w // 2, 0) == colour
    assert image.pixelColor(0, h // 2) == colour
    view.resize(w + 40, h)
    assert max(s.x() + s.width() for s in ring) == w + 40  # follows the size
    view.clearFocus()  # the focus elsewhere
    assert not any(strip.isVisible() for strip in ring)


def test_the_prompt_shows_a_ring_while_it_has_the_focus(qtbot: QtBot) -> None:
    # Fusion frames a focused line edit, not a text box: the prompt showed focus by its caret.
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from writer_desktop.ui.composer import PromptEdit

    host = QWidget()
    qtbot.addWidget(host)
    editor, other = PromptEdit(host), QLineEdit(host)
    layout = QVBoxLayout(host)
    layout.addWidget(editor)
    layout.addWidget(other)
    host.show()
    host.activateWindow()
    qtbot.waitActive(host)
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    assert all(strip.isVisible() for strip in editor.focus_ring.strips)
    colour = editor.palette().color(QPalette.ColorRole.Highlight)
    assert editor.grab().toImage().pixelColor(editor.width() // 2, 0) == colour
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    assert not any(strip.isVisible() for strip in editor.focus_ring.strips)


def test_a_tab_in_code_is_four_columns_at_any_text_size(qtbot: QtBot) -> None:
    # Qt's default tab stop (80 px) indented `\treturn` like 11 spaces.
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.show_conversation(Conversation(messages=[Message(Role.ASSISTANT, "no tabs")]))
    assert view.document().defaultTextOption().tabStopDistance() == 80  # code font not loaded
    reply = Message(Role.ASSISTANT, "```\n\tqqq\n    zzz\n```")
    view.show_conversation(Conversation(messages=[reply]))

    def x_of(text: str) -> float:
        cursor = view.document().find(text)
        block, at = cursor.block(), cursor.selectionStart() - cursor.block().position()
        line = block.layout().lineForTextPosition(at)
        return cast(tuple[float, int], line.cursorToX(at))[0]

    for percent in (100, 200):
        view.set_text_scale(percent)
        assert x_of("qqq") == pytest.approx(x_of("zzz"), abs=0.5)
        assert x_of("qqq") > 0
