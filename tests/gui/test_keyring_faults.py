"""A keyring that is absent, locked, failing or hanging, through the real ``keyring`` module in
the app's real keyring child process and the app's own start-up (``open_main_window``): the
window shows and keeps responding, the key dialog says what is wrong and offers a session-only
key, and once one is entered it is used and written nowhere (every file the app made is searched
for it).

The test backend (``tests/keyring_doubles.py``) is chosen with ``PYTHON_KEYRING_BACKEND``, the
way a user's keyring configuration would choose one, in the environment the child inherits.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import KEY, make_client, run_scenario, send, until
from tests.keyring_doubles import FAULT, FaultyKeyring, calls, environment
from writer_desktop.app import open_main_window
from writer_desktop.core.logs import Redactor
from writer_desktop.core.secrets import NO_ANSWER, KeySource, KeyStore
from writer_desktop.core.settings import Settings
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.key_dialog import KeyDialog
from writer_desktop.ui.main_window import MainWindow

HANG = 1.0  # the key store's timeout for a keyring that never answers

PROBLEMS = {
    "absent": "No recommended backend was available.",
    "locked": "The system keyring is locked.",
    "failing": "The system keyring failed (KeyringError).",
    "hanging": NO_ANSWER,
    "none": "No secure system keyring is available.",  # keyring's own "fail" backend
}


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str], Path]:
    """The keyring the app's keyring child will find, for this test only: a fault of
    :class:`~tests.keyring_doubles.FaultyKeyring`, or (``none``) keyring's own fail backend."""

    def install(fault: str) -> Path:
        folder = tmp_path / "keyring"
        folder.mkdir(exist_ok=True)
        if fault == "none":
            monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        else:
            for name, value in environment(fault, folder).items():
                monkeypatch.setenv(name, value)
        return folder

    return install


def test_the_test_keyring_is_never_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FAULT, raising=False)
    assert not FaultyKeyring.viable
    assert FaultyKeyring not in set(KeyringBackend.get_viable_backends())


@pytest.mark.parametrize("fault", list(PROBLEMS))
def test_keyring_fault_offers_session_key_and_writes_it_nowhere(
    fault: str,
    use_keyring: Callable[[str], Path],
    fake: FakeWriter,
    store: ConversationStore,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    use_keyring(fault)
    # no backend given: the system's, as keyring chooses it, in a child process
    keys = KeyStore(environ={}, timeout=HANG if fault == "hanging" else 30)
    dialog = KeyDialog()
    qtbot.addWidget(dialog)
    fake.enqueue(Reply(text="kept for this session"))
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            client = make_client(http, fake.base_url)
            client.set_api_key("")
            state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
            timer.start()
            started = time.monotonic()
            opening = asyncio.ensure_future(
                open_main_window(
                    store, client, keys, Settings(), Redactor(), state, key_dialog=dialog
                )
            )
            await until(dialog.isVisible, seconds=HANG + 5, what="the key dialog")
            waited = time.monotonic() - started
            during = [t for t in ticks if started <= t]
            from tests.e2e.test_app import visible_main_window

            window = visible_main_window()
            assert window is not None, "the window must show while the keyring is asked"
            assert PROBLEMS[fault] in dialog.status.text()
            if fault == "hanging":  # the loop kept turning for the whole second of the hang
                assert waited >= HANG * 0.9
                assert len(during) >= 20, f"{len(during)} ticks in {waited:.2f} s"
                gaps = [b - a for a, b in itertools.pairwise(during)]
                assert max(gaps) < HANG / 2
            assert not dialog.session_button.isVisible()
            QTest.keyClicks(dialog.key_edit, KEY)
            QTest.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
            await until(dialog.session_button.isVisible, seconds=HANG + 5, what="session offer")
            assert "this session only" in dialog.status.text()
            QTest.mouseClick(dialog.session_button, Qt.MouseButton.LeftButton)
            opened = await opening
            assert opened is window
            assert keys.lookup().source is KeySource.SESSION
            try:
                await send(window, "Remember nothing")
                await until(lambda: not window.composer.busy, what="the reply")
                await until(
                    lambda: "kept for this session" in window.chat.toPlainText(), what="text"
                )
            finally:
                window.close()
                await window.controller.shutdown()
                window.deleteLater()
                timer.stop()

    run_scenario(scenario())
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake.requests)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files)  # the conversation was saved
    leaks = [str(p) for p in files if KEY.encode() in p.read_bytes()]
    assert leaks == [], "the session key was written to disk"


@pytest.mark.parametrize("when", ["before", "keyring hangs", "key dialog"])
def test_closing_the_window_while_starting_ends_start_up(
    when: str,
    use_keyring: Callable[[str], Path],
    fake: FakeWriter,
    store: ConversationStore,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    """Closing the window (or a quit signal, which closes it) before the key is known ends the
    wait for a keyring that does not answer, or for the key dialog: start-up gives up at once
    instead of carrying on behind a closed window, with nothing left to end the app."""
    folder = use_keyring("hanging" if when == "keyring hangs" else "none")
    keys = KeyStore(environ={}, timeout=30)  # far longer than the test waits
    dialog = KeyDialog()
    qtbot.addWidget(dialog)
    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(state, Settings(), defer_chat=True)  # as the first frame shows it
    qtbot.addWidget(window)
    window.show()

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            client = make_client(http, fake.base_url)
            client.set_api_key("")
            if when == "before":
                window.request_quit()
            opening = asyncio.ensure_future(
                open_main_window(
                    store, client, keys, Settings(), Redactor(), state, key_dialog=dialog,
                    window=window,
                )
            )  # fmt: skip
            if when == "keyring hangs":
                await until(lambda: calls(folder) == ["get"], what="the keyring asked")
            elif when == "key dialog":
                await until(dialog.isVisible, what="the key dialog")
            if when != "before":
                await asyncio.sleep(0.05)
                assert not opening.done()
                window.request_quit()
            assert await asyncio.wait_for(opening, 2) is None
            assert not window.isVisible()
            assert not dialog.isVisible()
            # a window closed before start-up got to it gets no controller at all
            assert hasattr(window, "controller") is (when != "before")

    run_scenario(scenario())
    assert not window.ready
    if when == "keyring hangs":
        assert calls(folder) == ["get"]  # asked once; its child is killed at the timeout
