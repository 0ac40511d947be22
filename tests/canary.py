"""Canaries for hostile-output tests: something that notices when the app reaches for it.

- :class:`CanaryServer`: an HTTP server on loopback (a real socket) that counts every connection
  and every request line, on any path and with any method, and answers each with an empty 200.
- :class:`OpenWatch`: Linux inotify on a folder of bait files; it sees every open or read of them
  by anyone, C++ code in Qt included (an audit hook only sees Python's own opens).
- :class:`AuditLog`: a ``sys.addaudithook`` hook (hooks cannot be removed, so it is installed once
  and records only between ``start`` and ``stop``) for file opens and for starting programs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class CanaryServer:
    """``with CanaryServer() as canary: ... canary.url("/x.png") ... canary.connections``."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._listener.getsockname()[1]
        self.connections = 0
        self.requests: list[str] = []  # request lines, e.g. "GET /img.png HTTP/1.1"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="canary", daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + "/" + path.lstrip("/")

    def __enter__(self) -> CanaryServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        # A blocking accept: a thread that polls allocates, and a garbage collection it starts
        # would destroy the GUI thread's Qt objects (qasync's timers) here (tests/gui/harness.py).
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self._stop.is_set():
                conn.close()
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            data = b""
            try:
                while b"\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                line = data.split(b"\r\n", 1)[0].decode("latin-1")
                with self._lock:
                    self.requests.append(line or "(no request line)")
                conn.sendall(_RESPONSE)
            except OSError:
                with self._lock:
                    self.requests.append("(broken connection)")


_IN_ACCESS = 0x001
_IN_OPEN = 0x020
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")
_LIBC = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None  # runs ldconfig


class OpenWatch:
    """inotify on ``folder``: every open or read of it or of a file in it, by any code.

    Create the bait files before starting the watch; read :meth:`events` to collect them.
    """

    def __init__(self, folder: Path) -> None:
        self._libc = ctypes.CDLL(_LIBC, use_errno=True)
        self._fd = self._libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), _IN_OPEN | _IN_ACCESS)
        if wd < 0:
            os.close(self._fd)
            raise OSError(ctypes.get_errno(), "inotify_add_watch failed")
        self.seen: list[str] = []

    @staticmethod
    def available() -> bool:
        return _LIBC is not None

    def events(self) -> list[str]:
        """Names opened or read since the watch began ("." for the folder itself)."""
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return list(self.seen)
            offset = 0
            while offset < len(data):
                _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                offset += _EVENT.size
                raw = data[offset : offset + length].rstrip(b"\0")
                offset += length
                kind = "open" if mask & _IN_OPEN else "read"
                self.seen.append(f"{kind} {raw.decode(errors='replace') or '.'}")

    def close(self) -> None:
        os.close(self._fd)


_EXEC_EVENTS = frozenset(
    {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile",
     "webbrowser.open", "pty.spawn"}
)  # fmt: skip


class AuditLog:
    """What Python code opened and ran while recording (see :func:`audit`)."""

    _installed = False
    _current: AuditLog | None = None

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.ran: list[str] = []

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        log = cls._current
        if log is None:
            return
        if event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
            log.opened.append(os.fsdecode(args[0]))
        elif event in _EXEC_EVENTS:
            log.ran.append(f"{event} {args!r}"[:300])

    @classmethod
    def install(cls) -> None:
        if not cls._installed:
            sys.addaudithook(cls._hook)
            cls._installed = True


@contextmanager
def audit() -> Iterator[AuditLog]:
    """Record Python-level file opens and program starts inside the ``with`` block."""
    AuditLog.install()
    log = AuditLog()
    AuditLog._current = log
    try:
        yield log
    finally:
        AuditLog._current = None
