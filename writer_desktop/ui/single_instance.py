"""One running Writer Desktop per user: a local socket that later launches talk to.

This is the server half, started once the first frame is drawn; the client half, which every
launch uses before drawing anything, is :mod:`.instance_client`.

The first instance listens on ``<runtime>/writer-desktop.sock`` (a named pipe on Windows) that only
the user can open; a second ``writer-desktop`` sends ``{"command": "activate"}`` and exits, and
``writer-desktop quick [TEXT]`` sends ``{"command": "quick", "text": ...}``. A socket file left by a
crashed instance (nobody answers on it) is removed and taken over.

Wire format: one JSON object per line, one request per connection, at most 64 KiB; the answer is
``{"ok": true}`` or ``{"ok": false, "error": "..."}``.

The transport is :mod:`.instance_unix` on POSIX (a plain Unix socket watched by a
``QSocketNotifier``: Qt's network module would cost ~2.6 MiB of the idle memory for one tiny
socket) and :mod:`.instance_pipe` (``QLocalServer``) on Windows.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

MAX_REQUEST = 64 * 1024
COMMANDS = ("activate", "quick")

# What to send back, and what to do once it is sent (None: nothing).
Answer = tuple[bytes, Callable[[], None] | None]
# Given what a connection has sent so far: its answer, or None to wait for more.
Handler = Callable[[bytes], Answer | None]


class Listener(Protocol):
    def listen(self) -> bool: ...
    def close(self) -> None: ...


class InstanceServer(QObject):
    """Listens for later launches and turns their requests into signals."""

    activate_requested = Signal()
    quick_requested = Signal(str)

    def __init__(
        self, name: str, parent: QObject | None = None, *, pipe: bool = False, held: bool = False
    ) -> None:
        """``pipe`` picks Qt's ``QLocalServer`` where Unix sockets would do (tests). ``held``:
        requests are answered but their signals wait for :meth:`deliver` (the app listens
        before the parts that act on them exist; a request was lost in between)."""
        super().__init__(parent)
        self.name = name
        self._held: list[Callable[[], None]] | None = [] if held else None
        self._listener: Listener
        if pipe or sys.platform == "win32":
            from .instance_pipe import PipeListener

            self._listener = PipeListener(name, self._handle, self)
        else:
            from .instance_unix import UnixListener

            self._listener = UnixListener(name, self._handle, self)

    def listen(self) -> bool:
        """Start listening; False when another live instance already owns the name (or the
        socket cannot be made: the app then runs without it)."""
        return self._listener.listen()

    def close(self) -> None:
        self._listener.close()

    def deliver(self) -> None:
        """Emit the requests held so far, in order, and from now on as they come."""
        held, self._held = self._held or [], None
        for emit in held:
            emit()

    def _then(self, emit: Callable[[], None]) -> Callable[[], None]:
        def now_or_held() -> None:
            if self._held is None:
                emit()
            else:
                self._held.append(emit)

        return now_or_held

    def _handle(self, data: bytes) -> Answer | None:
        if b"\n" not in data:
            return (reply(False, "request too large"), None) if len(data) > MAX_REQUEST else None
        try:
            request = json.loads(data.split(b"\n", 1)[0].decode("utf-8"))
            command = request.get("command")
        except (ValueError, AttributeError):
            return reply(False, "not a JSON object"), None
        if command == "activate":
            return reply(True), self._then(self.activate_requested.emit)
        if command == "quick":
            text = request.get("text") or ""
            if not isinstance(text, str):
                return reply(False, "text must be a string"), None
            return reply(True), self._then(lambda: self.quick_requested.emit(text))
        return reply(False, f"unknown command {str(command)[:40]!r}"), None


def reply(ok: bool, error: str = "") -> bytes:
    """One answer line of the wire format."""
    answer: dict[str, Any] = {"ok": ok}
    if error:
        answer["error"] = error
    return json.dumps(answer).encode("utf-8") + b"\n"
