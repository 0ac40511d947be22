"""Start-up in two phases: the window is drawn before the slow half of the app is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFrame
from pytestqt.qtbot import QtBot

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import KEY, make_client, run_scenario, until
from writer_desktop.app import FIRST_ROWS, first_frame, open_main_window
from writer_desktop.core.logs import Redactor
from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.secrets import KeyStore
from writer_desktop.core.settings import Settings
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.first_paint import StartTrace
from writer_desktop.ui.theme import ThemeSwitcher

# Loaded only after the first paint (each costs 20–40 ms here; see docs/performance.md).
LATE = ("asyncio", "httpx", "markdown_it", "pygments", "keyring", "qasync", "ssl", "jeepney")
# Parts of the window made after the first paint (MainWindow(defer_chat=True), then attach()),
# the single-instance server, and the command-line parser (a launch without arguments skips it).
LATE_UI = ("writer_desktop.ui.chat_view", "PySide6.QtNetwork", "writer_desktop.cli_args")


def test_the_first_phase_imports_none_of_the_slow_modules() -> None:
    code = (
        "import sys, writer_desktop.__main__, writer_desktop.app\n"
        f"print(' '.join(m for m in {LATE + LATE_UI!r} if m in sys.modules))"
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
        slot = window.findChild(QFrame, "chatSlot")  # where the chat view will be
        assert slot is not None
        assert slot.isVisible()
        assert not hasattr(window, "chat")
        assert trace_file.read_text().startswith("first_paint ")
        store.sync()  # the second phase: the bad file is found and set aside, the rest listed
        assert [p.path.name for p in store.take_problems()] == [f"{late.id}.json"]
        assert len(store.list()) == FIRST_ROWS + 20
    finally:
        store.close()


def test_a_trace_needs_no_file() -> None:
    StartTrace(None).mark("first_paint")  # nothing to write to: nothing happens
    StartTrace("/nonexistent/folder/trace").mark("first_paint")  # an unwritable trace is ignored


def test_a_message_sent_before_the_app_is_ready_is_sent_once_it_is(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, qapp: QApplication
) -> None:
    """Typing and pressing Enter right after the window appears: nothing is lost or ignored."""
    fake.enqueue(Reply(text="Here already."))
    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)

    async def scenario() -> None:
        window = first_frame(store, Settings(), state, ThemeSwitcher(qapp), StartTrace(None))
        QTest.keyClicks(window.composer.editor, "typed at once")
        QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
        assert "will be sent in a moment" in window.statusBar().currentMessage()
        assert window.composer.editor.toPlainText() == "typed at once"  # kept meanwhile
        async with httpx.AsyncClient() as http:
            keys = KeyStore(object(), environ={"WRITER_API_KEY": KEY})
            shown = await open_main_window(
                store, make_client(http, fake.base_url), keys, Settings(), Redactor(), state,
                window=window,
            )  # fmt: skip
            assert shown is window
            assert window.findChild(QFrame, "chatSlot") is None  # the chat view took its place
            assert window.chat.isVisible()
            try:
                await until(lambda: "Here already." in window.chat.toPlainText(), what="reply")
                assert [r.json["messages"][-1]["content"] for r in fake.chat_requests] == [
                    "typed at once"
                ]
                assert window.composer.editor.toPlainText() == ""
            finally:
                window.close()
                await window.controller.shutdown()

    run_scenario(scenario())
