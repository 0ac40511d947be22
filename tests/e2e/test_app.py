"""End to end: the real app against the fake Writer server.

The session tests run the app's own :func:`writer_desktop.app.session` in process and drive the
real widgets (typing from outside into an offscreen app is not possible);
``test_real_process_starts_and_talks_to_writer`` starts ``python -m writer_desktop`` itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.fake_writer.behaviours import Reply, Trickle
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import KEY, run_scenario, until
from writer_desktop.app import session
from writer_desktop.core.logs import Redactor
from writer_desktop.core.secrets import KeyStore
from writer_desktop.core.settings import Settings
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.main_window import MainWindow
from writer_desktop.ui.quit_signals import QuitSignals

ROOT = Path(__file__).resolve().parents[2]


def visible_main_window() -> MainWindow | None:
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    return next((w for w in windows if w.isVisible()), None)


async def ready_main_window() -> MainWindow:
    """The main window, once the app behind it is ready (it shows before that, as at start-up)."""
    await until(lambda: (w := visible_main_window()) and w.ready, what="the app ready")
    window = visible_main_window()
    assert window is not None
    return window


def test_app_session_round_trip(
    app: QApplication, fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="The answer is **42**."))
    keys = KeyStore(object(), environ={"WRITER_API_KEY": KEY})
    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)

    async def scenario() -> int:
        running = asyncio.ensure_future(
            session(app, store, Settings(), fake.base_url, keys, Redactor(), state, [])
        )
        window = await ready_main_window()
        assert window.windowTitle() == "Writer Desktop"
        QTest.keyClicks(window.composer.editor, "What is the answer?")
        QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
        await until(lambda: "The answer is 42." in window.chat.toPlainText(), what="reply")
        await until(lambda: window.composer.button.text() == "Send", what="end of reply")
        files = list(store.conversations_dir.glob("*.json"))
        assert len(files) == 1
        data = json.loads(files[0].read_text())
        assert [(m["role"], m["content"], m["status"]) for m in data["messages"]] == [
            ("user", "What is the answer?", "complete"),
            ("assistant", "The answer is **42**.", "complete"),
        ]
        window.close()
        code = await running
        window.deleteLater()
        return code

    assert run_scenario(scenario()) == 0
    assert (tmp_path / "window.ini").read_text().count("geometry") == 1


def test_real_process_starts_and_talks_to_writer(fake: FakeWriter, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WRITER_DESKTOP_HOME": str(tmp_path / "home"),
        "WRITER_BASE_URL": fake.base_url,
        "WRITER_API_KEY": KEY,
        "QT_QPA_PLATFORM": "offscreen",
    }
    proc = subprocess.Popen(
        [sys.executable, "-X", "dev", "-m", "writer_desktop"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The controller asks for the model list once the window is up.
        assert fake.wait_for(lambda: any(r.path == "/v1/models" for r in fake.requests), 20)
        time.sleep(0.3)
        assert proc.poll() is None, proc.communicate()[1]
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    [models] = [r for r in fake.requests if r.path == "/v1/models"]
    assert models.headers["authorization"] == f"Bearer {KEY}"
    assert (tmp_path / "home" / "conversations").is_dir()
    assert "Traceback" not in stderr
    if sys.platform != "win32":  # every file the user's alone; window.ini was 0644
        files = [p for p in (tmp_path / "home").rglob("*") if p.is_file()]
        assert "window.ini" in {p.name for p in files}
        assert {
            p.name: oct(p.stat().st_mode & 0o777) for p in files if p.stat().st_mode & 0o077
        } == {}


def test_startup_problems_are_told_and_quitting_mid_reply_saves_it(
    app: QApplication, fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002))
    keys = KeyStore(object(), environ={"WRITER_API_KEY": KEY})
    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    problems = ["Settings: temperature: expected float, found 'hot'; using the default"]

    async def scenario() -> int:
        running = asyncio.ensure_future(
            session(app, store, Settings(), fake.base_url, keys, Redactor(), state, problems)
        )
        window = await ready_main_window()

        # Once the app is ready, after the window; in the bar, not a box taking the keyboard.
        await until(lambda: window.problems is not None, what="the problems told")
        assert window.problems is not None
        assert window.problems.texts == problems
        assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        QTest.keyClicks(window.composer.editor, "Go on and on")
        QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
        await until(lambda: window.composer.button.text() == "Stop", what="streaming")
        await asyncio.sleep(0.2)
        window.quit_action.trigger()  # Ctrl+Q while the reply streams
        code = await running
        window.deleteLater()
        return code

    assert run_scenario(scenario()) == 0
    [path] = store.conversations_dir.glob("*.json")
    reply = json.loads(path.read_text())["messages"][-1]
    assert reply["status"] == "stopped"
    assert reply["content"]


def test_second_launch_wakes_the_first_and_exits(fake: FakeWriter, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WRITER_DESKTOP_HOME": str(tmp_path / "home"),
        "WRITER_BASE_URL": fake.base_url,
        "WRITER_API_KEY": KEY,
        "QT_QPA_PLATFORM": "offscreen",
    }
    command = [sys.executable, "-X", "dev", "-m", "writer_desktop"]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        socket_file = tmp_path / "home" / "run" / "writer-desktop.sock"
        assert fake.wait_for(socket_file.exists, 20), "the first instance never listened"
        started = time.monotonic()
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=30, check=False)  # fmt: skip
        assert second.returncode == 0, second.stderr
        assert time.monotonic() - started < 15
        assert first.poll() is None, "the first instance must keep running"
        log = (tmp_path / "home" / "logs" / "writer-desktop.log").read_text()
        assert "already running" in log
    finally:
        first.terminate()
        _, stderr = first.communicate(timeout=10)
    assert "Traceback" not in stderr + second.stderr


def test_last_open_conversation_is_reopened_after_a_restart(
    app: QApplication, fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="first answer"), Reply(text="second answer"))
    keys = KeyStore(object(), environ={"WRITER_API_KEY": KEY})
    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)

    async def run_once(actions: Callable[[MainWindow], Awaitable[None]]) -> None:
        running = asyncio.ensure_future(
            session(app, store, Settings(), fake.base_url, keys, Redactor(), state, [])
        )
        window = await ready_main_window()
        await actions(window)
        window.close()
        await running
        window.deleteLater()

    opened: list[str | None] = []

    async def first(window: MainWindow) -> None:
        for prompt in ("older", "newer"):
            window.new_action.trigger()
            QTest.keyClicks(window.composer.editor, prompt)
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
            await until(lambda: window.composer.button.text() == "Send", what="reply end")
        older = [s.id for s in store.list()][-1]
        window.controller.open_conversation(older)
        opened.append(older)

    async def second(window: MainWindow) -> None:
        opened.append(window.controller.current_id)

    run_scenario(run_once(first))
    run_scenario(run_once(second))
    assert opened[0] == opened[1]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_quit_signal_caught_before_the_loop_runs_ends_the_session_at_once(
    app: QApplication, fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    """As when a log-out comes while the first frame is drawn: the app starts its session with
    the signal already caught, closes the window and ends, starting nothing (no model list, no
    key lookup). SIGUSR1 stands in for SIGTERM, which this test process must not risk."""
    signals = QuitSignals([signal.SIGUSR1])
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while signals.caught is None and time.monotonic() < deadline:
            app.processEvents()  # as the first frame's wait does
        assert signals.caught == signal.SIGUSR1
        state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(state, Settings(), defer_chat=True)
        window.show()
        keys = KeyStore(object(), environ={"WRITER_API_KEY": KEY})
        started = time.monotonic()
        code = run_scenario(
            session(
                app, store, Settings(), fake.base_url, keys, Redactor(), state, [],
                window=window, signals=signals,
            )
        )  # fmt: skip
        assert code == 0
        assert time.monotonic() - started < 2
        assert window.has_closed
        assert not hasattr(window, "controller")  # nothing was attached or started
        assert fake.requests == []
        assert "geometry" in (tmp_path / "window.ini").read_text()
        window.deleteLater()
    finally:
        signals.close()
