"""Repainting only what a streaming flush changed in the chat's document.

Qt's text layout asks for the whole viewport to be repainted whenever a frame changes size, and a
streaming reply's frame grows with every flush: the whole visible conversation was drawn again
~30 times a second (about as much CPU as the flush itself). The chat view knows better: a flush
changes the document only from the top of the part it re-renders down. :class:`RepaintLimiter`
takes the layout's update requests over from QTextEdit (doing what it did with them) and, inside
:meth:`~RepaintLimiter.changing_below`, clips them to that part. Everything else (a conversation
opened, new colours, a selection) repaints as Qt asks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QTextEdit

_EVERYTHING = 1e9  # px: taller and wider than any document


class RepaintLimiter:
    """Turns the document layout's update requests into viewport updates, clipped during a flush."""

    def __init__(self, view: QTextEdit) -> None:
        self._view = view
        self._top: float | None = None  # inside changing_below: nothing above this changes
        layout = view.document().documentLayout()
        # QTextEdit's only receiver: it repaints the requested rectangle (QTextEditPrivate::
        # _q_repaintContents), as _update does. The view never replaces its document's layout.
        layout.update.disconnect()
        layout.update.connect(self._update)

    @contextmanager
    def changing_below(self, top: float) -> Iterator[None]:
        """Changes made inside leave the document above ``top`` (document pixels) as it was."""
        outer = self._top
        self._top = top if outer is None else min(outer, top)
        try:
            yield
        finally:
            self._top = outer

    def _update(self, rect: QRectF) -> None:
        view = self._view
        viewport = view.viewport()
        if not rect.isValid():  # "everything"
            if self._top is None:
                viewport.update()
                return
            rect = QRectF(0, 0, _EVERYTHING, _EVERYTHING)
        if self._top is not None:
            rect = rect.intersected(QRectF(rect.left(), self._top, rect.width(), _EVERYTHING))
        bar = view.horizontalScrollBar()
        x = bar.maximum() - bar.value() if view.isRightToLeft() else bar.value()
        y = view.verticalScrollBar().value()
        visible = QRectF(x, y, viewport.width(), viewport.height())
        area = rect.intersected(visible).toAlignedRect()
        if not area.isEmpty():
            viewport.update(area.translated(-x, -y))
