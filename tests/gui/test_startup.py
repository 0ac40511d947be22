"""Start-up in two phases: the window is drawn before the slow half of the app is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from writer_desktop.app import FIRST_ROWS, first_frame
from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.settings import Settings
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.first_paint import StartTrace
from writer_desktop.ui.theme import ThemeSwitcher

# Loaded only after the first paint (each costs 20–40 ms here; see docs/performance.md).
LATE = ("asyncio", "httpx", "markdown_it", "pygments", "keyring", "qasync", "ssl", "jeepney")


def test_the_first_phase_imports_none_of_the_slow_modules() -> None:
    code = (
        "import sys, writer_desktop.__main__, writer_desktop.app\n"
        f"print(' '.join(m for m in {LATE!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_first_frame_lists_conversations_from_the_cache_and_reports_its_paint(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as store:
        for i in range(FIRST_ROWS + 20):
            store.save(Conversation(title=f"c{i}", messages=[Message(Role.USER, f"q{i}")]))
    # A file added behind the cache's back is not listed before the first paint: the cache is
    # shown as it was, and synced right after (session()).
    late = Conversation(title="added while closed", messages=[Message(Role.USER, "x")])
    (tmp_path / "data" / "conversations" / f"{late.id}.json").write_text("{}")
    store = ConversationStore(tmp_path / "data", tmp_path / "cache").open(sync=False)
    try:
        trace_file = tmp_path / "trace.txt"
        state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
        window = first_frame(
            store, Settings(), state, ThemeSwitcher(qapp), StartTrace(str(trace_file))
        )
        qtbot.addWidget(window)
        assert window.isVisible()
        assert window.sidebar.model.rowCount() == FIRST_ROWS
        assert trace_file.read_text().startswith("first_paint ")
        store.sync()  # the second phase: the bad file is found and set aside, the rest listed
        assert [p.path.name for p in store.take_problems()] == [f"{late.id}.json"]
        assert len(store.list()) == FIRST_ROWS + 20
    finally:
        store.close()


def test_a_trace_needs_no_file() -> None:
    StartTrace(None).mark("first_paint")  # nothing to write to: nothing happens
    StartTrace("/nonexistent/folder/trace").mark("first_paint")  # an unwritable trace is ignored
