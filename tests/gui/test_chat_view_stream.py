"""Long replies stream in linear time: finished blocks render once, only the open tail again."""

from __future__ import annotations

import gc
from collections import Counter

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.ui import chat_stream
from writer_desktop.ui.chat_view import FLUSH_MS, ChatView
from writer_desktop.ui.render import action_href
from writer_desktop.ui.tail_split import stable_end


@pytest.mark.parametrize(
    ("text", "stable"),
    [
        ("", ""),
        ("one line", ""),
        ("para\n\nopen", "para\n\n"),
        ("a\n\nb\n\n", "a\n\nb\n\n"),
        ("a\n\n```py\nx\n\ny\n", "a\n\n"),  # the blank line inside the fence does not count
        ("```py\nx\n\n```\n\nz", "```py\nx\n\n```\n\n"),
        ("~~~~\nx\n~~~\n\ny\n~~~~\n\nz", "~~~~\nx\n~~~\n\ny\n~~~~\n\n"),  # closing needs ≥ 4
        ("```\nx\n```` \n\nz", "```\nx\n```` \n\n"),
        ("``` not `a` fence\n\nz", "``` not `a` fence\n\n"),  # backticks in the info string
        ("    ```\n\nz", "    ```\n\n"),  # indented four spaces: code, not a fence
        ("a\n  \nb", "a\n  \n"),  # a line of spaces is blank
    ],
)
def test_stable_end(text: str, stable: str) -> None:
    assert text[: stable_end(text)] == stable


def test_stable_end_from_a_previous_cut() -> None:
    text = "a\n\n```\nx\n\n```\n\nb\n\nc"
    first = stable_end(text[:6])
    assert first == 3
    assert text[: stable_end(text, first)] == "a\n\n```\nx\n\n```\n\nb\n\n"


def reply_text(paragraphs: int) -> str:
    parts = []
    for i in range(paragraphs):
        parts.append(f"Paragraph {i} " + "word " * 40)
        if i % 10 == 5:
            parts.append(f"```python\nprint({i})\n\nprint('after a blank line')\n```")
    return "\n\n".join(parts) + "\n\nThe end"


def test_a_long_reply_streams_in_parts_and_ends_whole(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_stream, "COMMIT_MIN", 500)
    view = ChatView()
    view.resize(600, 400)
    qtbot.addWidget(view)
    view.show()
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    conv = Conversation(messages=[Message(Role.USER, "Write a lot"), reply])
    view.show_conversation(conv)
    full: Counter[str] = Counter()
    original = view._html
    monkeypatch.setattr(view, "_html", lambda m: full.update([m.id]) or original(m))
    text = reply_text(60)
    for start in range(0, len(text), 40):
        view.append_delta(conv.id, reply.id, text[start : start + 40])
        if start % 400 == 0:
            qtbot.wait(FLUSH_MS + 5)
        if start == 1200:
            assert reply.id in view._splits  # split once 500 characters were finished
            whole_renders = full[reply.id]
    qtbot.waitUntil(lambda: "The end" in view.toPlainText())
    assert full[reply.id] == whole_renders  # since then, never the whole reply again
    split = view._splits[reply.id]
    assert len(split.committed) > len(text) - 2000
    shown = view.toPlainText()
    positions = [shown.index(f"Paragraph {i} ") for i in range(60)]
    assert positions == sorted(positions)
    assert shown.count("Paragraph 59 ") == 1
    assert "Writing…" in shown
    # Copy links are numbered across the parts: the last block is number 5.
    QApplication.clipboard().clear()
    view.anchorClicked.emit(QUrl(action_href("copy-code", reply.id, "5")))
    assert QApplication.clipboard().text() == "print(55)\n\nprint('after a blank line')\n"
    # Finishing keeps the parts and only updates the tail.
    reply.content, reply.status = text, Status.COMPLETE
    view.update_message(conv.id, reply)
    assert reply.id in view._splits
    assert "Writing…" not in view.toPlainText()
    assert view.toPlainText().count("Paragraph 59 ") == 1
    # A retry replaces the text: a fresh, whole render.
    reply.content, reply.status = "Short now.", Status.COMPLETE
    view.update_message(conv.id, reply)
    assert reply.id not in view._splits
    assert "Paragraph" not in view.toPlainText()
    assert "Short now." in view.toPlainText()


def test_another_conversation_opens_after_a_reply_streamed_in_parts(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    conv = Conversation(messages=[Message(Role.USER, "Write a lot"), reply])
    view.show_conversation(conv)
    text = reply_text(30)
    for start in range(0, len(text), 200):
        view.append_delta(conv.id, reply.id, text[start : start + 200])
        qtbot.wait(FLUSH_MS + 5)
    assert reply.id in view._splits  # parts were committed (and their frames let go)
    gc.collect()
    view.show_conversation(Conversation(messages=[Message(Role.USER, "Something else")]))
    assert view.toPlainText().strip().endswith("Something else")


def test_a_link_reference_in_a_later_part_links_the_text_once_the_reply_ends(
    qtbot: QtBot,
) -> None:
    # "[the docs][r]" and "[r]: https://…" fell in different parts of a streamed reply: both
    # stayed raw text for good (a reopened conversation, rendered whole, linked them).
    view = ChatView()
    qtbot.addWidget(view)
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    conv = Conversation(messages=[Message(Role.USER, "Sources?"), reply])
    view.show_conversation(conv)
    text = "See [the docs][r] first.\n\n" + reply_text(12) + "\n\n[r]: https://example.com/docs\n"
    for start in range(0, len(text), 200):
        view.append_delta(conv.id, reply.id, text[start : start + 200])
        qtbot.wait(FLUSH_MS + 5)
    assert reply.id in view._splits
    assert "[the docs][r]" in view.toPlainText()  # while it streams: not known yet
    reply.content, reply.status = text, Status.COMPLETE
    view.update_message(conv.id, reply)
    shown = view.toPlainText()
    assert "[the docs][r]" not in shown
    assert "[r]: https://example.com/docs" not in shown
    assert "See the docs first." in shown
    assert "https://example.com/docs" in view.toHtml()  # a link now
