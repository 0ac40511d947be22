"""Shift+F10 opens the focused widget's context menu, as the Menu key does.

Most laptops have no Menu key; GTK and Windows programs take Shift+F10 for it. The window turns
the combination into the same keyboard context-menu event Qt sends for the Menu key, so every
widget that answers that key (the conversation list, the chat, text fields) answers this one.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QWidget

SHIFT_F10 = "Shift+F10"


def open_context_menu(widget: QWidget | None) -> None:
    """Send ``widget`` the context-menu event the Menu key would, at the same point: its text
    cursor or current item (``ImCursorRectangle``), else its middle."""
    if widget is None:
        return
    cursor = widget.inputMethodQuery(Qt.InputMethodQuery.ImCursorRectangle)
    if isinstance(cursor, QRectF):
        cursor = cursor.toRect()
    valid = isinstance(cursor, QRect) and cursor.isValid()
    pos = cursor.center() if valid else widget.rect().center()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)
