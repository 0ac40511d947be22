"""The tray: menu actions and icon clicks become signals (offscreen has no tray to show)."""

from __future__ import annotations

from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from writer_desktop.ui.tray import Tray


def make() -> Tray:
    pixmap = QPixmap(16, 16)
    pixmap.fill()
    return Tray(QIcon(pixmap))


def test_menu_lists_the_four_choices_in_order() -> None:
    tray = make()
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == ["&Open Writer Desktop", "Quick &prompt", "&Settings…", "&Quit"]
    assert tray.icon.contextMenu() is tray.menu
    assert tray.icon.toolTip() == "Writer Desktop"


def test_each_menu_action_emits_its_signal(qtbot: QtBot) -> None:
    tray = make()
    pairs = [
        (tray.open_action, tray.open_requested),
        (tray.quick_action, tray.quick_requested),
        (tray.settings_action, tray.settings_requested),
        (tray.quit_action, tray.quit_requested),
    ]
    for action, signal in pairs:
        with qtbot.waitSignal(signal, timeout=1000):
            action.trigger()


def test_clicking_the_icon_opens_the_window(qtbot: QtBot) -> None:
    tray = make()
    reason = QSystemTrayIcon.ActivationReason
    for click in (reason.Trigger, reason.DoubleClick):
        with qtbot.waitSignal(tray.open_requested, timeout=1000):
            tray.icon.activated.emit(click)
    with qtbot.assertNotEmitted(tray.open_requested):
        tray.icon.activated.emit(reason.Context)  # the menu opens instead


def test_shortcut_is_named_in_the_menu() -> None:
    tray = make()
    tray.set_quick_shortcut("Ctrl+Alt+Space")
    assert tray.quick_action.text() == "Quick &prompt\tCtrl+Alt+Space"
    tray.set_quick_shortcut("")
    assert tray.quick_action.text() == "Quick &prompt"


def test_availability_is_the_platform_answer() -> None:
    assert Tray.available() == QSystemTrayIcon.isSystemTrayAvailable()
    tray = make()
    tray.show()  # harmless without a tray
    tray.hide()
    assert not tray.icon.isVisible()
