"""The tray icon: a click opens the window; its menu offers Open, Quick prompt, Settings, Quit.

:class:`Tray` only reports what the user chose (``open_requested``, ``quick_requested``,
``settings_requested``, ``quit_requested``); the composition root decides what that does.
Desktops without a tray (many Wayland sessions, offscreen) make :meth:`Tray.available` False;
the app should then quit when its window closes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

Reason = QSystemTrayIcon.ActivationReason


class Tray(QObject):
    """Owns the QSystemTrayIcon and its menu; call :meth:`show` once the app is running."""

    open_requested = Signal()
    quick_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.open_action = self._add("&Open Writer Desktop", self.open_requested)
        self.quick_action = self._add("Quick &prompt", self.quick_requested)
        self.menu.addSeparator()
        self.settings_action = self._add("&Settings…", self.settings_requested)
        self.menu.addSeparator()
        self.quit_action = self._add("&Quit", self.quit_requested)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("Writer Desktop")
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)

    @staticmethod
    def available() -> bool:
        """Whether the desktop shows tray icons at all."""
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_quick_shortcut(self, text: str) -> None:
        """Name the global shortcut next to "Quick prompt" (shown, not bound: it is global)."""
        self.quick_action.setText(f"Quick &prompt\t{text}" if text else "Quick &prompt")

    def _add(self, text: str, signal: SignalInstance) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(lambda _checked=False: signal.emit())
        return action

    def _on_activated(self, reason: Reason) -> None:
        if reason in (Reason.Trigger, Reason.DoubleClick):
            self.open_requested.emit()
