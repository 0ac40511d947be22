"""The app icon is never empty: from the bundle, the checkout, the icon theme, or a fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from writer_desktop.ui import icons


def test_icon_from_the_checkout(qapp: QApplication) -> None:
    assert not icons.app_icon(qapp).isNull()


def test_without_any_icon_file_a_standard_icon_stands_in(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(icons, "_candidates", lambda: [tmp_path / "missing.svg"])
    assert not icons.app_icon(qapp).isNull()
