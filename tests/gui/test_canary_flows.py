"""A canary key through the flows ``tests/e2e/test_canary_key.py`` leaves out: Stop mid-reply, and
exceptions nobody catches (in a Qt slot, an asyncio task, an event-loop callback, a thread) whose
messages hold the key. Logging is at DEBUG and the crash handler (``core.crash``) is installed as
the app installs it; afterwards the key must be in no log, crash report, settings file,
conversation file or export, and not on stderr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtTest import QTest

from tests.fake_writer.behaviours import Reply, Trickle
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import run_scenario, send, until
from writer_desktop.app import open_main_window
from writer_desktop.core import crash, export, logs
from writer_desktop.core.api import RetryPolicy, Timeouts, WriterClient
from writer_desktop.core.secrets import KeyStore
from writer_desktop.core.settings import Settings, SettingsFile
from writer_desktop.core.store import ConversationStore

CANARY = "sk-CANARY-flows-3d9e61b0a4c7"


class Poke(QObject):
    fired = Signal()


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """The app's logging at DEBUG into ``home/logs``, as ``run_gui`` sets it up."""
    folder = tmp_path / "home"
    (folder / "logs").mkdir(parents=True)
    root = logging.getLogger()
    level = root.level
    handlers = logs.configure(folder / "logs", {logs.LEVEL_ENV: "DEBUG"}, logs.Redactor())
    try:
        yield folder
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)


def test_canary_through_stop_and_unhandled_exceptions(
    home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    [handler] = [h for h in logging.getLogger().handlers if isinstance(h, logs.RotatingLog)]
    assert isinstance(handler.formatter, logs.RedactingFormatter)
    redactor: logs.Redactor = handler.formatter._redactor  # the app passes one to both
    reporter = crash.install(home / "logs", redactor)
    store = ConversationStore(home, home / "cache").open()
    settings_file = SettingsFile(home / "settings.json")
    raised: list[str] = []

    async def scenario(fake: FakeWriter) -> None:
        crash.watch_loop(asyncio.get_running_loop())
        async with httpx.AsyncClient() as http:
            client = WriterClient(
                http, api_key="", base_url=fake.base_url, timeouts=Timeouts(idle=5),
                retry=RetryPolicy(base_delay=0.01),
            )  # fmt: skip
            keys = KeyStore(object(), environ={"WRITER_API_KEY": CANARY})
            state = QSettings(str(home / "window.ini"), QSettings.Format.IniFormat)
            window = await open_main_window(
                store, client, keys, Settings(), redactor, state, settings_file=settings_file
            )
            assert window is not None
            try:
                # 1. send, complete
                await send(window, "hello")
                await until(lambda: not window.composer.busy, what="the first reply")
                # 2. cancel: Stop while the reply streams
                await send(window, "go on and on")
                await until(lambda: window.composer.busy, what="streaming")
                await until(lambda: len(window.chat.toPlainText()) > 200, what="some text")
                QTest.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
                await until(lambda: not window.composer.busy, what="the stop")
                conv = window.controller.current_conversation()
                assert conv is not None
                assert conv.messages[-1].status.value == "stopped"

                # 3. a forced exception in a Qt slot (PySide6 hands it to sys.excepthook)
                def slot() -> None:
                    raised.append("slot")
                    raise RuntimeError(f"slot failed with Authorization: Bearer {CANARY}")

                poke = Poke()
                poke.fired.connect(slot)
                poke.fired.emit()
                QTimer.singleShot(0, slot)

                # 4. in a task nobody awaits (the controller's background jobs)
                async def job() -> None:
                    raised.append("task")
                    raise ValueError(f"job failed for key {CANARY}")

                window.controller.spawn(job())

                # 5. in an event-loop callback, and 6. in a thread
                def callback() -> None:
                    raised.append("callback")
                    raise KeyError(CANARY)

                asyncio.get_running_loop().call_soon(callback)

                def work() -> None:
                    raised.append("thread")
                    raise ConnectionError(f"{CANARY} rejected")

                thread = threading.Thread(target=work, name="worker")
                thread.start()
                thread.join()
                await until(lambda: len(reporter.reports) >= 5, what="five crash reports")
                assert window.isVisible()  # the app keeps running after each
                # 7. still usable: another reply after all that
                await send(window, "still there?")
                await until(lambda: not window.composer.busy, what="the last reply")
                (home / "exports").mkdir()
                for fmt in ("markdown", "json"):
                    export.export_to_folder(conv, home / "exports", fmt)
                settings_file.save(Settings())
            finally:
                window.close()
                await window.controller.shutdown()
                window.deleteLater()
                await asyncio.sleep(0)

    try:
        with FakeWriter(api_key=CANARY) as fake:
            fake.enqueue(
                Reply(text="hi there"),
                Trickle(n=4000, delay_per_token=0.002),
                Reply(text="yes"),
            )
            run_scenario(scenario(fake))
            assert all(r.headers["authorization"] == f"Bearer {CANARY}" for r in fake.requests)
    finally:
        reporter.uninstall()
        store.close()
    assert sorted(raised) == ["callback", "slot", "slot", "task", "thread"]
    reports = sorted((home / "logs").glob("crash-*.txt"))
    assert len(reports) == 5
    texts = [p.read_text() for p in reports]
    for what in (
        "RuntimeError: slot failed",
        "ValueError: job failed",
        "KeyError",
        "ConnectionError",
    ):
        assert any(what in text for text in texts), what
    assert all("[redacted]" in text for text in texts)
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in reports)
    files = [p for p in home.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".json", ".md", ".log", ".txt", ".ini"} <= kinds
    assert len(list((home / "conversations").glob("*.json"))) == 1
    log = (home / "logs" / logs.LOG_FILE).read_text()
    assert "unexpected error" in log
    assert "ended stopped" in log
    stopped = json.loads(next((home / "conversations").glob("*.json")).read_text())
    assert [m["status"] for m in stopped["messages"][1::2]] == ["complete", "stopped", "complete"]
    leaks = [str(p.relative_to(home)) for p in files if CANARY.encode() in p.read_bytes()]
    assert leaks == []
    out, err = capfd.readouterr()
    assert "RuntimeError: slot failed" in err  # the hook printed it, scrubbed
    assert CANARY not in out + err
