"""A "↓ Latest" button over the chat while there is much more below what is on screen.

A reader who scrolled up while a fast reply streams cannot catch up with the wheel, and a view
left above the end no longer follows it. The button shows once more than half a screen lies
below the view and takes the view to the end, where it follows the reply again (as Ctrl+End
does). It sits on the viewport's bottom right, outside the document.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QToolButton

MARGIN = 12  # px from the viewport's bottom right corner


class LatestButton(QToolButton):
    """Shown by itself when the view is well above its end; a click calls ``go_to_end``."""

    def __init__(self, view: QAbstractScrollArea, go_to_end: Callable[[], None]) -> None:
        super().__init__(view.viewport())
        self._view = view
        self.setObjectName("latestButton")
        self.setText("↓ Latest")
        self.setToolTip("Go to the latest message (Ctrl+End)")
        self.setAccessibleName("Go to the latest message")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard has Ctrl+End
        bar = view.verticalScrollBar()
        bar.valueChanged.connect(self.update_shown)
        bar.rangeChanged.connect(self.update_shown)
        self.clicked.connect(go_to_end)  # not the bar's end: the end rendered may not be the last
        self.adjustSize()
        self.hide()

    def update_shown(self) -> None:
        """Show it, at the viewport's bottom right, while more than half a screen lies below
        the view, else hide it. Called at every scroll and range change (each flush of a
        streaming reply): its size is computed once, in ``__init__``."""
        bar = self._view.verticalScrollBar()
        far = bar.maximum() - bar.value() > self._view.viewport().height() // 2
        if far:
            self.place()
            self.raise_()
        self.setVisible(far)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self.adjustSize()  # a theme's style or font: the size it needs changes with it
        super().changeEvent(event)

    def place(self) -> None:
        """At the viewport's bottom right."""
        viewport = self._view.viewport()
        x = viewport.width() - self.width() - MARGIN
        self.move(x, viewport.height() - self.height() - MARGIN)
