"""X11: a passive key grab on the root window, made on Qt's own xcb connection.

The grab is requested with ``xcb_grab_key_checked`` through ctypes (libxcb, and libxcb-keysyms for
the keysym → keycode lookup), so no second connection, thread or package is needed. The X server
then sends the key presses to Qt's connection, where a native event filter picks them out. Another
client holding the same grab makes the server answer ``BadAccess``: the combination is taken.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication, QObject
from PySide6.QtGui import QGuiApplication, QNativeInterface

from . import HotkeyBackend, HotkeyError, event_type_name
from .keys import X11_IGNORED, X11_LOCK, X11_NUM_LOCK, KeyCombo, x11_grab

log = logging.getLogger(__name__)

XCB_KEY_PRESS, XCB_KEY_RELEASE = 2, 3
XCB_GRAB_MODE_ASYNC = 1
BAD_ACCESS = 10
# Lock and NumLock change the state a key press carries, and a grab matches the state exactly, so
# every combination of the two gets its own grab.
LOCK_VARIANTS = (0, X11_LOCK, X11_NUM_LOCK, X11_LOCK | X11_NUM_LOCK)


class _VoidCookie(ctypes.Structure):
    _fields_ = (("sequence", ctypes.c_uint),)


class _GenericError(ctypes.Structure):
    _fields_ = (
        ("response_type", ctypes.c_uint8),
        ("error_code", ctypes.c_uint8),
        ("sequence", ctypes.c_uint16),
        ("resource_id", ctypes.c_uint32),
    )


class _KeyEvent(ctypes.Structure):
    """``xcb_key_press_event_t`` (and release, which has the same layout)."""

    _fields_ = (
        ("response_type", ctypes.c_uint8),
        ("detail", ctypes.c_uint8),
        ("sequence", ctypes.c_uint16),
        ("time", ctypes.c_uint32),
        ("root", ctypes.c_uint32),
        ("event", ctypes.c_uint32),
        ("child", ctypes.c_uint32),
        ("root_x", ctypes.c_int16),
        ("root_y", ctypes.c_int16),
        ("event_x", ctypes.c_int16),
        ("event_y", ctypes.c_int16),
        ("state", ctypes.c_uint16),
        ("same_screen", ctypes.c_uint8),
    )


class _ScreenIterator(ctypes.Structure):
    _fields_ = (("data", ctypes.c_void_p), ("rem", ctypes.c_int), ("index", ctypes.c_int))


def _load() -> tuple[Any, Any, Any]:
    """libxcb, libxcb-keysyms and libc with the signatures used here."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
        keysyms = ctypes.CDLL("libxcb-keysyms.so.1")
        libc = ctypes.CDLL(None)  # free() for the replies libxcb mallocs
    except OSError as exc:
        raise HotkeyError(
            "The global shortcut needs libxcb-keysyms (package libxcb-keysyms1), "
            f"which could not be loaded: {exc}"
        ) from exc
    conn, vp, u8, u16, u32 = (ctypes.c_void_p,) * 2 + (
        ctypes.c_uint8,
        ctypes.c_uint16,
        ctypes.c_uint32,
    )
    xcb.xcb_get_setup.argtypes, xcb.xcb_get_setup.restype = [conn], vp
    xcb.xcb_setup_roots_iterator.argtypes = [vp]
    xcb.xcb_setup_roots_iterator.restype = _ScreenIterator
    xcb.xcb_screen_next.argtypes, xcb.xcb_screen_next.restype = (
        [ctypes.POINTER(_ScreenIterator)],
        None,
    )
    xcb.xcb_grab_key_checked.argtypes = [conn, u8, u32, u16, u8, u8, u8]
    xcb.xcb_grab_key_checked.restype = _VoidCookie
    xcb.xcb_ungrab_key_checked.argtypes = [conn, u8, u32, u16]
    xcb.xcb_ungrab_key_checked.restype = _VoidCookie
    xcb.xcb_request_check.argtypes = [conn, _VoidCookie]
    xcb.xcb_request_check.restype = ctypes.POINTER(_GenericError)
    keysyms.xcb_key_symbols_alloc.argtypes, keysyms.xcb_key_symbols_alloc.restype = [conn], vp
    keysyms.xcb_key_symbols_free.argtypes, keysyms.xcb_key_symbols_free.restype = [vp], None
    keysyms.xcb_key_symbols_get_keycode.argtypes = [vp, u32]
    keysyms.xcb_key_symbols_get_keycode.restype = ctypes.POINTER(ctypes.c_uint8)
    libc.free.argtypes, libc.free.restype = [vp], None
    return xcb, keysyms, libc


def _app() -> QCoreApplication:
    app = QCoreApplication.instance()
    if app is None:
        raise HotkeyError("The global shortcut needs a running Qt application.")
    return app


class _KeyFilter(QAbstractNativeEventFilter):
    """Hands Qt's key events on the root window to the backend; swallows the ones it grabbed."""

    def __init__(self, backend: X11Backend) -> None:
        super().__init__()
        self._backend = backend

    def nativeEventFilter(
        self, eventType: QByteArray | bytes | bytearray | memoryview, message: int
    ) -> tuple[bool, int]:
        # Every X event passes through here, so the cheap checks come first.
        address = int(message)  # a shiboken VoidPtr at run time, whatever the stubs say
        kind = ctypes.c_uint8.from_address(address).value & 0x7F
        if (
            kind not in (XCB_KEY_PRESS, XCB_KEY_RELEASE)
            or event_type_name(eventType) != b"xcb_generic_event_t"
        ):
            return False, 0
        event = _KeyEvent.from_address(address)
        ours = self._backend._on_key(kind == XCB_KEY_PRESS, event.detail, event.state, event.time)
        return ours, 0


class X11Backend(HotkeyBackend):
    """``xcb_grab_key`` on every root window of Qt's X connection."""

    name: ClassVar[str] = "X11 key grab"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        app = _app()
        # The offscreen plugin also answers with a QX11Application, whose connection is NULL.
        native = app.nativeInterface() if isinstance(app, QGuiApplication) else None
        conn = native.connection() if isinstance(native, QNativeInterface.QX11Application) else 0
        if not conn:
            raise HotkeyError("Qt is not running on X11, so an X11 key grab is not possible.")
        self._conn: int = conn
        self._xcb, self._keysyms, self._libc = _load()
        self._grabs: list[tuple[int, int, int]] = []  # (root, keycode, modifiers)
        self._keycodes: frozenset[int] = frozenset()
        self._mask = 0
        self._held = False
        self._released_at = -1
        self._filter = _KeyFilter(self)

    def _roots(self) -> list[int]:
        it = self._xcb.xcb_setup_roots_iterator(self._xcb.xcb_get_setup(self._conn))
        roots = []
        while it.rem > 0:
            roots.append(ctypes.c_uint32.from_address(it.data).value)  # xcb_screen_t.root
            self._xcb.xcb_screen_next(ctypes.byref(it))
        return roots

    def _keycodes_for(self, keysym: int) -> list[int]:
        symbols = self._keysyms.xcb_key_symbols_alloc(self._conn)
        try:
            found = self._keysyms.xcb_key_symbols_get_keycode(symbols, keysym)
            if not found:
                return []
            codes: list[int] = []
            while found[len(codes)] != 0:  # the list ends with XCB_NO_SYMBOL
                codes.append(found[len(codes)])
            self._libc.free(found)
            return codes
        finally:
            self._keysyms.xcb_key_symbols_free(symbols)

    def _grab(self, combo: KeyCombo) -> None:
        mask, keysym = x11_grab(combo)
        keycodes = self._keycodes_for(keysym)
        if not keycodes:
            raise HotkeyError(f"{combo.text()} has no key on this keyboard layout.")
        wanted = [(r, k, mask | v) for r in self._roots() for k in keycodes for v in LOCK_VARIANTS]
        # Send every request before waiting for the first answer: one round trip, not sixteen.
        cookies = [
            self._xcb.xcb_grab_key_checked(
                self._conn, 1, root, mods, key, XCB_GRAB_MODE_ASYNC, XCB_GRAB_MODE_ASYNC
            )
            for root, key, mods in wanted
        ]
        codes = [self._check(cookie) for cookie in cookies]
        self._grabs = [grab for grab, code in zip(wanted, codes, strict=True) if code == 0]
        if any(codes):
            self._ungrab_all()
            if BAD_ACCESS in codes:
                raise HotkeyError(
                    f"{combo.text()} is already used by another program. Choose another shortcut."
                )
            raise HotkeyError(f"The X server refused {combo.text()} (X error {max(codes)}).")
        self._keycodes, self._mask, self._held = frozenset(keycodes), mask, False
        _app().installNativeEventFilter(self._filter)
        log.info("grabbed %s (keycodes %s, mask %#x)", combo.text(), keycodes, mask)

    def _check(self, cookie: _VoidCookie) -> int:
        """The X error code a checked request ended with, 0 for success."""
        error = self._xcb.xcb_request_check(self._conn, cookie)
        if not error:
            return 0
        code = int(error.contents.error_code)
        self._libc.free(error)
        return code

    def _ungrab_all(self) -> None:
        cookies = [
            self._xcb.xcb_ungrab_key_checked(self._conn, key, root, mods)
            for root, key, mods in self._grabs
        ]
        for cookie in cookies:  # checked, so an error is not reported to Qt as its own
            self._check(cookie)
        self._grabs = []

    def _release(self) -> None:
        _app().removeNativeEventFilter(self._filter)
        self._ungrab_all()
        self._keycodes, self._held = frozenset(), False

    def _on_key(self, pressed: bool, keycode: int, state: int, time: int) -> bool:
        """True when the event is our combination (so Qt can skip it); emits once per press.

        Holding the keys auto-repeats. With XKB's detectable auto-repeat that is presses without
        releases (``_held``); without it (Xvfb, for one) each repeat is a release and a press
        carrying the same server time, which no real second press can share.
        """
        if keycode not in self._keycodes:
            return False
        if not pressed:
            self._held, self._released_at = False, time
        if state & ~X11_IGNORED & 0xFF != self._mask:
            return False
        if pressed:
            repeat = self._held or time == self._released_at
            self._held = True
            if not repeat:
                self.activated.emit()
        return True
