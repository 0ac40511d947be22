"""A streaming reply split into parts (``chat_stream.py``) is drawn where rendering it whole
would draw it: no line moves when the first finished blocks are committed, nor at any later
flush, in the chat view and in the quick prompt."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from tests.gui.test_chat_stream_plain import TEXTS
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.ui import chat_view, quick_prompt
from writer_desktop.ui.chat_view import ChatView
from writer_desktop.ui.quick_prompt import QuickPrompt

Lines = list[tuple[str, float, float]]


def lines_at(doc: QTextDocument) -> Lines:
    """Every line of text with where it is drawn (top, height)."""
    layout = doc.documentLayout()
    found = []
    block = doc.begin()
    while block.isValid():
        if block.text():
            rect = layout.blockBoundingRect(block)
            # Qt's HTML import leaves a space after a part's last line; it is not drawn.
            found.append((block.text().rstrip(" "), rect.top(), rect.height()))
        block = block.next()
    return found


class Whole:
    """Makes ``module.render_in_parts`` decline while :meth:`rendering` is active."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
        self.active = False
        real: Callable[..., Any] = module.render_in_parts

        def chooser(*args: Any, **kwargs: Any) -> Any:
            return None if self.active else real(*args, **kwargs)

        monkeypatch.setattr(module, "render_in_parts", chooser)

    @contextmanager
    def rendering(self) -> Iterator[None]:
        self.active = True
        try:
            yield
        finally:
            self.active = False


def pieces(text: str) -> Iterator[str]:
    rng = random.Random(5)
    pos = 0
    while pos < len(text):
        piece = text[pos : pos + rng.randint(1, 40)]
        pos += len(piece)
        yield piece


@pytest.mark.parametrize("name", list(TEXTS))
def test_chat_view_lines_stay_where_a_whole_render_puts_them(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    whole_mode = Whole(monkeypatch, chat_view)
    views = []
    for _ in range(2):
        view = ChatView()
        view.resize(600, 500)
        qtbot.addWidget(view)
        view.show()  # laid out: where each line is drawn is known
        reply = Message(Role.ASSISTANT, "", status=Status.STREAMING, id="reply")
        conv = Conversation(messages=[Message(Role.USER, "Write"), reply])
        view.show_conversation(conv)
        views.append((view, conv, reply))
    (parts, conv, reply), (whole, conv2, reply2) = views
    split_seen = False
    for piece in pieces(TEXTS[name]):
        parts.append_delta(conv.id, reply.id, piece)
        whole.append_delta(conv2.id, reply2.id, piece)
        parts._flush()
        with whole_mode.rendering():
            whole._flush()
        split_seen |= reply.id in parts._splits
        drawn = lines_at(parts.document())
        assert drawn == lines_at(whole.document())
        assert drawn[-1][1] > 0
    assert split_seen
    assert whole._splits == {}


@pytest.mark.parametrize("name", list(TEXTS))
def test_quick_prompt_lines_stay_where_a_whole_render_puts_them(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    whole_mode = Whole(monkeypatch, quick_prompt)
    parts, whole = QuickPrompt(), QuickPrompt()
    for widget in (parts, whole):
        qtbot.addWidget(widget)
        widget.show_prompt("q")
        widget.start_reply("conv", "reply")
    split_seen = False
    for piece in pieces(TEXTS[name]):
        parts.append_delta("conv", "reply", piece)
        whole.append_delta("conv", "reply", piece)
        parts._flush()
        with whole_mode.rendering():
            whole._flush()
        split_seen |= parts.answer._split is not None
        drawn = lines_at(parts.answer.document())
        assert drawn == lines_at(whole.answer.document())
        assert drawn[-1][1] > 0
    assert split_seen
