"""Quitting cleanly when the system asks: SIGTERM (log-out, shutdown, ``kill``), SIGINT (Ctrl+C in
a terminal) and SIGHUP (the terminal closed).

By default Python dies on SIGTERM without running any cleanup, and its SIGINT handler only runs
once Qt's C++ event loop happens to call back into Python. Either way a streaming reply was left
for the next start to find interrupted, the window's size was not kept and the single-instance
socket file stayed behind. Here the C-level handler writes the signal number to a socket
(``signal.set_wakeup_fd``) that a ``QSocketNotifier`` watches, so the event loop wakes at once and
:attr:`QuitSignals.received` is emitted; the app then quits as from File ▸ Quit (replies saved as
stopped). A second signal of the same kind is not caught again: it ends the process at once, for
when a clean quit hangs.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal

log = logging.getLogger(__name__)

Handler = Callable[[int, FrameType | None], Any] | int | None


def quit_signals() -> list[signal.Signals]:
    """The signals that mean "quit" where this runs."""
    names = ("SIGTERM", "SIGINT", "SIGHUP")
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


class QuitSignals(QObject):
    """Emits :attr:`received` (the signal number) on the Qt event loop; :meth:`close` undoes it.

    Must be made on the main thread (Python only lets it set signal handlers). The app makes it
    before its first frame, so a quit asked while it starts is never the default death;
    :attr:`caught` keeps the first signal for whoever connects to :attr:`received` later.
    """

    received = Signal(int)

    def __init__(self, signums: Iterable[int] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self._old_wakeup = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._old: dict[int, Handler] = {}
        for signum in quit_signals() if signums is None else signums:
            self._old[int(signum)] = signal.signal(signum, self._caught)
        self._signums = frozenset(self._old)
        self.caught: int | None = None
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def _caught(self, signum: int, _frame: FrameType | None) -> None:
        """Python's side of the handler: the number already went out through the socket; the
        next one of this kind gets the default action (ends the process)."""
        signal.signal(signum, signal.SIG_DFL)

    def _drain(self) -> None:
        try:
            data = self._read.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for signum in data:
            if signum not in self._signums:  # the wake-up socket carries every handled signal
                continue
            log.info("received %s: quitting", signal.Signals(signum).name)
            if self.caught is None:
                self.caught = signum
            self.received.emit(signum)

    def close(self) -> None:
        """Give the signals back to whoever had them before (idempotent)."""
        if not self._old:
            return
        self._notifier.setEnabled(False)
        for signum, handler in self._old.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._old.clear()
        signal.set_wakeup_fd(self._old_wakeup)
        self._read.close()
        self._write.close()
