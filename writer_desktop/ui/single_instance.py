"""One running Writer Desktop per user: a local socket that later launches talk to.

This is the server half, started once the first frame is drawn; the client half, which every
launch uses before drawing anything, is :mod:`.instance_client`.

The first instance listens on ``<runtime>/writer-desktop.sock`` (a named pipe on Windows) that only
the user can open; a second ``writer-desktop`` sends ``{"command": "activate"}`` and exits, and
``writer-desktop quick [TEXT]`` sends ``{"command": "quick", "text": ...}``. A socket file left by a
crashed instance (nobody answers on it) is removed and taken over.

Wire format: one JSON object per line, one request per connection, at most 64 KiB; the answer is
``{"ok": true}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

MAX_REQUEST = 64 * 1024
COMMANDS = ("activate", "quick")


class InstanceServer(QObject):
    """Listens for later launches and turns their requests into signals."""

    activate_requested = Signal()
    quick_requested = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; False when another live instance already owns the name.

        Probe first: with socket options set, Qt creates the socket elsewhere and renames it into
        place, which would silently steal the name from a running instance.
        """
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        alive = probe.waitForConnected(500)
        probe.abort()
        if alive:
            return False
        if sys.platform != "win32" and Path(self.name).exists():
            log.info("removing a stale instance socket left by a crash: %s", self.name)
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._forget(s))

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_REQUEST:
                self._answer(sock, False, "request too large")
            else:
                self._buffers[sock] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            request = json.loads(line.decode("utf-8"))
            command = request.get("command")
        except (ValueError, AttributeError):
            self._answer(sock, False, "not a JSON object")
            return
        if command == "activate":
            self._answer(sock, True)
            self.activate_requested.emit()
        elif command == "quick":
            text = request.get("text") or ""
            if not isinstance(text, str):
                self._answer(sock, False, "text must be a string")
                return
            self._answer(sock, True)
            self.quick_requested.emit(text)
        else:
            self._answer(sock, False, f"unknown command {str(command)[:40]!r}")

    def _answer(self, sock: QLocalSocket, ok: bool, error: str = "") -> None:
        self._buffers.pop(sock, None)
        reply: dict[str, Any] = {"ok": ok}
        if error:
            reply["error"] = error
        sock.write(json.dumps(reply).encode("utf-8") + b"\n")
        sock.flush()
        sock.disconnectFromServer()
