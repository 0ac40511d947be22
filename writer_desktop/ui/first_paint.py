"""Knowing when a window's first frame is on screen: for the start-up trace and its benchmark.

``WRITER_DESKTOP_TRACE_START=FILE`` makes the app append one line per start-up milestone to FILE:
``<name> <seconds since the epoch>`` (``first_paint``: the main window's first frame is drawn;
``ready``: the event loop runs and the open conversation is shown; ``key``: the API key is known
and the app can talk to Writer; ``quick_paint``: the quick
prompt is drawn after the global shortcut). ``benchmarks/startup.py`` and ``benchmarks/hotkey.py``
read it; a bare PySide6 window in the benchmark reports its first paint the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

TRACE_ENV = "WRITER_DESKTOP_TRACE_START"


class FirstPaint(QObject):
    """Calls ``on_painted`` once, after the first paint of ``widget`` has been processed."""

    def __init__(self, widget: QWidget, on_painted: Callable[[], None] = lambda: None) -> None:
        super().__init__(widget)
        self.painted = False
        self._on_painted = on_painted
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted:
            watched.removeEventFilter(self)
            # A zero timer fires after this paint pass and the flush to the screen are done.
            QTimer.singleShot(0, self, self._done)
        return False

    def _done(self) -> None:
        self.painted = True
        self._on_painted()

    def wait(self, seconds: float = 2.0) -> bool:
        """Process events until the first frame is drawn (before any event loop runs)."""
        deadline = time.monotonic() + seconds
        app = QCoreApplication.instance()
        while not self.painted and time.monotonic() < deadline and app is not None:
            app.processEvents()
            if not self.painted:
                time.sleep(0.001)
        return self.painted


class StartTrace:
    """Appends ``<milestone> <epoch seconds>`` lines to a file; does nothing without one."""

    def __init__(self, path: str | None) -> None:
        self._path = Path(path) if path else None

    @property
    def enabled(self) -> bool:
        return self._path is not None

    def mark(self, milestone: str) -> None:
        if self._path is None:
            return
        try:
            with self._path.open("a", encoding="ascii") as f:
                f.write(f"{milestone} {time.time():.6f}\n")
        except OSError:
            pass  # a trace is a measurement aid; it must never stop the app
