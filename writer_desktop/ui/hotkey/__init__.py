"""The global hotkey that opens the quick prompt: one interface, one backend per platform.

:class:`HotkeyBackend` is the interface; :func:`choose_backend` picks the one that fits the running
Qt platform plugin (``QGuiApplication.platformName()``) and operating system:

=========  ======================================  =================
platform   mechanism                               module
=========  ======================================  =================
xcb        ``xcb_grab_key`` on Qt's X connection   :mod:`.x11`
wayland    XDG desktop portal GlobalShortcuts      :mod:`.portal`
windows    ``RegisterHotKey`` + ``WM_HOTKEY``      :mod:`.windows`
cocoa      Carbon ``RegisterEventHotKey``          :mod:`.macos`
=========  ======================================  =================

Where none fits (offscreen, Wayland without the portal) it returns None and
:func:`unavailable_reason` says why; :func:`manual_binding_hint` tells the user what to bind
instead. Sequences are Qt portable text ("Ctrl+Alt+Space"); as everywhere in Qt, on macOS "Ctrl"
is ⌘ Command and "Meta" is ⌃ Control. Every failure is a :class:`HotkeyError` whose message can
be shown as is.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QByteArray, QObject, Signal
from PySide6.QtGui import QGuiApplication

if TYPE_CHECKING:
    from .keys import KeyCombo

log = logging.getLogger(__name__)

QUICK_COMMAND = "writer-desktop quick"


class HotkeyError(Exception):
    """A shortcut that cannot be used; ``str(error)`` is a sentence for the user."""


class HotkeyBackend(QObject):
    """One platform's way to hear a key combination while another program has the focus.

    ``register`` replaces the current combination (on failure the previous one is restored where
    possible); ``activated`` fires once per press, never for auto-repeat. ``failed`` carries
    errors that arrive after ``register`` returned (the portal answers asynchronously).

    Keep the backend alive while it is registered (Qt holds its native event filter only by
    pointer) and call :meth:`close` when done.
    """

    activated = Signal()
    failed = Signal(str)

    name: ClassVar[str] = "none"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sequence: str | None = None

    @property
    def sequence(self) -> str | None:
        """The combination registered now, or None."""
        return self._sequence

    def register(self, sequence: str) -> None:
        """Listen for ``sequence``; raise :class:`HotkeyError` if it is invalid or taken."""
        from .keys import parse_sequence  # keys imports HotkeyError from here

        combo = parse_sequence(sequence)  # an invalid sequence leaves the old one in place
        previous = self._sequence
        self.unregister()
        try:
            self._grab(combo)
        except HotkeyError:
            if previous is not None:
                try:
                    self._grab(parse_sequence(previous))
                    self._sequence = previous
                except HotkeyError:
                    log.warning("could not restore the previous hotkey %s", previous)
            raise
        self._sequence = sequence

    def unregister(self) -> None:
        """Stop listening; harmless when nothing is registered."""
        if self._sequence is not None:
            self._sequence = None
            self._release()

    def close(self) -> None:
        """Unregister and free what the backend holds open (the portal's bus connection)."""
        self.unregister()

    def _fail_later(self, message: str) -> None:
        """For asynchronous backends: the registration failed after ``register`` returned."""
        self.unregister()
        self.failed.emit(message)

    def _grab(self, combo: KeyCombo) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


def event_type_name(event_type: QByteArray | bytes | bytearray | memoryview) -> bytes:
    """A native event filter's ``eventType`` as bytes (PySide passes a QByteArray)."""
    return bytes(event_type.data()) if isinstance(event_type, QByteArray) else bytes(event_type)


def default_sequence(platform: str = sys.platform) -> str:
    """Ctrl+Alt+Space, or Option+Space on macOS (Qt spells Option "Alt")."""
    return "Alt+Space" if platform == "darwin" else "Ctrl+Alt+Space"


def manual_binding_hint() -> str:
    """What to tell a user whose desktop lets no app register a global shortcut."""
    return (
        "Your desktop does not let apps set global shortcuts. To open the quick prompt with a key, "
        "add a custom shortcut in your desktop's keyboard settings and set its command to:\n\n"
        f"    {QUICK_COMMAND}"
    )


Factory = Callable[[], HotkeyBackend]


def pick_backend(
    platform_name: str,
    os_name: str,
    session_type: str,
    portal_version: Callable[[], int | None],
) -> tuple[Factory | None, str]:
    """The backend factory for a platform, or None and the reason in words (pure, for tests)."""
    # Backends are imported only for their own platform: each is import-safe everywhere, but
    # there is no reason to load Carbon or user32 wrappers on Linux.
    if platform_name == "xcb":
        if session_type == "wayland":
            portal, _ = _portal(portal_version)
            if portal is not None:
                return portal, ""
            # Under XWayland the grab only fires while one of the X11 windows has the focus.
        from .x11 import X11Backend

        return X11Backend, ""
    if platform_name.startswith("wayland"):
        return _portal(portal_version)
    if platform_name == "windows" and os_name == "win32":
        from .windows import WindowsBackend

        return WindowsBackend, ""
    if platform_name == "cocoa" and os_name == "darwin":
        from .macos import MacBackend

        return MacBackend, ""
    if platform_name in ("offscreen", "minimal"):
        return (
            None,
            f"Qt runs without a display ({platform_name}), so there is no keyboard to watch.",
        )
    return None, f"Global shortcuts are not supported on the Qt platform {platform_name!r}."


def _portal(portal_version: Callable[[], int | None]) -> tuple[Factory | None, str]:
    from .portal import PortalBackend, jeepney_available

    if portal_version() is None:
        return None, (
            "This Wayland desktop does not offer the GlobalShortcuts portal "
            "(org.freedesktop.portal.GlobalShortcuts)."
        )
    if not jeepney_available():
        return None, "The GlobalShortcuts portal needs the jeepney package, which is missing."
    return PortalBackend, ""


def _portal_version() -> int | None:
    # Imported only when asked (Wayland): the portal module loads QtDBus, ~1 MiB an X11 session
    # would carry for nothing.
    from .portal import portal_version

    return portal_version()


def _pick(app: QGuiApplication) -> tuple[Factory | None, str]:
    return pick_backend(
        app.platformName(),
        sys.platform,
        os.environ.get("XDG_SESSION_TYPE", "").lower(),
        _portal_version,
    )


def choose_backend(app: QGuiApplication) -> HotkeyBackend | None:
    """The backend for the running platform, or None (see :func:`unavailable_reason`)."""
    factory, reason = _pick(app)
    if factory is None:
        log.info("no global hotkey: %s", reason)
        return None
    try:
        return factory()
    except HotkeyError as exc:  # e.g. a missing library or an unreachable session bus
        log.warning("no global hotkey: %s", exc)
        return None


def unavailable_reason(app: QGuiApplication) -> str:
    """Why :func:`choose_backend` returns None, or "" when a backend is available."""
    return _pick(app)[1]


__all__ = [
    "QUICK_COMMAND",
    "HotkeyBackend",
    "HotkeyError",
    "choose_backend",
    "default_sequence",
    "event_type_name",
    "manual_binding_hint",
    "pick_backend",
    "unavailable_reason",
]
