"""A hint or status line: muted text that stays readable, not Qt's disabled grey.

A disabled label was the way to mute a hint, and reads at 1.6:1 on the window (#bebebe on
#efefef); the chat's muted colour keeps 4.5:1 or more in both themes, and follows a theme change.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QWidget

from .chat_palette import chat_palette


class HintLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._tinting = False
        self._tint()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._tinting:
            self._tint()  # a theme switch: the muted colour of the new one

    def _tint(self) -> None:
        self._tinting = True
        try:
            palette = self.palette()
            muted = QColor(chat_palette(palette).muted)
            if palette.color(QPalette.ColorRole.WindowText) != muted:
                palette.setColor(QPalette.ColorRole.WindowText, muted)
                self.setPalette(palette)
        finally:
            self._tinting = False
