"""Windows that fit the screen they open on, at any size and scaling.

A 1000×700 window at 200 % scaling is 2000×1400 pixels: on a 1600×1000 screen the prompt and
Send were below its edge; Settings at 1.5× hid its OK button, and a long quick answer its Copy.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QScreen

SHARE = 9, 10  # of the screen's free area a window may take, at most


def room(screen: QScreen | None) -> QSize | None:
    """The most a window should take of ``screen``'s free area (None: no screen known)."""
    if screen is None:
        return None
    area = screen.availableGeometry()
    num, den = SHARE
    return QSize(area.width() * num // den, area.height() * num // den)


def fitting(size: QSize, screen: QScreen | None) -> QSize:
    """``size``, made smaller if need be to fit :func:`room` of ``screen``."""
    most = room(screen)
    return size if most is None else size.boundedTo(most)
