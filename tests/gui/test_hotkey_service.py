"""The hotkey service says in words why no shortcut works where none can (here: offscreen)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from writer_desktop.core.settings import Settings
from writer_desktop.ui.hotkey_service import HotkeyService


def test_without_a_backend_it_explains_and_offers_the_command(qapp: QApplication) -> None:
    service = HotkeyService(qapp)
    try:
        assert service.mechanism == ""
        assert service.sequence is None
        assert "writer-desktop quick" in service.problem
        service.apply(Settings())  # nothing to register with, and nothing breaks
        assert service.sequence is None
    finally:
        service.close()
