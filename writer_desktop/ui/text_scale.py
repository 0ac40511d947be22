"""The text size of Settings (and Ctrl+= / Ctrl+-): a percentage of the widgets' own font."""

from __future__ import annotations

from PySide6.QtGui import QFont


def scaled(font: QFont, percent: int) -> QFont:
    """``font`` at ``percent`` of its size (in points, or in pixels for a pixel-sized font)."""
    result = QFont(font)
    if result.pointSizeF() > 0:
        result.setPointSizeF(result.pointSizeF() * percent / 100)
    else:
        result.setPixelSize(max(1, round(result.pixelSize() * percent / 100)))
    return result
