"""Fixtures for GUI tests: the app's QApplication settings and a fresh store per test.

The fake Writer server (``server``, ``fake``) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from writer_desktop.core.store import ConversationStore


@pytest.fixture(autouse=True)
def app(qapp: QApplication) -> QApplication:
    """As in the app, closing the last window must not quit: that would stop the loop mid-test."""
    qapp.setQuitOnLastWindowClosed(False)
    return qapp


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as s:
        yield s
