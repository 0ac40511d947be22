"""Windows fit the screen they open on, whatever its size and scaling."""

from __future__ import annotations

from functools import partial
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


def test_the_model_box_shows_the_whole_name_at_any_width(qtbot: QtBot, tmp_path: Path) -> None:
    # The box was sized when first shown (empty, at start-up): "palmyra-creative" showed as
    # "palmyra-cre" in a wide window, and every model as "palmyra" in a 450-pixel one.
    from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

    window = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat), Settings())
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    box = window.composer.models
    long_name = "palmyra-creative"
    window.composer.set_models(["palmyra-x5", long_name], long_name)

    def room() -> int:
        option = QStyleOptionComboBox()
        box.initStyleOption(option)
        control = QStyle.ComplexControl.CC_ComboBox
        field = box.style().subControlRect(control, option, QStyle.SubControl.SC_ComboBoxEditField)
        return field.width()

    def fits(width: int) -> bool:
        return window.width() <= width

    needed = box.fontMetrics().horizontalAdvance(long_name)
    for width in (1000, 450):
        window.resize(width, 700)
        qtbot.waitUntil(partial(fits, max(width, window.minimumWidth())))
        QApplication.processEvents()
        assert room() >= needed, f"at {window.width()} px"
    assert window.minimumSizeHint().width() <= 450  # the sidebar gave way, not the window
