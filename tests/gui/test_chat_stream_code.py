"""A long code block streams in parts of its own, and shows whole and exact once finished."""

from __future__ import annotations

import random

import pytest
from PySide6.QtGui import QTextTable
from pytestqt.qtbot import QtBot

from tests.gui.test_chat_stream_plain import shape, streaming_view
from writer_desktop.core.models import Status
from writer_desktop.ui import chat_stream
from writer_desktop.ui.chat_view import ChatView
from writer_desktop.ui.tail_split import open_fence_end, stable_end

CODE = "".join(f"def f_{i}(x):\n    return x * {i}  # line {i}\n\n" for i in range(60))
TEXT = (
    "Here is the code:\n\n```python\n" + CODE + "```\n\nAnd a second block:\n\n~~~\n"
    + "plain line\n" * 40 + "~~~\n\nThat is all.\n"
)  # fmt: skip


def lines(view: ChatView) -> list[str]:
    """The text lines shown, without the Copy links and the status line, whose places differ."""
    shown = [t.rstrip(" ") for t, _, _, _ in shape(view.document(), skip_empty=True)]
    return [t for t in shown if t not in ("Copy", "Writing…")]


def tables(view: ChatView) -> int:
    found, stack = 0, [view.document().rootFrame()]
    while stack:
        frame = stack.pop()
        found += isinstance(frame, QTextTable)
        stack.extend(frame.childFrames())
    return found


def test_a_long_code_block_streams_in_parts_showing_every_line_once(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunked, conv, reply = streaming_view(qtbot)
    whole, conv2, reply2 = streaming_view(qtbot)
    rng = random.Random(3)
    pos = 0
    while pos < len(TEXT):
        piece = TEXT[pos : pos + rng.randint(1, 60)]
        pos += len(piece)
        chunked.append_delta(conv.id, reply.id, piece)
        whole.append_delta(conv2.id, reply2.id, piece)
        monkeypatch.setattr(chat_stream, "CODE_COMMIT", 400)  # many pieces
        chunked._flush()
        monkeypatch.setattr(chat_stream, "CODE_COMMIT", 10**9)  # never: the block whole
        whole._flush()
        assert lines(chunked) == lines(whole), TEXT[:pos][-60:]
    split = chunked._splits[reply.id]
    assert split.chunked  # the blocks were committed in pieces
    assert tables(chunked) > tables(whole)
    reply.content, reply.status = TEXT, Status.COMPLETE
    chunked.update_message(conv.id, reply)
    assert reply.id not in chunked._splits
    fresh = ChatView()  # the finished reply as it shows when its conversation is opened
    fresh.resize(600, 400)
    qtbot.addWidget(fresh)
    fresh.show_conversation(conv)
    assert shape(chunked.document()) == shape(fresh.document())  # one block again, exactly
    assert tables(chunked) == 2


def test_pieces_of_a_code_block_join_without_a_gap(qtbot: QtBot) -> None:
    view, conv, reply = streaming_view(qtbot)
    view.append_delta(conv.id, reply.id, "Code:\n\n```\n" + "x = 1\n" * 2000)
    view._flush()
    split = view._splits[reply.id]
    assert split.fence == "```"
    parts = split.parts_frame.childFrames()
    assert [p.frameFormat().topMargin() for p in parts] == [chat_stream.PARAGRAPH_GAP]
    assert split.open_frame.frameFormat().topMargin() == 0  # goes on with the block
    view.append_delta(conv.id, reply.id, "x = 1\n" * 1000 + "```\n\nAfter.\n\nMore")
    view._flush()
    assert split.fence is None
    assert split.open_frame.frameFormat().topMargin() == chat_stream.PARAGRAPH_GAP
    # the rest of the block and what follows it: one part, joined to the block's first
    assert [p.frameFormat().topMargin() for p in split.parts_frame.childFrames()][1:] == [0]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", None),
        ("a\n\nb\n", None),  # no fence
        ("```py\nx\ny", (len("```py\nx\n"), "```py")),  # the last complete line, inside
        ("a\n\n  ~~~~ sh\nx\n", (len("a\n\n  ~~~~ sh\nx\n"), "  ~~~~ sh")),
        ("```\nx\n```\n", None),  # closed
        ("```\nx\n```\ny\n", None),
        ("~~~~\nx\n~~~\ny\n", (len("~~~~\nx\n~~~\ny\n"), "~~~~")),  # ~~~ does not close ~~~~
        ("``` not `a` fence\nx\n", None),  # backticks in the info string: not a fence
        ("    ```\nx\n", None),  # indented four spaces: code, not a fence
    ],
)
def test_open_fence_end(text: str, found: tuple[int, str] | None) -> None:
    assert open_fence_end(text) == found


def test_open_fence_end_and_stable_end_from_inside_a_fence() -> None:
    text = "```py\nx = 1\ny = 2\n```\n\nAfter.\n\nMore"
    start = len("```py\nx = 1\n")  # a part ended there, inside the fence
    assert open_fence_end(text[: start + 4], start, "```py") is None  # no line finished since
    assert open_fence_end(text[: start + 6], start, "```py") == (start + 6, "```py")
    assert text[stable_end(text, start, "```py") :] == "More"
    assert open_fence_end(text, start, "```py") is None  # closed by then
