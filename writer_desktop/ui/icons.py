"""The app's icon, wherever Writer Desktop runs from.

A PyInstaller bundle carries ``resources/`` beside the code; a source checkout has it at the top
of the repository; the Linux packages install it into the icon theme (``hicolor``). A plain
``pip install`` has none of these, so the last resort is a standard icon: the tray must never
get an empty icon (Qt refuses to show one).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

NAME = "writer-desktop"


def _candidates() -> list[Path]:
    folders = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        folders.append(Path(bundle) / "resources")
    folders.append(Path(__file__).resolve().parents[2] / "resources")
    return [folder / f"{NAME}.svg" for folder in folders]


def app_icon(app: QApplication) -> QIcon:
    for path in _candidates():
        if path.is_file():
            return QIcon(str(path))
    themed = QIcon.fromTheme(NAME)
    if not themed.isNull():
        return themed
    from PySide6.QtWidgets import QStyle  # rarely needed; its first use costs ~8 ms

    return app.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
