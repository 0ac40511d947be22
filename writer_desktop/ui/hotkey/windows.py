"""Windows: ``RegisterHotKey`` on the GUI thread, ``WM_HOTKEY`` picked out by a native event filter.

With no window handle the hot key posts ``WM_HOTKEY`` to the thread's queue (``MSG.hwnd`` is NULL);
Qt's event dispatcher offers every message it takes from the queue to native event filters as
``windows_generic_MSG`` before dispatching it, so no hidden window is needed. The module imports
anywhere: user32 is only touched inside methods, and only on Windows.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication, QObject

from . import HotkeyBackend, HotkeyError, event_type_name
from .keys import KeyCombo, windows_hotkey

log = logging.getLogger(__name__)

WM_HOTKEY = 0x0312
ERROR_HOTKEY_ALREADY_REGISTERED = 1409
HOTKEY_ID = 0x5744  # any id in 0x0000–0xBFFF, unique within this process


class MSG(ctypes.Structure):
    """The head of winuser.h's ``MSG``: all that is read here."""

    _fields_ = (
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint32),  # UINT
        ("wParam", ctypes.c_size_t),  # WPARAM = UINT_PTR
        ("lParam", ctypes.c_ssize_t),  # LPARAM = LONG_PTR
    )


def parse_hotkey_message(address: int, hotkey_id: int) -> bool:
    """True when the MSG at ``address`` is WM_HOTKEY for ``hotkey_id`` (pure, tested anywhere)."""
    msg = MSG.from_address(address)
    return bool(msg.message == WM_HOTKEY and msg.wParam == hotkey_id)


def _user32() -> Any:
    if sys.platform != "win32":
        raise HotkeyError("RegisterHotKey exists only on Windows.")
    user32 = ctypes.WinDLL("user32", use_last_error=True)
    user32.RegisterHotKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
    user32.RegisterHotKey.restype = ctypes.c_int
    user32.UnregisterHotKey.argtypes = [ctypes.c_void_p, ctypes.c_int]
    user32.UnregisterHotKey.restype = ctypes.c_int
    return user32


def _last_error() -> int:
    return int(getattr(ctypes, "get_last_error", lambda: 0)())


class _MessageFilter(QAbstractNativeEventFilter):
    def __init__(self, backend: WindowsBackend) -> None:
        super().__init__()
        self._backend = backend

    def nativeEventFilter(
        self, eventType: QByteArray | bytes | bytearray | memoryview, message: int
    ) -> tuple[bool, int]:
        if event_type_name(eventType) != b"windows_generic_MSG":
            return False, 0
        # message is a shiboken VoidPtr at run time, whatever the stubs say.
        if parse_hotkey_message(int(message), HOTKEY_ID):
            self._backend.activated.emit()
            return True, 0
        return False, 0


class WindowsBackend(HotkeyBackend):
    """``RegisterHotKey(NULL, id, modifiers | MOD_NOREPEAT, vk)`` on the GUI thread."""

    name: ClassVar[str] = "Windows RegisterHotKey"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._user32 = _user32()
        self._filter = _MessageFilter(self)
        self._registered = False

    def _grab(self, combo: KeyCombo) -> None:
        modifiers, vk = windows_hotkey(combo)
        if not self._user32.RegisterHotKey(None, HOTKEY_ID, modifiers, vk):
            code = _last_error()
            if code == ERROR_HOTKEY_ALREADY_REGISTERED:
                raise HotkeyError(
                    f"{combo.text()} is already used by another program. Choose another shortcut."
                )
            raise HotkeyError(f"Windows refused {combo.text()} (error {code}).")
        self._registered = True
        app = QCoreApplication.instance()
        if app is not None:
            app.installNativeEventFilter(self._filter)

    def _release(self) -> None:
        app = QCoreApplication.instance()
        if app is not None:
            app.removeNativeEventFilter(self._filter)
        if self._registered:
            self._registered = False
            if not self._user32.UnregisterHotKey(None, HOTKEY_ID):
                log.warning("UnregisterHotKey failed (error %d)", _last_error())
