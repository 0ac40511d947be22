"""Unhandled exceptions: logged and kept as a crash report, with every secret scrubbed. No Qt.

Without this, an exception nobody catches goes to Python's default hooks, which print the
traceback, unscrubbed, on stderr: an exception whose message holds the API key would put the key on
the terminal. :func:`install` replaces the three places such exceptions end up:

- ``sys.excepthook``: the main thread, and Qt slots (PySide6 reports an exception raised in a slot
  there, as does qasync's ``asyncSlot``);
- ``threading.excepthook``: other threads (the keyring worker, the fake server in tests);
- the asyncio loop's exception handler (:meth:`CrashReporter.watch_loop`, or :func:`watch_loop`
  once the loop runs): a task's exception nobody retrieved, a failing callback.

For each, the traceback (with chained causes and notes, never local variables) is passed through
the :class:`~writer_desktop.core.logs.Redactor`, logged at CRITICAL through the logging set up by
``logs.configure`` (whose formatter scrubs again), printed scrubbed on stderr, and written to
``<logs>/crash-<UTC time>.txt`` (mode 0600, never replacing a file). At most ``max_reports``
reports are written per run (a failing timer must not fill the disk), and only the newest
``keep`` reports are kept. The process is not ended: Qt keeps running, as it would have.
``on_crash`` (e.g. the UI showing "Writer Desktop hit an unexpected error") is told the report's
path; it is called on the thread that failed. Importing this module loads neither asyncio nor Qt,
so it can be installed in the first phase of start-up (``app.run_gui``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .. import __version__
from .logs import Redactor

if TYPE_CHECKING:  # not imported for real: run_gui installs this before asyncio is loaded
    import asyncio

log = logging.getLogger(__name__)

PREFIX = "crash-"
SUFFIX = ".txt"
MAX_REPORTS = 10
KEEP = 20

OnCrash = Callable[[Path | None, str], None]
"""Called with the report's path (None if it could not be written) and a scrubbed summary."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CrashReporter:
    """Turns unhandled exceptions into scrubbed log lines and crash reports; see the module."""

    def __init__(
        self,
        folder: Path,
        redactor: Redactor,
        *,
        on_crash: OnCrash | None = None,
        max_reports: int = MAX_REPORTS,
        keep: int = KEEP,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.folder = folder
        self.redactor = redactor
        self.on_crash = on_crash
        self.max_reports = max_reports
        self.keep = keep
        self.reports: list[Path] = []
        self._clock = clock
        self._lock = threading.Lock()
        self._written = 0
        self._previous_sys: Callable[..., Any] | None = None
        self._previous_threading: Callable[..., Any] | None = None
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._busy = threading.local()

    # -- installing ---------------------------------------------------------------------------

    def install(self) -> CrashReporter:
        self._previous_sys = sys.excepthook
        self._previous_threading = threading.excepthook
        sys.excepthook = self.sys_hook
        threading.excepthook = self.threading_hook
        return self

    def watch_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Report what ``loop`` would otherwise only log (unretrieved task exceptions, failing
        callbacks)."""
        loop.set_exception_handler(self.loop_handler)
        self._loops.append(loop)

    def uninstall(self) -> None:
        """Put back the hooks found by :meth:`install` (tests)."""
        if sys.excepthook == self.sys_hook and self._previous_sys is not None:
            sys.excepthook = self._previous_sys
        if threading.excepthook == self.threading_hook and self._previous_threading is not None:
            threading.excepthook = self._previous_threading
        for loop in self._loops:
            if not loop.is_closed() and loop.get_exception_handler() == self.loop_handler:
                loop.set_exception_handler(None)
        self._loops.clear()
        global _installed
        if _installed is self:
            _installed = None

    # -- the hooks ----------------------------------------------------------------------------

    def sys_hook(
        self, tpe: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(tpe, KeyboardInterrupt):
            sys.__excepthook__(tpe, value, tb)  # Ctrl+C in a terminal: no secret, no report
            return
        self.report(value, where=f"thread {threading.current_thread().name}", tb=tb)

    def threading_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return  # as the default hook: a thread ending itself is not an error
        name = args.thread.name if args.thread is not None else "unknown"
        self.report(args.exc_value, where=f"thread {name}", tb=args.exc_traceback)

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        details = [str(context.get("message") or "Unhandled exception in event loop")]
        for key in sorted(k for k in context if k not in ("message", "exception")):
            try:
                details.append(f"{key}: {context[key]!r}")
            except Exception:  # a repr that fails must not stop the report
                details.append(f"{key}: <unprintable {type(context[key]).__name__}>")
        if isinstance(exc, BaseException):
            self.report(exc, where="event loop", details=details)
        else:
            self.report(None, where="event loop", details=details)

    # -- reporting ----------------------------------------------------------------------------

    def report(
        self,
        exc: BaseException | None,
        *,
        where: str,
        tb: TracebackType | None = None,
        details: list[str] | None = None,
    ) -> Path | None:
        """Log and (within the limit) write a report for ``exc``; return the report's path."""
        if getattr(self._busy, "active", False):  # the reporter itself failed: do not loop
            return None
        self._busy.active = True
        try:
            return self._report(exc, where, tb, details or [])
        except Exception as failure:  # never raise from a hook; say only what cannot leak
            _write_stderr(f"Writer Desktop: the crash reporter failed ({type(failure).__name__})\n")
            return None
        finally:
            self._busy.active = False

    def _report(
        self,
        exc: BaseException | None,
        where: str,
        tb: TracebackType | None,
        details: list[str],
    ) -> Path | None:
        import platform

        now = self._clock()
        if exc is not None:
            trace = "".join(
                traceback.format_exception(type(exc), exc, tb or exc.__traceback__)
            ).rstrip()
            summary = f"{type(exc).__name__}: {exc}"
        else:
            trace, summary = "(no exception)", details[0] if details else "unknown error"
        text = "\n".join(
            [
                f"Writer Desktop {__version__} hit an unexpected error",
                f"time: {now.astimezone(UTC).isoformat(timespec='milliseconds')}",
                f"where: {where}",
                f"python: {platform.python_version()} ({sys.platform}, {platform.machine()})",
                *details,
                "",
                trace,
                "",
            ]
        )
        text = self.redactor.scrub(text)
        summary = self.redactor.scrub(summary)
        with self._lock:
            allowed = self._written < self.max_reports
            self._written += allowed
        path = self._write(text, now) if allowed else None
        if path is not None:
            self.reports.append(path)
        log.critical(
            "unexpected error (%s)%s\n%s",
            where,
            f"; report: {path}" if path else "",
            text,
        )
        _write_stderr(text)
        if self.on_crash is not None:
            self.on_crash(path, summary)
        return path

    def _write(self, text: str, now: datetime) -> Path | None:
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for n in range(100):
                path = self.folder / f"{PREFIX}{stamp}{f'-{n}' if n else ''}{SUFFIX}"
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    continue
                with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as f:
                    f.write(text)
                self._prune()
                return path
        except OSError as exc:
            log.warning("could not write a crash report in %s: %s", self.folder, exc.strerror)
        return None

    def _prune(self) -> None:
        """Keep the newest ``keep`` reports (names sort by time)."""
        names = sorted(
            p for p in os.listdir(self.folder) if p.startswith(PREFIX) and p.endswith(SUFFIX)
        )
        for name in names[: max(0, len(names) - self.keep)]:
            with contextlib.suppress(OSError):
                os.remove(self.folder / name)


def _write_stderr(text: str) -> None:
    stream = sys.stderr
    if stream is None:  # pythonw on Windows
        return
    try:
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


_installed: CrashReporter | None = None


def install(
    folder: Path,
    redactor: Redactor,
    *,
    on_crash: OnCrash | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    max_reports: int = MAX_REPORTS,
    keep: int = KEEP,
    clock: Callable[[], datetime] = _utc_now,
) -> CrashReporter:
    """Report unhandled exceptions into ``folder`` (the log folder), scrubbed by ``redactor``.

    Installs ``sys.excepthook`` and ``threading.excepthook`` now, and the exception handler of
    ``loop`` if given; a loop that starts later is added with :func:`watch_loop`. Installing again
    replaces the previous reporter.
    """
    global _installed
    if _installed is not None:
        _installed.uninstall()
    reporter = CrashReporter(
        folder, redactor, on_crash=on_crash, max_reports=max_reports, keep=keep, clock=clock
    ).install()
    if loop is not None:
        reporter.watch_loop(loop)
    _installed = reporter
    return reporter


def watch_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Let the installed reporter (if any) handle ``loop``'s unhandled exceptions."""
    if _installed is not None:
        _installed.watch_loop(loop)


def installed() -> CrashReporter | None:
    return _installed
