"""Where a tab in a rendered reply (or a message of yours) stops."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QFontMetricsF, QTextDocument

TAB_COLUMNS = 4


def set_tab_stops(document: QTextDocument) -> None:
    """Tab stops every ``TAB_COLUMNS`` columns of code at the document's text size: Qt's 80
    pixels put a tab at ~11 columns, so a tab-indented block looked indented three times."""
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    size = document.defaultFont()
    if size.pointSizeF() > 0:
        fixed.setPointSizeF(size.pointSizeF())
    else:
        fixed.setPixelSize(size.pixelSize())
    option = document.defaultTextOption()
    option.setTabStopDistance(TAB_COLUMNS * QFontMetricsF(fixed).horizontalAdvance(" "))
    document.setDefaultTextOption(option)
