"""Problems told in the window, over the prompt: never a dialog that takes the keyboard.

A message box opened while the user types (a draft's save failing on a full disk, a send whose
save failed) took the focus from the prompt in mid-sentence: the next Space or Enter pressed its
OK button, unread, and the characters typed meanwhile were lost. The bar keeps the focus where
it is, lists the problems told since it was last dismissed (the newest last, a repeat moved
there rather than listed twice), and stays until ✕ dismisses it or what it says no longer holds
(a save that failed has worked since). Screen readers hear it as an alert.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QWidget,
)

from .chat_palette import chat_palette

KEPT = 5  # problems listed at most (the newest)
LINES = 6  # the bar's text is at most this many lines high, then it scrolls (the newest shown)


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
        self.folder: Path | None = None  # where the files told about are, if any
        self.folder_button = QPushButton("Show folder", self)
        self.folder_button.setObjectName("problemFolder")
        self.folder_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.folder_button.hide()
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss the problem")
        self.close_button.setAutoRaise(True)
        self.close_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click keeps the focus
        # Several long problems at a large text size filled half the window, cut off: the text
        # scrolls instead, within LINES lines, showing the newest.
        self.scroller = QScrollArea(self)
        self.scroller.setObjectName("problemScroll")
        self.scroller.setWidget(self.label)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroller.viewport().setAutoFillBackground(False)
        self.label.setAutoFillBackground(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.scroller, 1)
        layout.addWidget(self.folder_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button.clicked.connect(self.dismiss)
        self.folder_button.clicked.connect(self.show_folder)
        self._restyle()
        self.hide()

    def add(self, text: str, folder: Path | None = None) -> None:
        """Tell ``text`` (without moving the keyboard focus); ``folder``: where the files it
        names are, offered with Show folder."""
        if text in self.texts:
            self.texts.remove(text)
        self.texts = [*self.texts, text][-KEPT:]
        self._set_text()
        if folder is not None:
            self.folder = folder
            self.folder_button.setToolTip(str(folder))
            self.folder_button.show()
        self.show()
        QAccessible.updateAccessibility(QAccessibleEvent(self.label, QAccessible.Event.Alert))

    def withdraw(self, text: str) -> None:
        """``text`` no longer holds (a save that failed has worked since): off the list, and the
        bar away once nothing is left on it."""
        if text not in self.texts:
            return
        self.texts = [t for t in self.texts if t != text]
        self._set_text()
        if not self.texts:
            self.dismiss()

    def _set_text(self) -> None:
        """The problems, the newest last and in view."""
        self.label.setText("\n".join(self.texts))
        self._fit()

    def _fit(self) -> None:
        """The bar as high as its text needs at its width, up to LINES lines; the newest in
        view."""
        line = self.label.fontMetrics().lineSpacing()
        width = max(self.scroller.viewport().width(), 200)
        needed = self.label.heightForWidth(width)
        self.scroller.setFixedHeight(min(max(needed, line), LINES * line))
        self._to_newest()
        QTimer.singleShot(0, self, self._to_newest)  # again once laid out (not if gone)

    def _to_newest(self) -> None:
        bar = self.scroller.verticalScrollBar()
        bar.setValue(bar.maximum())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.texts:
            self._fit()  # the same text, wrapped anew

    def show_folder(self) -> None:
        if self.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def dismiss(self) -> None:
        self.texts = []
        self.folder = None
        self.folder_button.hide()
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
            f"QLabel#problemText {{ color: {colors.text}; background: transparent; }}"
            "QScrollArea#problemScroll, QScrollArea#problemScroll > QWidget "
            "{ background: transparent; }"
        )
        if sheet != self.styleSheet():  # setting it changes the palette: no loop
            self.setStyleSheet(sheet)
