"""A stand-in for xdg-desktop-portal's GlobalShortcuts, for a private D-Bus session bus.

``python -m tests.e2e.fake_portal`` (with ``DBUS_SESSION_BUS_ADDRESS`` set) owns
``org.freedesktop.portal.Desktop`` and follows the portal documentation: ``CreateSession`` and
``BindShortcuts`` return a Request handle and answer with its ``Response`` signal. It prints
``ready``, then ``bind <id> <preferred trigger>`` and ``closed <session>`` as calls arrive. After
a bind it emits ``Activated`` once, as if the user pressed the keys; a trigger containing "F12"
is answered with response 1 (the user cancelled).
"""

from __future__ import annotations

from typing import Any

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    HeaderFields,
    MessageType,
    message_bus,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

SERVICE = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"


def signal_to(sender: str, path: str, interface: str, member: str, sig: str, body: Any) -> Any:
    message = new_signal(DBusAddress(path, interface=interface), member, sig, body)
    message.header.fields[HeaderFields.destination] = sender
    return message


def respond(sender: str, request: str, code: int, results: dict[str, tuple[str, Any]]) -> Any:
    """The Request's Response signal: code 0 success, 1 cancelled by the user."""
    interface = "org.freedesktop.portal.Request"
    return signal_to(sender, request, interface, "Response", "ua{sv}", (code, results))


def main() -> None:
    conn = open_dbus_connection(bus="SESSION")
    conn.send_and_get_reply(message_bus.RequestName(SERVICE))
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        fields = msg.header.fields
        if msg.header.message_type != MessageType.method_call:
            continue
        member, sender = fields.get(HeaderFields.member), fields[HeaderFields.sender]
        client = sender.lstrip(":").replace(".", "_")
        if member == "Get" and tuple(msg.body) == (SHORTCUTS, "version"):
            conn.send(new_method_return(msg, "v", (("u", 1),)))
        elif member == "CreateSession":
            options = msg.body[0]
            request = f"{PATH}/request/{client}/{options['handle_token'][1]}"
            session = f"{PATH}/session/{client}/{options['session_handle_token'][1]}"
            conn.send(new_method_return(msg, "o", (request,)))
            conn.send(respond(sender, request, 0, {"session_handle": ("s", session)}))
        elif member == "BindShortcuts":
            session, shortcuts, _parent, options = msg.body
            shortcut_id, props = shortcuts[0]
            trigger = props["preferred_trigger"][1]
            print(f"bind {shortcut_id} {trigger}", flush=True)
            request = f"{PATH}/request/{client}/{options['handle_token'][1]}"
            conn.send(new_method_return(msg, "o", (request,)))
            code = 1 if "F12" in trigger else 0
            bound = [(shortcut_id, {"trigger_description": ("s", trigger)})]
            conn.send(respond(sender, request, code, {"shortcuts": ("a(sa{sv})", bound)}))
            if code == 0:
                body: tuple[Any, ...] = (session, shortcut_id, 0, {})
                conn.send(signal_to(sender, PATH, SHORTCUTS, "Activated", "osta{sv}", body))
        elif member == "Close":
            print(f"closed {fields[HeaderFields.path]}", flush=True)
            conn.send(new_method_return(msg))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,)))


if __name__ == "__main__":
    main()
