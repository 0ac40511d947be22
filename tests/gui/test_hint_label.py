"""Hints and status lines are muted yet readable (4.5:1) in both themes; they were drawn in
Qt's disabled grey, 1.6:1 on the window."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.gui.test_chat_view_theme import contrast
from writer_desktop.ui.hint_label import HintLabel
from writer_desktop.ui.sidebar import Sidebar
from writer_desktop.ui.theme import dark_palette


def readable(label: QWidget) -> float:
    text = label.palette().color(QPalette.ColorRole.WindowText).name()
    return contrast(text, label.palette().color(QPalette.ColorRole.Window).name())


def test_a_hint_reads_in_both_themes_and_follows_a_switch(qtbot: QtBot) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    hint = HintLabel("Your desktop shows no tray icons…", holder)
    holder.show()
    assert hint.isEnabled()
    assert readable(hint) >= 4.5
    light = hint.palette().color(QPalette.ColorRole.WindowText)
    holder.setPalette(dark_palette())  # as a live theme switch reaches it
    qtbot.waitUntil(lambda: hint.palette().color(QPalette.ColorRole.WindowText) != light)
    assert readable(hint) >= 4.5


def test_the_sidebars_no_match_hint_is_one_made_when_first_needed(qtbot: QtBot) -> None:
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.show()
    assert sidebar._no_match is None  # not before the first paint: ~7 ms of imports and palette
    sidebar.filter.setText("nothing is called this")
    assert isinstance(sidebar.no_match, HintLabel)
    assert sidebar.no_match.isVisible()
    assert readable(sidebar.no_match) >= 4.5
