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


class TabStops:
    """A view's tab stops, set the first time a tab is shown: they load the code font's
    metrics, ~1 MiB that text without tabs never needs."""

    def __init__(self, document: QTextDocument) -> None:
        self._document = document
        self._set = False

    def see(self, text: str) -> None:
        """``text`` is shown now; the stops are set if it holds the first tab."""
        if not self._set and "\t" in text:
            self._set = True
            set_tab_stops(self._document)

    def rescale(self) -> None:
        """The document's text size changed: the stops follow it, if they are set."""
        if self._set:
            set_tab_stops(self._document)
