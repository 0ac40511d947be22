"""A small toolbar over the message under the mouse: Edit, Regenerate, Branch.

It is a widget on the chat's viewport, not part of the document, so the conversation's text
holds no links but those model text may have (http, https, mailto) and the app's own notices.
A button emits the same ``wd-action:`` address as the context menu entry it stands for.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QToolButton, QWidget

from .message_actions import toolbar_tip

MARGIN = 4


class MessageToolbar(QFrame):
    """Shown by the chat view for one message at a time; emits ``triggered(address)``."""

    triggered = Signal(str)

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.setObjectName("messageToolbar")
        self.setAccessibleName("Message actions")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self._layout = layout
        self._buttons: list[QToolButton] = []
        self._actions: list[tuple[str, str]] = []
        self.message_id: str | None = None
        self.hide()

    def buttons(self) -> list[QToolButton]:
        return list(self._buttons)

    def show_for(self, message_id: str, actions: list[tuple[str, str]], frame: QRect) -> None:
        """Show ``actions`` at the top right of ``frame`` (viewport coordinates), over the
        message's header line; not while that line is scrolled out of view: pinned to the top of
        the viewport instead, the toolbar would cover whatever the message shows there (a code
        block's Copy link), and a click meant for it would branch or regenerate."""
        top = frame.top() + MARGIN
        viewport = self.parentWidget()
        if not actions or top < 0 or viewport is None or top >= viewport.height():
            self.clear()
            return
        if message_id != self.message_id or actions != self._actions:
            for button in self._buttons:
                self._layout.removeWidget(button)
                button.deleteLater()
            self._buttons = []
            for text, href in actions:
                button = QToolButton(self)
                button.setText(text)
                button.setToolTip(toolbar_tip(href))
                button.setAutoRaise(True)
                button.clicked.connect(lambda _=False, href=href: self.triggered.emit(href))
                self._layout.addWidget(button)
                button.show()  # a child added to a visible toolbar stays hidden until told
                self._buttons.append(button)
            self.message_id, self._actions = message_id, actions
            self.adjustSize()
        self.move(max(0, frame.right() - self.width() - MARGIN), top)
        self.show()
        self.raise_()

    def clear(self) -> None:
        self.message_id = None
        self.hide()
