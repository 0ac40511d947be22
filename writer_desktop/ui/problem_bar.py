"""Problems told in the window, over the prompt: never a dialog that takes the keyboard.

A message box opened while the user types (a draft's save failing on a full disk, a send whose
save failed) took the focus from the prompt in mid-sentence: the next Space or Enter pressed its
OK button, unread, and the characters typed meanwhile were lost. The bar keeps the focus where
it is, lists the problems told since it was last dismissed (the newest last, a repeat moved
there rather than listed twice), and stays until ✕ dismisses it. Screen readers hear it as an
alert.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from .chat_palette import chat_palette

KEPT = 5  # problems listed at most (the newest)


class ProblemBar(QFrame):
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemBar")
        self.setAccessibleName("Problem")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.texts: list[str] = []
        self.label = QLabel(self)
        self.label.setObjectName("problemText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss the problem")
        self.close_button.setAutoRaise(True)
        self.close_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click keeps the focus
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button.clicked.connect(self.dismiss)
        self._restyle()
        self.hide()

    def add(self, text: str) -> None:
        """Tell ``text`` (without moving the keyboard focus)."""
        if text in self.texts:
            self.texts.remove(text)
        self.texts = [*self.texts, text][-KEPT:]
        self.label.setText("\n".join(self.texts))
        self.show()
        QAccessible.updateAccessibility(QAccessibleEvent(self.label, QAccessible.Event.Alert))

    def dismiss(self) -> None:
        self.texts = []
        self.hide()
        self.dismissed.emit()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # the theme changed
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        colors = chat_palette(self.palette())
        sheet = (
            f"QFrame#problemBar {{ background-color: {colors.error_bg}; "
            f"border: 1px solid {colors.border}; border-radius: 4px; }}"
            f"QLabel#problemText {{ color: {colors.text}; }}"
        )
        if sheet != self.styleSheet():  # setting it changes the palette: no loop
            self.setStyleSheet(sheet)
