"""A "↓ Latest" button over the chat while there is much more below what is on screen.

A reader who scrolled up while a fast reply streams cannot catch up with the wheel, and a view
left above the end no longer follows it. The button shows once more than half a screen lies
below the view and takes the view to the end, where it follows the reply again (as Ctrl+End
does). It sits on the viewport's bottom right, outside the document.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QToolButton

MARGIN = 12  # px from the viewport's bottom right corner


class LatestButton(QToolButton):
    """Shown by itself when the view is well above its end; a click goes to the end."""

    def __init__(self, view: QAbstractScrollArea) -> None:
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
        self.clicked.connect(lambda: bar.setValue(bar.maximum()))
        self.hide()

    def update_shown(self) -> None:
        """Show it while more than half a screen lies below the view, else hide it."""
        bar = self._view.verticalScrollBar()
        below = bar.maximum() - bar.value()
        far = below > self._view.viewport().height() // 2
        if far:
            self.place()
            self.raise_()
        self.setVisible(far)

    def place(self) -> None:
        """At the viewport's bottom right (call on resize)."""
        viewport = self._view.viewport()
        self.adjustSize()
        x = viewport.width() - self.width() - MARGIN
        self.move(x, viewport.height() - self.height() - MARGIN)
