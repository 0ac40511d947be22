"""Plain text appended to a streaming reply's tail shows exactly as rendering it would."""

from __future__ import annotations

import random
from typing import Any

import pytest
from PySide6.QtGui import QTextDocument, QTextFormat
from pytestqt.qtbot import QtBot

from tests.fake_writer.texts import token_stream
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.ui import chat_stream
from writer_desktop.ui.chat_view import ChatView
from writer_desktop.ui.render import ZERO_WIDTH_SPACE
from writer_desktop.ui.tail_split import plain_paragraphs, plain_shown, stable_end

Shape = list[tuple[str, dict[int, Any], dict[int, Any], list[tuple[str, dict[int, Any]]]]]


def shape(doc: QTextDocument, skip_empty: bool = False) -> Shape:
    """Every block: its text, its formats and its runs of text with their formats. A list's
    number in the document (ObjectIndex) is replaced by its order: renders made more of them."""
    objects: dict[int, int] = {}

    def props(fmt: QTextFormat) -> dict[int, Any]:
        found = dict(fmt.properties())
        index = found.get(QTextFormat.Property.ObjectIndex.value)
        if index is not None:
            found[QTextFormat.Property.ObjectIndex.value] = objects.setdefault(index, len(objects))
        return found

    blocks: Shape = []
    block = doc.begin()
    while block.isValid():
        if block.text() or not skip_empty:
            runs = []
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                runs.append((fragment.text(), props(fragment.charFormat())))
                it += 1
            blocks.append(
                (block.text(), props(block.blockFormat()), props(block.charFormat()), runs)
            )
        block = block.next()
    return blocks


def streaming_view(qtbot: QtBot) -> tuple[ChatView, Conversation, Message]:
    view = ChatView()
    view.resize(600, 400)
    qtbot.addWidget(view)
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING, id="reply")  # Copy links name it
    conv = Conversation(messages=[Message(Role.USER, "Write"), reply])
    view.show_conversation(conv)
    return view, conv, reply


INTRO = "".join(f"Paragraph {i} with some words in it, then a full stop.\n\n" for i in range(8))
TEXTS = {
    "benchmark": INTRO + "".join(token_stream(1500)),
    "markdown between": INTRO
    + "Plain words first. Then **bold** and `code` and a [link](https://x.org) here.\n\n"
    + "More plain text follows on.\n\n- a list\n- of two\n\nPlain again, at last.\n\n"
    + "# A heading\n\nText.\n\n```py\nx = 1\n\nplain inside a fence\n```\n\nAfter the fence.\n\n"
    + "1. one\n\nWords then 2. not a list\n\nsetext below\n===\n\nsoft\nbreak and hard  \nbreak\n\n"
    + "Tail words end here",
    "hostile": INTRO
    + "Plain then <b>tag</b> &amp; &lt; &copy; entities.\n\nAn \u202eoverride\u202c here.\n\n"
    + "Spaces   inside  and trailing   \n\nNo\u00a0break\u3000space.\n\n"
    + "\"Quoted\" text 'single'.\n\n"
    + "Tab\there.\n\nLast plain paragraph, a long one "
    + "x" * 700
    + " end",
    # a line is plain until an address shows in it, then rendered (the address is a link)
    "addresses": INTRO
    + "See https://dev.writer.com/docs for more, or www.writer.com.\n\nPlain then.\n\n"
    + "Ends with https://x.org/a_(b)).\n\nwww.\n\nhttps:// alone\n\nLast words",
    "long run": INTRO + "Then " + "é" * 1300 + " and 日本語" * 30 + "\n\nafter",
    # runs of blank lines and a line break without one: the finished part's end and the last
    # paragraph's start are tracked from the new text only
    "blank lines": INTRO
    + "One line\n\n\n\nTwo after three blanks\n\n\nThree\nsoft break\n\nFour.\n\n\n\n"
    + "".join(f"Short {i}\n\n" + "\n" * (i % 3) for i in range(40))
    + "End",
}


@pytest.mark.parametrize("name", list(TEXTS))
def test_appending_plain_text_shows_what_rendering_shows(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Streamed in tiny pieces, flushed after each: once with plain text appended where it can
    be, once always rendered. Commits come at the same places, so the documents are identical."""
    monkeypatch.setattr(chat_stream, "COMMIT_LATER", chat_stream.COMMIT_MIN)
    fast, conv, reply = streaming_view(qtbot)
    slow, conv2, reply2 = streaming_view(qtbot)
    text = TEXTS[name]
    rng = random.Random(7)
    pos = appended = 0
    while pos < len(text):
        piece = text[pos : pos + rng.randint(1, 9)]
        pos += len(piece)
        for view, c, m in ((fast, conv, reply), (slow, conv2, reply2)):
            view.append_delta(c.id, m.id, piece)
        split = fast._splits.get(reply.id)
        appended += split is not None and split.tail is not None
        fast._flush()
        split = fast._splits.get(reply.id)
        if split is not None and split.tail is not None:  # kept up to date, as if computed anew
            shown = split.shown
            assert split.stable == stable_end(shown)
            assert split.tail.block().text() == split.last
            assert split.tail.atBlockEnd()
            assert shown[split.last_at :].rstrip("\n") == shown.rstrip("\n").rsplit("\n", 1)[-1]
        slow._flush()
        for s in slow._splits.values():
            s.tail = None  # never append: always render the tail
        assert shape(fast.document()) == shape(slow.document()), text[:pos][-80:]
    assert appended > 20  # the plain stretches were appended, not rendered
    for view, c, m in ((fast, conv, reply), (slow, conv2, reply2)):
        m.content, m.status = text, Status.COMPLETE
        view.update_message(c.id, m)
    assert shape(fast.document()) == shape(slow.document())


def test_committing_later_while_appending_shows_the_same_text(qtbot: QtBot) -> None:
    """With commits put off while text is appended, the parts are cut elsewhere, but every line
    of text shows as in a reply rendered whole, with the same formats."""
    fast, conv, reply = streaming_view(qtbot)
    text = TEXTS["benchmark"]
    for start in range(0, len(text), 150):
        fast.append_delta(conv.id, reply.id, text[start : start + 150])
        fast._flush()
    assert reply.id in fast._splits
    whole, conv2, reply2 = streaming_view(qtbot)
    whole.append_delta(conv2.id, reply2.id, text)
    whole._flush()

    def lines(view: ChatView) -> Shape:
        # Paragraphs only, without their formats: a part frame's first paragraph has no margins
        # and its last shows a space at its end (the line break after its HTML).
        return [
            (t.rstrip(" "), {}, {}, [(r.rstrip(" "), f) for r, f in runs])
            for t, _, _, runs in shape(view.document(), skip_empty=True)
        ]

    assert lines(fast) == lines(whole)


def test_a_huge_line_appended_keeps_its_breaks(qtbot: QtBot) -> None:
    """1 MB without a space, streamed: appended as it comes, with a zero-width break every 256
    characters exactly where a render puts them."""
    fast, conv, reply = streaming_view(qtbot)
    fast.append_delta(conv.id, reply.id, INTRO + "Start ")
    fast._flush()
    line = "".join(chr(0x61 + i % 26) for i in range(1 << 20))
    for start in range(0, len(line), 1 << 17):
        fast.append_delta(conv.id, reply.id, line[start : start + (1 << 17)])
        fast._flush()
        assert fast._splits[reply.id].tail is not None  # appended, never rendered again
    shown = fast.toPlainText()
    assert shown.count(ZERO_WIDTH_SPACE) == len(line) // 256 - 1
    assert ZERO_WIDTH_SPACE.join(line[i : i + 256] for i in range(0, len(line), 256)) in shown


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        ("Plain words.", ["Plain words."]),
        ("One.\n\nTwo, three!\n", ["One.", "Two, three!"]),
        ("Über 日本語 🚀 — naïve", ["Über 日本語 🚀 — naïve"]),
        ("", None),
        ("a\nb", None),  # one paragraph over two lines (or a heading underlined)
        ("- item", None),
        ("1. one", None),
        ("# title", None),
        ("> quote", None),
        ("    code", None),
        ("```", None),
        ("a *b*", None),
        ("a `b`", None),
        ("a [b]", None),
        ("a <b>", None),
        ("a &amp;", None),
        ("a | b", None),
        ("a \\ b", None),
        ('a "b"', None),
        ("a\u202eb", None),
        ("a\u00a0b", None),
        ("a\tb", None),
        ("a\ufffcb", None),
        ("a\u200bb", None),
        ("a\rb", None),
        ("see https://x.org", None),  # addresses become links
        ("see www.x.org", None),
        ("see HTTP://x.org", None),
        ("see http:/x.org and wwwx", ["see http:/x.org and wwwx"]),
    ],
)
def test_plain_paragraphs(text: str, paragraphs: list[str] | None) -> None:
    assert plain_paragraphs(text) == paragraphs


def test_plain_shown_collapses_spaces_and_breaks_long_runs() -> None:
    assert plain_shown("a   b  ") == "a b"
    assert plain_shown("x" * 300) == "x" * 256 + ZERO_WIDTH_SPACE + "x" * 44
