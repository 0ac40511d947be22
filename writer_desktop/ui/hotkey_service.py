"""The global shortcut as the app uses it: one backend, re-registered when settings change.

Reports what listens (``mechanism``) and, in words, why nothing does (``problem``): no backend
on this desktop, or the combination is taken by another program. Settings shows both.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from writer_desktop.core.settings import Settings

from .hotkey import (
    HotkeyBackend,
    HotkeyError,
    choose_backend,
    default_sequence,
    manual_binding_hint,
    unavailable_reason,
)

log = logging.getLogger(__name__)


class HotkeyService(QObject):
    activated = Signal()
    problem_changed = Signal(str)

    def __init__(self, app: QGuiApplication, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._backend: HotkeyBackend | None = choose_backend(app)
        self.problem = ""
        if self._backend is None:
            self.problem = f"{unavailable_reason(app)} {manual_binding_hint()}".strip()
        else:
            self._backend.setParent(self)
            self._backend.activated.connect(self.activated)
            self._backend.failed.connect(self._set_problem)

    @property
    def mechanism(self) -> str:
        """What listens for the shortcut ("" when nothing on this desktop can)."""
        return self._backend.name if self._backend is not None else ""

    @property
    def sequence(self) -> str | None:
        return self._backend.sequence if self._backend is not None else None

    def apply(self, settings: Settings) -> None:
        """Register the configured shortcut (or none when disabled); report failures in words."""
        backend = self._backend
        if backend is None:
            return
        if not settings.hotkey_enabled:
            backend.unregister()
            self._set_problem("")
            return
        sequence = settings.hotkey or default_sequence()
        if backend.sequence == sequence:
            return
        try:
            backend.register(sequence)
        except HotkeyError as exc:
            log.warning("global shortcut not registered: %s", exc)
            self._set_problem(str(exc))
        else:
            self._set_problem("")

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()

    def _set_problem(self, text: str) -> None:
        if text != self.problem:
            self.problem = text
            self.problem_changed.emit(text)
