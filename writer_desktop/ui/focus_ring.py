"""A ring in the highlight colour around a scroll area while it has the keyboard focus.

Fusion draws no focus frame around a text view, so Tab reaching the conversation changed
nothing on screen. Four thin strips over the view's frame show it; they are children of the view
(not of its viewport), so scrolling and the view's own painting never touch them, and they take
the palette's highlight colour, a theme switch included.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

WIDTH = 2  # px; at least the frame's own width


class FocusRing(QObject):
    """Shown while ``view`` has the focus, placed over its frame: it follows the view's focus
    and size by itself (an event filter); :meth:`update` places it again on demand."""

    _FOLLOWED = (QEvent.Type.FocusIn, QEvent.Type.FocusOut, QEvent.Type.Resize)

    def __init__(self, view: QAbstractScrollArea) -> None:
        super().__init__(view)
        self._view = view
        view.installEventFilter(self)
        self.strips: list[QWidget] = []
        for _ in range(4):
            strip = QWidget(view)
            strip.setObjectName("focusRing")
            strip.setBackgroundRole(QPalette.ColorRole.Highlight)
            strip.setAutoFillBackground(True)
            strip.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            strip.hide()
            self.strips.append(strip)

    def update(self) -> None:
        """Show the ring if the view has the focus, around its current size; else hide it."""
        shown = self._view.hasFocus()
        if shown:
            w, h = self._view.width(), self._view.height()
            k = max(WIDTH, self._view.frameWidth())
            rects = (QRect(0, 0, w, k), QRect(0, h - k, w, k), QRect(0, 0, k, h),
                     QRect(w - k, 0, k, h))  # fmt: skip
            for strip, rect in zip(self.strips, rects, strict=True):
                strip.setGeometry(rect)
                strip.raise_()
        for strip in self.strips:
            strip.setVisible(shown)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._view and event.type() in self._FOLLOWED:
            self.update()
        return False
