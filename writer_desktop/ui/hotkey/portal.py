"""Wayland: the XDG desktop portal's GlobalShortcuts interface.

:func:`portal_version` probes ``org.freedesktop.portal.GlobalShortcuts`` over QtDBus. The session
itself (``CreateSession`` → ``BindShortcuts`` → ``Activated``) runs over jeepney, the pure-Python
D-Bus client keyring already installs on Linux: ``BindShortcuts`` takes an ``a(sa{sv})`` argument,
and PySide6's QtDBus can only marshal arrays of types registered with ``qDBusRegisterMetaType``,
which Python cannot do (``beginArray`` with an unregistered element type aborts in libdbus).
jeepney's socket is watched by a QSocketNotifier, so everything happens on the GUI thread.

The desktop, not the app, decides the final key: it may ask the user to confirm or change the
preferred trigger, so success and failure arrive later (``failed`` carries the failure).
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QObject, QSocketNotifier
from PySide6.QtDBus import QDBus, QDBusConnection, QDBusMessage, QDBusVariant

from . import HotkeyBackend, HotkeyError
from .keys import KeyCombo, portal_trigger

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
INTERFACE = "org.freedesktop.portal.GlobalShortcuts"
REQUEST_INTERFACE = "org.freedesktop.portal.Request"
SESSION_INTERFACE = "org.freedesktop.portal.Session"
SHORTCUT_ID = "quick-prompt"
DESCRIPTION = "Open the Writer Desktop quick prompt"
PROBE_TIMEOUT_MS = 2000  # the first call may start xdg-desktop-portal through D-Bus activation
MATCH_RULES = (
    f"type='signal',interface='{REQUEST_INTERFACE}',member='Response'",
    f"type='signal',interface='{INTERFACE}',member='Activated'",
)
Results = dict[str, tuple[str, Any]]  # a{sv} as jeepney parses it: name → (signature, value)


def portal_version(bus: QDBusConnection | None = None) -> int | None:
    """The GlobalShortcuts portal's interface version, or None if the session has none."""
    bus = QDBusConnection.sessionBus() if bus is None else bus
    if not bus.isConnected():
        return None
    call = QDBusMessage.createMethodCall(SERVICE, PATH, "org.freedesktop.DBus.Properties", "Get")
    call.setArguments([INTERFACE, "version"])
    reply = bus.call(call, QDBus.CallMode.Block, PROBE_TIMEOUT_MS)
    if reply.type() != QDBusMessage.MessageType.ReplyMessage or not reply.arguments():
        log.info("no GlobalShortcuts portal: %s", reply.errorMessage())
        return None
    value = reply.arguments()[0]
    value = value.variant() if isinstance(value, QDBusVariant) else value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def jeepney_available() -> bool:
    return importlib.util.find_spec("jeepney") is not None


def request_path(unique_name: str, token: str) -> str:
    """Where the portal will publish the Request for ``token`` (predicted, to subscribe first)."""
    sender = unique_name.lstrip(":").replace(".", "_")
    return f"{PATH}/request/{sender}/{token}"


class PortalBackend(HotkeyBackend):
    """One GlobalShortcuts session per registration, holding the single "quick-prompt" shortcut."""

    name: ClassVar[str] = "XDG desktop portal (GlobalShortcuts)"

    def __init__(self, parent: QObject | None = None, bus: str = "SESSION") -> None:
        super().__init__(parent)
        try:
            # jeepney has no type information; it comes with keyring on Linux.
            from jeepney import message_bus  # type: ignore[import-untyped]
            from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

            self._conn = open_dbus_connection(bus=bus)
        except Exception as exc:  # ImportError, OSError, KeyError (no address), auth errors
            raise HotkeyError(f"Cannot reach the desktop portal: {exc}") from exc
        try:
            for rule in MATCH_RULES:
                self._conn.send(message_bus.AddMatch(rule))
        except OSError as exc:
            self._conn.close()
            raise HotkeyError(f"Lost the connection to the desktop portal: {exc}") from exc
        self._notifier = QSocketNotifier(self._conn.sock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._tokens = itertools.count(1)
        self._calls: dict[int, tuple[str, str]] = {}  # serial → (what, predicted request path)
        self._waiting: dict[str, Callable[[int, Results], None]] = {}  # request path → next step
        self._session: str | None = None
        self._generation = 0  # bumped on release, so late answers for old sessions are dropped
        self._trigger = self._text = ""

    def close(self) -> None:
        super().close()
        self._notifier.setEnabled(False)
        self._conn.close()

    def _grab(self, combo: KeyCombo) -> None:
        self._trigger, self._text = portal_trigger(combo), combo.text()
        token = self._token()
        self._request(
            "CreateSession",
            "a{sv}",
            ({"handle_token": ("s", token), "session_handle_token": ("s", self._token())},),
            token,
            functools.partial(self._on_session, self._generation),
        )

    def _release(self) -> None:
        self._generation += 1
        self._waiting.clear()
        if self._session is not None:
            self._close_session(self._session)
            self._session = None

    def _on_session(self, generation: int, code: int, results: Results) -> None:
        session = str(results.get("session_handle", ("s", ""))[1])
        if generation != self._generation:  # unregistered meanwhile
            if session:
                self._close_session(session)
            return
        if code != 0 or not session:
            self._fail_later(f"The desktop portal did not open a shortcut session (code {code}).")
            return
        self._session = session
        token = self._token()
        shortcut = {"description": ("s", DESCRIPTION), "preferred_trigger": ("s", self._trigger)}
        self._request(
            "BindShortcuts",
            "oa(sa{sv})sa{sv}",
            (session, [(SHORTCUT_ID, shortcut)], "", {"handle_token": ("s", token)}),
            token,
            self._on_bound,
        )

    def _on_bound(self, code: int, results: Results) -> None:
        if code != 0:
            why = "was cancelled" if code == 1 else f"failed (code {code})"
            self._fail_later(f"Binding {self._text} through the desktop {why}.")
            return
        bound = dict(results.get("shortcuts", ("a(sa{sv})", []))[1])
        trigger = bound.get(SHORTCUT_ID, {}).get("trigger_description", ("s", "?"))[1]
        log.info("portal bound %s as %r", self._trigger, trigger)

    def _token(self) -> str:
        return f"writer_desktop_{next(self._tokens)}"

    def _request(
        self,
        method: str,
        signature: str,
        body: tuple[Any, ...],
        token: str,
        then: Callable[..., None],
    ) -> None:
        from jeepney import DBusAddress, new_method_call

        path = request_path(self._conn.unique_name, token)
        self._waiting[path] = then  # before the call: the Response may come before the reply
        serial = next(self._conn.outgoing_serial)
        self._calls[serial] = (method, path)
        message = new_method_call(DBusAddress(PATH, SERVICE, INTERFACE), method, signature, body)
        self._send(message, serial)

    def _close_session(self, session: str) -> None:
        from jeepney import DBusAddress, new_method_call

        try:
            self._send(new_method_call(DBusAddress(session, SERVICE, SESSION_INTERFACE), "Close"))
        except HotkeyError as exc:  # the portal drops a session with its connection anyway
            log.info("could not close %s: %s", session, exc)

    def _send(self, message: Any, serial: int | None = None) -> None:
        try:
            self._conn.send(message, serial)
        except OSError as exc:
            raise HotkeyError(f"Lost the connection to the desktop portal: {exc}") from exc

    def _drain(self) -> None:
        """Handle every message that has arrived (the notifier is level-triggered)."""
        while True:
            try:
                message = self._conn.receive(timeout=0)
            except TimeoutError:
                return
            except (OSError, ValueError) as exc:  # the bus went away
                self._notifier.setEnabled(False)
                self._fail_later(f"Lost the connection to the desktop portal: {exc}")
                return
            self._dispatch(message)

    def _dispatch(self, message: Any) -> None:
        from jeepney import HeaderFields, MessageType

        header, body = message.header, message.body
        fields = header.fields
        if header.message_type in (MessageType.method_return, MessageType.error):
            what, predicted = self._calls.pop(fields.get(HeaderFields.reply_serial), ("", ""))
            if not what:
                return
            if header.message_type == MessageType.error:
                self._waiting.pop(predicted, None)
                detail = body[0] if body else fields.get(HeaderFields.error_name)
                self._fail_later(f"The desktop portal refused {what}: {detail}")
            elif body and body[0] != predicted and predicted in self._waiting:
                # Portals before version 0.9 chose the request path themselves.
                self._waiting[body[0]] = self._waiting.pop(predicted)
            return
        if header.message_type != MessageType.signal:
            return
        interface, member = fields.get(HeaderFields.interface), fields.get(HeaderFields.member)
        if interface == REQUEST_INTERFACE and member == "Response":
            then = self._waiting.pop(fields.get(HeaderFields.path), None)
            if then is not None:
                then(int(body[0]), body[1])
        elif (
            interface == INTERFACE
            and member == "Activated"
            and self._session is not None
            and tuple(body[:2]) == (self._session, SHORTCUT_ID)
        ):
            self.activated.emit()
