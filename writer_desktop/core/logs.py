"""Logging: rotating files in the log folder, with secrets scrubbed from every line.

``WRITER_DESKTOP_LOG_LEVEL`` (default ``INFO``) sets the level. :class:`Redactor` replaces every
registered secret, and anything shaped like ``Bearer <token>``, before a line is written, including
in tracebacks, so an API key cannot reach a log even through a third-party library's message.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Mapping
from io import TextIOWrapper
from pathlib import Path

LEVEL_ENV = "WRITER_DESKTOP_LOG_LEVEL"
LOG_FILE = "writer-desktop.log"
_BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
REDACTED = "[redacted]"


def without_secret(text: str, secret: str) -> str:
    """``text`` with ``secret``, and anything shaped like a bearer token, as ``[redacted]``."""
    if len(secret) >= 4 and secret in text:
        text = text.replace(secret, REDACTED)
    return _BEARER.sub(r"\1" + REDACTED, text)


class Redactor:
    """The set of strings that must never be written; shared by every handler's formatter."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def scrub(self, text: str) -> str:
        """``text`` without any registered secret, nor anything shaped like a bearer token."""
        return _BEARER.sub(r"\1" + REDACTED, self.without_secrets(text))

    def without_secrets(self, text: str) -> str:
        """``text`` with every registered secret (and only those) replaced by ``[redacted]``."""
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


class RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor, fmt: str) -> None:
        super().__init__(fmt)
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.scrub(super().format(record))


class RotatingLog(logging.FileHandler):
    """A log file that moves aside once it passes ``max_bytes``: ``NAME.1`` … ``NAME.<backups>``.

    The standard library's RotatingFileHandler does the same, but importing ``logging.handlers``
    (sockets, pickle, queues) costs ~10 ms before the window can be drawn.
    """

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.max_bytes = max_bytes
        self.backups = backups
        self._told = False  # that the file cannot be written: once, not a traceback a record

    def handleError(self, record: logging.LogRecord) -> None:
        """A full disk or a read-only folder: one line on stderr for the whole run, instead of
        logging's "--- Logging error ---" and a traceback at every record. The app goes on."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
            return
        if not self._told and sys.stderr is not None:
            self._told = True
            why = exc.strerror or type(exc).__name__
            sys.stderr.write(
                f"Writer Desktop: the log {self.baseFilename} cannot be written ({why}).\n"
            )

    def _open(self) -> TextIOWrapper:
        """The file private to the user (0600), as every file of the app is; one left by an
        older version with the umask's mode is made private too."""
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._size() >= self.max_bytes:
                self._rotate()
        except OSError:
            self.handleError(record)
        super().emit(record)

    def _size(self) -> int:
        if self.stream is not None:
            return self.stream.tell()
        try:
            return os.path.getsize(self.baseFilename)  # a file left by the previous run
        except FileNotFoundError:
            return 0

    def _rotate(self) -> None:
        self.acquire()
        try:
            self.close()  # the next record reopens a fresh file (delay=True)
            base = self.baseFilename
            for i in range(self.backups - 1, 0, -1):
                if os.path.exists(f"{base}.{i}"):
                    os.replace(f"{base}.{i}", f"{base}.{i + 1}")
            if self.backups > 0:
                os.replace(base, f"{base}.1")
            else:
                os.remove(base)
        finally:
            self.release()


def parse_level(environ: Mapping[str, str]) -> int:
    name = environ.get(LEVEL_ENV, "INFO").strip().upper() or "INFO"
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.INFO


def configure(
    log_dir: Path | None, environ: Mapping[str, str], redactor: Redactor, *, stderr: bool = False
) -> list[logging.Handler]:
    """Attach redacting handlers to the root logger; return them (so tests can remove them)."""
    fmt = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        handlers.append(RotatingLog(log_dir / LOG_FILE, max_bytes=2 * 1024 * 1024, backups=3))
    if stderr:
        handlers.append(logging.StreamHandler())
    root = logging.getLogger()
    root.setLevel(parse_level(environ))
    for handler in handlers:
        handler.setFormatter(RedactingFormatter(redactor, fmt))
        root.addHandler(handler)
    # httpx logs every request at INFO; keep that for DEBUG runs only. markdown-it logs every
    # parsing rule it enters at DEBUG, which would bury the app's own lines.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
    logging.getLogger("httpcore").setLevel(max(root.level, logging.INFO))
    logging.getLogger("markdown_it").setLevel(max(root.level, logging.INFO))
    return handlers
