"""Themes: dark is dark and light is light even where the platform ignores colour schemes."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from writer_desktop.ui.theme import ThemeSwitcher, dark_palette, is_dark


def test_switching_themes_changes_the_palette(qapp: QApplication, qtbot: QtBot) -> None:
    switcher = ThemeSwitcher(qapp)
    original = qapp.palette()
    style = qapp.style().name()
    try:
        switcher.apply("dark")
        widget = QWidget()
        qtbot.addWidget(widget)
        assert is_dark(qapp.palette())
        assert is_dark(widget.palette())
        switcher.apply("light")
        assert not is_dark(qapp.palette())
        switcher.apply("system")
        assert qapp.palette() == original
        assert qapp.style().name() == style  # Fusion, if dark needed it, is undone too
        assert switcher.current == "system"
    finally:
        switcher.apply("system")


def test_dark_palette_text_contrast() -> None:
    palette = dark_palette()

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    from PySide6.QtGui import QPalette

    text = luminance(palette.color(QPalette.ColorRole.Text).name())
    base = luminance(palette.color(QPalette.ColorRole.Base).name())
    assert (text + 0.05) / (base + 0.05) >= 7


def test_in_the_dark_theme_check_boxes_and_text_fields_show_their_edges(
    qapp: QApplication, qtbot: QtBot
) -> None:
    # Fusion draws those edges in the window colour made darker: on the dark window, an unchecked
    # box and the filter field's edge were at 1.1:1.
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QVBoxLayout

    switcher = ThemeSwitcher(qapp)
    host = QWidget()
    qtbot.addWidget(host)
    box, field, prompt = QCheckBox("Start when I log in"), QLineEdit(), QPlainTextEdit()
    layout = QVBoxLayout(host)
    layout.addWidget(box)
    layout.addWidget(field)
    layout.addWidget(prompt)
    host.show()

    def edge_step(widget: QWidget) -> int:
        """How far the widget's edge (its top middle) is from the window around it."""
        image = host.grab().toImage()
        x = widget.x() + widget.width() // 2
        edge = image.pixelColor(x, widget.y()).lightness()
        around = image.pixelColor(x, widget.y() - 2).lightness()
        return abs(edge - around)

    try:
        switcher.apply("dark")
        qapp.processEvents()  # the palette reaches the widgets
        window = qapp.palette().color(QPalette.ColorRole.Window)
        assert box.palette().color(QPalette.ColorRole.Window) != window  # for its edge only
        assert box.palette().color(QPalette.ColorRole.Base) == qapp.palette().color(
            QPalette.ColorRole.Base
        )
        assert edge_step(field) >= 25
        assert edge_step(prompt) >= 25  # the prompt box too
        switcher.apply("light")  # nothing of its own left: the application's colours
        qapp.processEvents()
        assert box.palette().color(QPalette.ColorRole.Window) == qapp.palette().color(
            QPalette.ColorRole.Window
        )
        assert field.palette() == qapp.palette()
    finally:
        switcher.apply("system")
