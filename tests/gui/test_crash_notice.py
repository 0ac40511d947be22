"""A crash report caught on any thread is told to the user once, on the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from writer_desktop.ui.crash_notice import CrashNotice


def test_reports_from_a_thread_reach_the_gui_thread_once(qtbot: QtBot) -> None:
    notice = CrashNotice()
    seen: list[tuple[str, bool]] = []
    notice.reported.connect(
        lambda text: seen.append((text, QThread.currentThread() is notice.thread()))
    )
    workers = [
        threading.Thread(target=notice, args=(Path(f"/logs/crash-{i}.txt"), "ValueError: boom"))
        for i in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    qtbot.waitUntil(lambda: bool(seen))
    qtbot.wait(50)
    assert len(seen) == 1
    text, on_gui_thread = seen[0]
    assert on_gui_thread
    assert "ValueError: boom" in text
    assert "/logs/crash-" in text
    assert "conversations are saved" in text
