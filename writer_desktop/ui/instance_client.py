"""Talking to the Writer Desktop already running: the client half of :mod:`.single_instance`.

A launch asks this first, before any window exists, so it is kept light: on POSIX the server's
socket is a Unix domain socket file, which Python's own ``socket`` module reaches without loading
Qt's network module (about 6 ms of the first paint here, and all of Qt for ``writer-desktop
quick``). On Windows the server is a named pipe and Qt's ``QLocalSocket`` is used.

Wire format (shared with the server): one JSON object per line, one request per connection; the
answer is ``{"ok": true}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import getpass
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

MAX_ANSWER = 64 * 1024
SOCKET_PATH_MAX = 100  # bytes: a Unix socket's address holds 108 on Linux, 104 on macOS
SHORT_SOCKETS = "/tmp"  # where a socket goes whose natural path is longer (see socket_name)


def socket_name(runtime_dir: Path) -> str:
    """The server name: a private path on POSIX, a per-user pipe name on Windows.

    A path too long for a socket's address (a deep ``WRITER_DESKTOP_HOME``) is replaced by a
    short one named after it, in a folder of this user's in ``/tmp``: there the server could not
    listen, so later launches and ``quick`` found nobody. ``/tmp`` whatever the environment says
    (``XDG_RUNTIME_DIR``, ``TMPDIR``): a launch from another session or script must find the
    same name.
    """
    if sys.platform == "win32":
        return f"writer-desktop-{getpass.getuser()}"
    path = str(runtime_dir / "writer-desktop.sock")
    if len(os.fsencode(path)) <= SOCKET_PATH_MAX:
        return path
    import hashlib

    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:20]
    return f"{SHORT_SOCKETS}/writer-desktop-{os.getuid()}/{digest}.sock"


def private_folder(folder: str) -> bool:
    """Whether ``folder`` is a real folder of this user's that no one else can enter: a socket
    in a folder another user made (in /tmp) could be theirs, listening for our requests."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    )


def send_to_running(name: str, request: dict[str, Any], timeout_ms: int = 2000) -> bool:
    """Deliver ``request`` to a running instance; False when none answers (blocking call)."""
    line = json.dumps(request).encode("utf-8") + b"\n"
    if sys.platform == "win32":
        answer = _exchange_qt(name, line, timeout_ms)
    else:
        answer = _exchange_unix(name, line, timeout_ms / 1000)
    if answer is None:
        return False
    try:
        return bool(json.loads(answer.split(b"\n", 1)[0].decode("utf-8")).get("ok"))
    except (ValueError, AttributeError):
        return False


def _exchange_unix(path: str, line: bytes, timeout: float) -> bytes | None:
    """Send ``line`` over the Unix socket at ``path``; the answer's bytes, None if nobody is
    there (no file, a file left by a crash, or no answer in time)."""
    if not os.path.exists(path):  # the usual case at a first launch: not even the socket module
        return None
    if not private_folder(os.path.dirname(path)):
        return None
    import socket

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(line)
            answer = b""
            while b"\n" not in answer and len(answer) < MAX_ANSWER:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer
    except OSError:  # includes timeouts and refused connections
        return None


def _exchange_qt(name: str, line: bytes, timeout_ms: int) -> bytes | None:
    """The same over ``QLocalSocket`` (Windows named pipes); needs a QCoreApplication."""
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return None
    try:
        sock.write(line)
        if not sock.waitForBytesWritten(timeout_ms):
            return None
        answer = b""
        while b"\n" not in answer and sock.waitForReadyRead(timeout_ms):
            answer += bytes(sock.readAll().data())
        return answer
    finally:
        sock.abort()
