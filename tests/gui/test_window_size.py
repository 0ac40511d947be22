"""Windows fit the screen they open on, whatever its size and scaling."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from writer_desktop.core.settings import Settings
from writer_desktop.ui.main_window import MainWindow
from writer_desktop.ui.screen_fit import fitting


def test_the_first_window_leaves_room_on_a_small_screen(qtbot: QtBot, tmp_path: Path) -> None:
    # 1000×700 at 200 % is 2000×1400 pixels: the prompt and Send were below a 1080p screen.
    screen = QApplication.primaryScreen()
    area = screen.availableGeometry()
    assert fitting(QSize(10_000, 10_000), screen) == QSize(area.width() * 9 // 10,
                                                          area.height() * 9 // 10)  # fmt: skip
    assert fitting(QSize(300, 200), screen) == QSize(300, 200)  # room enough: as asked
    assert fitting(QSize(1000, 700), None) == QSize(1000, 700)
    window = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat), Settings())
    qtbot.addWidget(window)
    assert window.width() <= area.width() * 9 // 10
    assert window.height() <= area.height() * 9 // 10
