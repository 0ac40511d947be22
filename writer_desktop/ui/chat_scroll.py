"""Keeping the chat's scroll position while content above or around the viewport changes.

An anchor is the first message frame on screen and its distance from the top of the viewport;
after older messages are prepended or frames re-rendered, the view scrolls so that frame is back
where it was. At the bottom, the anchor is the bottom itself (the view keeps following the tail).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, Qt, QTimer
from PySide6.QtGui import QPaintEvent, QTextFrame
from PySide6.QtWidgets import (
    QAbstractSlider,
    QScrollBar,
    QStyle,
    QStyleOptionSlider,
    QTextBrowser,
    QWidget,
)

from .chat_document import frame_index_at

Anchor = tuple[QTextFrame, float] | None

_MOVES = (
    QAbstractSlider.SliderChange.SliderRangeChange,
    QAbstractSlider.SliderChange.SliderValueChange,
)


class QuietScrollBar(QScrollBar):
    """A scroll bar that repaints only when what it draws changed, and then only where.

    While a reply streams the document grows and the view follows it ~12 times a second; each
    range and value change made Qt repaint the whole bar (with Fusion: gradients, ~12 % of the
    app's CPU at 1,000 tokens/s), though the handle mostly stays on the same pixels. Moves are
    checked once the event loop is back (the view sets the range, then the value), against what
    the last paint drew. When the handle did move, only the old and the new handle's pixels are
    drawn again: Fusion fills the whole groove with a gradient at every paint (~1 ms for a bar
    700 px high, against ~0.1 ms for a handle's worth), and the rest of the bar is unchanged.
    """

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self._drawn: tuple[QRect, bool, bool] | None = None
        self._checking = False

    def _looks(self) -> tuple[QRect, bool, bool]:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        handle = self.style().subControlRect(
            QStyle.ComplexControl.CC_ScrollBar, option, QStyle.SubControl.SC_ScrollBarSlider, self
        )
        # the ends too: a style may draw an arrow disabled there
        return handle, self.value() <= self.minimum(), self.value() >= self.maximum()

    def sliderChange(self, change: QAbstractSlider.SliderChange) -> None:
        if change not in _MOVES:
            super().sliderChange(change)
        elif not self._checking:
            self._checking = True
            # the bar as context: a bar deleted before the loop comes back is not checked
            QTimer.singleShot(0, self, self._check)

    def _check(self) -> None:
        self._checking = False
        looks = self._looks()
        if looks == self._drawn:
            return
        changed = changed_rect(self._drawn, looks)
        if changed is None:
            super().sliderChange(QAbstractSlider.SliderChange.SliderValueChange)  # update()
        else:
            self.update(changed)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._drawn = self._looks()
        super().paintEvent(event)


def changed_rect(
    drawn: tuple[QRect, bool, bool] | None, looks: tuple[QRect, bool, bool]
) -> QRect | None:
    """The part of a scroll bar to draw again when its handle went from ``drawn`` to ``looks``:
    the old handle's and the new one's pixels, with the outline a style draws around a handle
    (Fusion's is a pixel outside its rectangle); None for all of it (nothing drawn yet, or an end
    reached or left, where a style may draw an arrow differently)."""
    if drawn is None or drawn[1:] != looks[1:]:
        return None
    margin = _OUTLINE
    return drawn[0].united(looks[0]).adjusted(-margin, -margin, margin, margin)


_OUTLINE = 2  # px around a handle that its style may draw on


class ScrollKeeper:
    def __init__(self, view: QTextBrowser) -> None:
        self._view = view

    def at_bottom(self) -> bool:
        bar = self._view.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def near_top(self) -> bool:
        return self._view.verticalScrollBar().value() < self._view.viewport().height()

    def near_bottom(self) -> bool:
        bar = self._view.verticalScrollBar()
        return bar.value() > bar.maximum() - self._view.viewport().height()

    def to_bottom(self) -> None:
        bar = self._view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _index_at(self, frames: list[QTextFrame], y: float) -> int:
        layout = self._view.document().documentLayout()
        position = layout.hitTest(QPointF(8, y), Qt.HitTestAccuracy.FuzzyHit)
        found = frame_index_at(frames, position)
        if found is not None:
            return found
        starts = [f.firstPosition() for f in frames]
        return max(0, sum(1 for s in starts if s <= position) - 1)

    def visible_range(self, frames: list[QTextFrame]) -> range:
        """Indices of the frames on screen (empty if there are none)."""
        if not frames:
            return range(0)
        top = self._view.verticalScrollBar().value()
        bottom = top + self._view.viewport().height()
        return range(self._index_at(frames, top), self._index_at(frames, bottom) + 1)

    def anchor(self, frames: list[QTextFrame], follow: bool = True) -> Anchor:
        """Where the view is; ``None`` (the bottom) if it is there and ``follow`` is true."""
        if not frames or (follow and self.at_bottom()):
            return None
        top = self._view.verticalScrollBar().value()
        frame = frames[self._index_at(frames, top)]
        layout = self._view.document().documentLayout()
        return frame, layout.frameBoundingRect(frame).top() - top

    def restore(self, anchor: Anchor) -> None:
        view = self._view
        bar = view.verticalScrollBar()
        # Lay out now, so the scroll bar knows the new height before we move it.
        height = view.document().documentLayout().documentSize().height()
        bar.setRange(0, max(0, round(height) - view.viewport().height()))
        if anchor is None:
            bar.setValue(bar.maximum())
            return
        frame, offset = anchor
        top = view.document().documentLayout().frameBoundingRect(frame).top()
        bar.setValue(round(top - offset))
