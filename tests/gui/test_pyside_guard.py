"""Regression guard for PySide6 6.12.0's Signal.disconnect() reference leak on ``True``.

On 6.12.0 every disconnect drops one reference to ``True``; qasync disconnects a socket notifier on
about every streamed read, so the app aborted with "Fatal Python error: bool_dealloc" mid-reply.
pyproject.toml excludes that release; this test fails on any release with the same bug.
"""

from __future__ import annotations

import socket
import sys

import PySide6
from PySide6.QtCore import QSocketNotifier
from pytestqt.qtbot import QtBot


def test_installed_pyside_is_not_the_broken_release() -> None:
    assert PySide6.__version__ != "6.12.0"


def test_signal_disconnect_keeps_true_refcount(qtbot: QtBot) -> None:
    a, b = socket.socketpair()
    try:
        notifier = QSocketNotifier(a.fileno(), QSocketNotifier.Type.Read)

        def slot() -> None:
            pass

        for _ in range(10):  # warm up caches that may take references once
            notifier.activated.connect(slot)
            notifier.activated.disconnect(slot)
        before = sys.getrefcount(True)
        for _ in range(100):
            notifier.activated.connect(slot)
            notifier.activated.disconnect(slot)
        after = sys.getrefcount(True)
        notifier.setEnabled(False)
        del notifier
    finally:
        a.close()
        b.close()
    # True is immortal from Python 3.12 (its count is a constant); on 3.11 the drop shows.
    assert before - after < 50, f"True lost {before - after} references over 100 disconnects"
