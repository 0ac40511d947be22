"""Telling the user, once per run, that an unexpected error was caught and a report kept."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal


class CrashNotice(QObject):
    """Receives crash reports from any thread; ``reported`` reaches the GUI thread queued."""

    reported = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._told = False
        self._lock = threading.Lock()

    def __call__(self, path: Path | None, summary: str) -> None:
        """The crash reporter's ``on_crash``: may run on the thread that failed."""
        with self._lock:
            if self._told:
                return  # once is enough; later reports are in the same folder
            self._told = True
        where = f" A report (with no keys in it) was saved as {path}." if path else ""
        self.reported.emit(
            f"Writer Desktop hit an unexpected error and kept going: {summary}.{where} "
            "If something looks wrong, restart the app; your conversations are saved."
        )
