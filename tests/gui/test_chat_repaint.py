"""A streaming flush repaints only what it changed: the tail, and the scroll bar when it moved."""

from __future__ import annotations

import itertools

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QImage, QPaintEvent, QRegion
from PySide6.QtWidgets import QStyleFactory, QWidget
from pytestqt.qtbot import QtBot

from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.ui.chat_scroll import QuietScrollBar, changed_rect
from writer_desktop.ui.chat_view import FLUSH_MS, ChatView
from writer_desktop.ui.focus_ring import WIDTH
from writer_desktop.ui.theme import dark_palette


class Paints(QObject):
    """Records the rectangles painted on one widget."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.rects: list[QRect] = []
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QPaintEvent):
            self.rects.append(event.region().boundingRect())
        return False


def streaming_view(qtbot: QtBot) -> tuple[ChatView, Conversation, Message]:
    view = ChatView()
    view.resize(700, 500)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    conv = Conversation(messages=[Message(Role.USER, "Write a lot"), reply])
    view.show_conversation(conv)
    return view, conv, reply


def stream(view: ChatView, conv: Conversation, reply: Message, qtbot: QtBot, start: int) -> None:
    for i in range(start, start + 40):
        view.append_delta(conv.id, reply.id, f"Paragraph {i} " + "word " * 12 + "\n\n")
        if i % 4 == 0:
            qtbot.wait(FLUSH_MS + 10)
    qtbot.wait(FLUSH_MS + 10)


def test_a_flush_repaints_the_tail_not_the_whole_conversation(qtbot: QtBot) -> None:
    view, conv, reply = streaming_view(qtbot)
    stream(view, conv, reply, qtbot, 0)  # more than a screenful: the view follows the tail
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0
    assert bar.value() == bar.maximum()
    paints = Paints(view.viewport())
    stream(view, conv, reply, qtbot, 40)
    assert paints.rects, "the new text was never drawn"
    height = view.viewport().height()
    assert all(r.top() > 0 for r in paints.rects), paints.rects  # never the whole viewport
    assert "Paragraph 79" in view.toPlainText()
    assert bar.value() == bar.maximum()  # still following
    # Scrolled away from the tail, the text arriving below is not drawn at all.
    bar.setValue(0)
    qtbot.wait(FLUSH_MS + 10)
    paints.rects.clear()
    stream(view, conv, reply, qtbot, 80)
    assert paints.rects == []
    assert bar.value() == 0
    # Anything else repaints as Qt asks: another conversation fills the whole viewport.
    view.show_conversation(Conversation(messages=[Message(Role.USER, "Hi")]))
    ring = WIDTH if view.hasFocus() else 0  # the focus ring covers the viewport's edges
    qtbot.waitUntil(
        lambda: any(r.top() <= ring and r.height() >= height - 2 * ring for r in paints.rects)
    )


def test_a_resize_keeps_a_view_at_the_bottom_following_the_reply(qtbot: QtBot) -> None:
    # Narrower, the text grows taller: the view kept its pixel offset, left the bottom, and the
    # reply went on growing out of sight with nothing to bring it back.
    view, conv, reply = streaming_view(qtbot)
    stream(view, conv, reply, qtbot, 0)
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0
    for width in (500, 350, 800):
        view.resize(width, 500)
        qtbot.wait(10)
        assert bar.value() == bar.maximum(), width
        stream(view, conv, reply, qtbot, 40 + width)
        assert bar.value() == bar.maximum(), width  # and still following
    # Scrolled up to read, a resize keeps the same text at the top instead.
    bar.setValue(bar.maximum() // 3)
    qtbot.wait(10)
    first = view._lazy.anchor()
    assert first is not None
    view.resize(450, 500)
    qtbot.wait(10)
    layout = view.document().documentLayout()
    frame, offset = first
    assert layout.frameBoundingRect(frame).top() - bar.value() == pytest.approx(offset, abs=2)


def test_latest_shows_when_the_reply_runs_on_out_of_sight_and_takes_you_there(
    qtbot: QtBot,
) -> None:
    view, conv, reply = streaming_view(qtbot)
    stream(view, conv, reply, qtbot, 0)
    bar, latest = view.verticalScrollBar(), view.latest
    assert bar.value() == bar.maximum()
    assert not latest.isVisible()  # following: nothing to catch up with
    bar.setValue(0)  # scrolled up to read while it goes on
    stream(view, conv, reply, qtbot, 40)
    assert latest.isVisible()
    viewport = view.viewport().rect()
    assert viewport.contains(latest.geometry())
    assert latest.geometry().bottom() > viewport.height() - 40  # over the bottom right
    assert latest.geometry().right() > viewport.width() - 40
    latest.click()
    assert bar.value() == bar.maximum()
    assert not latest.isVisible()
    stream(view, conv, reply, qtbot, 80)
    assert bar.value() == bar.maximum()  # following again
    assert not latest.isVisible()


def test_the_scroll_bar_repaints_only_when_its_handle_moves(qtbot: QtBot) -> None:
    bar = QuietScrollBar(Qt.Orientation.Vertical)
    qtbot.addWidget(bar)
    bar.resize(16, 300)
    bar.setRange(0, 100_000)
    bar.setValue(100_000)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(20)
    paints = Paints(bar)
    for top in range(100_001, 100_011):  # a growing document, followed: the handle stays put
        bar.setRange(0, top)
        bar.setValue(top)
        qtbot.wait(5)
    assert paints.rects == []
    bar.setValue(50_000)  # a real move is drawn
    qtbot.waitUntil(lambda: len(paints.rects) > 0)
    paints.rects.clear()
    bar.setRange(0, 100)  # and so is a handle that grows
    qtbot.waitUntil(lambda: len(paints.rects) > 0)


def test_a_moved_handle_repaints_the_handles_not_the_whole_bar(qtbot: QtBot) -> None:
    bar = QuietScrollBar(Qt.Orientation.Vertical)
    qtbot.addWidget(bar)
    bar.resize(16, 500)
    bar.setPageStep(500)
    bar.setRange(0, 5_000)
    bar.setValue(5_000)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(20)
    paints = Paints(bar)
    bar.setRange(0, 50_000)  # a reply grew a lot: the handle shrinks, still at the bottom
    bar.setValue(50_000)
    qtbot.waitUntil(lambda: len(paints.rects) > 0)
    assert all(r.top() > 100 for r in paints.rects), paints.rects  # the groove above: not drawn
    paints.rects.clear()
    bar.setValue(0)  # the top reached: an end changed, the whole bar is drawn
    qtbot.waitUntil(lambda: any(r.height() == 500 for r in paints.rects))


# (minimum, maximum, value): handles of every size, at the ends and in between
BAR_STATES = [
    (0, 1_000, 1_000), (0, 1_100, 1_100), (0, 1_300, 1_300), (0, 5_000, 5_000), (0, 5_000, 2_500),
    (0, 100, 50), (0, 100_000, 100_000), (0, 100_010, 100_010), (0, 100_000, 0), (0, 100, 0),
    (0, 100_000, 40_000),
]  # fmt: skip


@pytest.mark.parametrize("style", ["Fusion", "Windows"])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_partial_repaint_draws_what_a_whole_one_would(
    qtbot: QtBot, style: str, dark: bool
) -> None:
    # Every pixel that differs between two states of the bar lies in the part drawn again:
    # the old picture with that part drawn over it is the new picture.
    bar = QuietScrollBar(Qt.Orientation.Vertical)
    qtbot.addWidget(bar)
    bar.setStyle(QStyleFactory.create(style))
    if dark:
        bar.setPalette(dark_palette())
    bar.resize(16, 500)
    bar.setPageStep(500)

    def picture() -> QImage:
        image = QImage(bar.size(), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        bar.render(image)
        return image

    partial = 0
    for old, new in itertools.permutations(BAR_STATES, 2):
        bar.setRange(old[0], old[1])
        bar.setValue(old[2])
        before, drawn = picture(), bar._looks()
        bar.setRange(new[0], new[1])
        bar.setValue(new[2])
        after, looks = picture(), bar._looks()
        rect = changed_rect(drawn, looks)
        if rect is None:
            continue
        partial += 1
        patched = QImage(before)
        bar.render(patched, rect.topLeft(), QRegion(rect))
        assert patched == after, (old, new, rect)
    assert partial > 30  # the pairs where no end changed


def test_the_chat_view_uses_the_quiet_scroll_bar(qtbot: QtBot) -> None:
    view, _conv, _reply = streaming_view(qtbot)
    assert isinstance(view.verticalScrollBar(), QuietScrollBar)


def test_a_scroll_bar_deleted_before_its_check_runs_is_left_alone(qtbot: QtBot) -> None:
    # A view closed while a reply streams: the bar's pending check must not reach a dead object
    # (it did, in CI: "Internal C++ object (QuietScrollBar) already deleted" in a crash report).
    bar = QuietScrollBar(Qt.Orientation.Vertical)
    bar.setRange(0, 100)
    bar.setValue(50)  # schedules the check
    shiboken6.delete(bar)
    seen: list[BaseException] = []
    with qtbot.captureExceptions() as exceptions:
        qtbot.wait(20)
        seen.extend(e[1] for e in exceptions)
    assert seen == []
