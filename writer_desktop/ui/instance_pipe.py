"""The single-instance server over Qt's ``QLocalServer``: a named pipe on Windows.

See :mod:`.single_instance` for the protocol; POSIX uses :mod:`.instance_unix` instead.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from .single_instance import Handler

log = logging.getLogger(__name__)


class PipeListener(QObject):
    def __init__(self, name: str, handle: Handler, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._handle = handle
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Probe first: with socket options set, Qt creates the socket elsewhere and renames it
        into place, which would silently steal the name from a running instance."""
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
        answer = self._handle(data)
        if answer is None:
            self._buffers[sock] = data
            return
        self._buffers.pop(sock, None)
        line, then = answer
        sock.write(line)
        sock.flush()
        sock.disconnectFromServer()
        if then is not None:
            then()
