"""Long conversations open fast: only the last screenfuls render, older ones as the user scrolls."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.ui import message_frames
from writer_desktop.ui.chat_view import ChatView


def long_conversation(n: int) -> Conversation:
    def text(i: int) -> str:
        if i % 2 == 0:
            return f"Question {i}: how does part {i} work?"
        code = f"```python\nprint({i})\n```"
        return f"Answer {i}.\n\n" + "Some words about it. " * 30 + f"\n\n- one\n- two\n\n{code}"

    roles = (Role.USER, Role.ASSISTANT)
    return Conversation(messages=[Message(roles[i % 2], text(i)) for i in range(n)])


@pytest.fixture
def view(qtbot: QtBot) -> ChatView:
    v = ChatView()
    v.resize(600, 400)
    qtbot.addWidget(v)
    v.show()
    return v


def test_opening_renders_only_the_end(view: ChatView, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []
    original = view._html

    def counting(message: Message) -> str:
        rendered.append(message.id)
        return original(message)

    monkeypatch.setattr(view, "_html", counting)
    conv = long_conversation(2000)
    view.show_conversation(conv)
    assert 2 <= view.rendered_count() <= 30
    assert rendered == [m.id for m in conv.messages[-len(rendered) :]][::-1]  # newest first
    assert "Answer 1999." in view.toPlainText()
    assert "Question 0:" not in view.toPlainText()
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0
    assert view.document().size().height() >= 2 * view.viewport().height()


def test_a_short_conversation_is_rendered_whole(view: ChatView) -> None:
    conv = Conversation(messages=[Message(Role.USER, f"line {i}") for i in range(30)])
    view.show_conversation(conv)
    assert view.rendered_count() == 30


def test_scrolling_up_renders_older_messages_in_place(view: ChatView, qtbot: QtBot) -> None:
    conv = long_conversation(60)
    view.show_conversation(conv)
    before = view.rendered_count()
    bar = view.verticalScrollBar()
    layout = view.document().documentLayout()
    oldest = view._window.frames[view._window.rendered[0]]
    bar.setValue(0)  # the oldest rendered message at the top of the viewport
    offset = layout.frameBoundingRect(oldest).top()
    qtbot.waitUntil(lambda: view.rendered_count() > before)
    qtbot.waitUntil(lambda: not view._lazy.busy())
    assert bar.value() > 0
    assert abs(layout.frameBoundingRect(oldest).top() - bar.value() - offset) <= 2  # in place
    for _ in range(100):  # keep scrolling up until the start
        if view.rendered_count() == 60:
            break
        bar.setValue(0)
        qtbot.wait(5)
    assert view.rendered_count() == 60
    text = view.toPlainText()
    assert text.index("Question 0:") < text.index("Answer 1.") < text.index("Answer 59.")


def test_the_window_is_trimmed_and_follows_the_user_back_down(
    view: ChatView, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_frames, "MAX_RENDERED", 30)
    conv = long_conversation(80)
    view.show_conversation(conv)
    bar = view.verticalScrollBar()
    for _ in range(200):
        if view._window.lo == 0:
            break
        bar.setValue(0)
        qtbot.wait(2)
    assert view._window.lo == 0
    assert view.rendered_count() <= 50  # the limit, plus what is on screen and one chunk
    assert "Answer 79." not in view.toPlainText()  # trimmed at the bottom
    for _ in range(400):
        if view._window.at_end:
            break
        bar.setValue(bar.maximum())
        qtbot.wait(2)
    assert view._window.at_end
    assert "Answer 79." in view.toPlainText()
    assert "Question 0:" not in view.toPlainText()  # trimmed at the top
    assert view.rendered_count() <= 50


def test_new_messages_jump_to_the_end_when_the_window_is_up(view: ChatView, qtbot: QtBot) -> None:
    conv = long_conversation(400)
    view.show_conversation(conv)
    view._window.reset(view._window.order)  # as if the user had scrolled far up:
    view._window.lo = view._window.hi = 10  # the window shows messages 10.. only
    view._window.append(0, count=3)
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    view.add_message(conv.id, Message(Role.USER, "Another question"))
    view.add_message(conv.id, reply)
    view.append_delta(conv.id, reply.id, "Fresh words")
    qtbot.waitUntil(lambda: "Fresh words" in view.toPlainText())
    assert "Another question" in view.toPlainText()
    assert view._window.at_end
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    QApplication.processEvents()
