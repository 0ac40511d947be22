"""The single-instance server on POSIX: a Unix socket file that only the user can open.

A plain ``socket`` watched by ``QSocketNotifier`` (QtCore), not ``QLocalServer``: Qt's network
module costs ~2.6 MiB of idle memory for this one tiny socket. See :mod:`.single_instance` for the
protocol and :mod:`.instance_client` for the client half.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QSocketNotifier

from .instance_client import private_folder
from .single_instance import Handler

log = logging.getLogger(__name__)

PROBE_SECONDS = 0.5
MAX_CLIENTS = 16  # launches talking at once; more are turned away


@dataclass(eq=False)
class _Client:
    sock: socket.socket
    notifier: QSocketNotifier
    data: bytes = field(default=b"")


class UnixListener(QObject):
    def __init__(self, path: str, handle: Handler, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._handle = handle
        self._sock: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        self._inode: int | None = None
        self._clients: dict[int, _Client] = {}

    def listen(self) -> bool:
        if answers(self.path):
            return False
        if os.path.lexists(self.path):
            log.info("removing a stale instance socket left by a crash: %s", self.path)
            try:
                os.unlink(self.path)
            except OSError as exc:
                log.warning("could not remove %s: %s", self.path, exc)
                return False
        try:
            sock = bind_private(self.path)
        except OSError as exc:
            log.warning("could not listen on %s: %s", self.path, exc)
            return False
        self._sock = sock
        self._inode = os.stat(self.path).st_ino
        self._notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(lambda *_: self._accept())
        return True

    def close(self) -> None:
        """Stop listening and remove the socket file (unless another instance has replaced it)."""
        for client in list(self._clients.values()):
            self._drop(client)
        if self._sock is None:
            return
        assert self._notifier is not None
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        self._sock.close()
        self._sock = self._notifier = None
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)

    def _accept(self) -> None:
        assert self._sock is not None
        while True:
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. out of file descriptors: try again at the next one
                log.warning("could not accept a launch's connection: %s", exc)
                return
            if len(self._clients) >= MAX_CLIENTS:
                conn.close()
                continue
            conn.setblocking(False)
            notifier = QSocketNotifier(conn.fileno(), QSocketNotifier.Type.Read, self)
            client = _Client(conn, notifier)
            self._clients[conn.fileno()] = client
            notifier.activated.connect(lambda *_, c=client: self._read(c))

    def _read(self, client: _Client) -> None:
        try:
            chunk = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # the launch hung up before a whole request (e.g. a listen() probe)
            self._drop(client)
            return
        client.data += chunk
        answer = self._handle(client.data)
        if answer is None:
            return
        line, then = answer
        try:
            client.sock.send(line)  # a few bytes: always fits the socket's buffer
        except OSError as exc:
            log.info("a launch left before its answer: %s", exc)
        self._drop(client)
        if then is not None:
            then()

    def _drop(self, client: _Client) -> None:
        self._clients.pop(client.sock.fileno(), None)
        client.notifier.setEnabled(False)
        client.notifier.deleteLater()  # not at once: this may be its own signal's slot
        client.sock.close()


def answers(path: str) -> bool:
    """Whether a live instance accepts connections on ``path``."""
    if not os.path.lexists(path):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(PROBE_SECONDS)
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


def bind_private(path: str) -> socket.socket:
    """A listening, non-blocking socket at ``path`` that only the user can open.

    Bound in a private folder, made 0600, then renamed into place: there is never a moment when
    ``path`` exists with the umask's permissions. The folder ``path`` is in is made if missing
    (the short socket folder of :func:`.instance_client.socket_name`), and must be private.
    """
    parent = os.path.dirname(path) or "."
    with contextlib.suppress(FileExistsError):
        os.mkdir(parent, 0o700)
    if not private_folder(parent):
        raise PermissionError(f"{parent} is not a private folder of this user's")
    folder = tempfile.mkdtemp(prefix=".wd", dir=parent)
    private = os.path.join(folder, "s")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(private)
        os.chmod(private, 0o600)
        sock.listen(MAX_CLIENTS)
        os.replace(private, path)
    except OSError:
        sock.close()
        if os.path.lexists(private):
            os.unlink(private)
        raise
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    sock.setblocking(False)
    return sock
