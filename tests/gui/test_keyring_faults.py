"""A keyring that is absent, locked, failing or hanging, through the real ``keyring`` module and
the app's own start-up (``open_main_window``): the window shows and keeps responding, the key
dialog says what is wrong and offers a session-only key, and once one is entered it is used and
written nowhere (every file the app made is searched for it).

The fake backend is installed with ``keyring.set_keyring``, the way keyring's configuration would
choose one. It is a ``KeyringBackend`` subclass, which keyring registers as a candidate for its
default; it defines no ``priority``, so keyring finds it not viable and never picks it for anyone
else. The global choice is put back after each test.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringError, KeyringLocked, NoKeyringError
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import KEY, make_client, run_scenario, send, until
from writer_desktop.app import open_main_window
from writer_desktop.core.logs import Redactor
from writer_desktop.core.secrets import KeySource, KeyStore
from writer_desktop.core.settings import Settings
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.key_dialog import KeyDialog
from writer_desktop.ui.main_window import MainWindow

HANG = 1.0  # the key store's timeout for a keyring that never answers


class FaultyKeyring(KeyringBackend):
    """Fails every call as told. No ``priority``: never viable, never anyone's default."""

    def __init__(self, fault: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.fault = fault
        self.release = threading.Event()
        self.calls = 0

    def _fail(self) -> Any:
        self.calls += 1
        if self.fault == "hanging":
            self.release.wait(30)
            return None
        raise {
            "absent": NoKeyringError("No recommended backend was available."),
            "locked": KeyringLocked("Failed to unlock the collection!"),
            "failing": KeyringError("org.freedesktop.DBus.Error.ServiceUnknown"),
        }[self.fault]

    def get_password(self, service: str, username: str) -> str | None:
        return self._fail()  # type: ignore[no-any-return]

    def set_password(self, service: str, username: str, password: str) -> None:
        self._fail()

    def delete_password(self, service: str, username: str) -> None:
        self._fail()


PROBLEMS = {
    "absent": "No recommended backend was available.",
    "locked": "The system keyring is locked.",
    "failing": "The system keyring failed (KeyringError).",
    "hanging": "The system keyring did not answer.",
    "none": "No secure system keyring is available.",  # keyring's own "fail" backend
}


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``keyring.set_keyring`` for this test only."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)

    def install(backend: Any) -> None:
        keyring.set_keyring(backend)

    return install


def test_fake_backend_is_never_a_default() -> None:
    assert not FaultyKeyring.viable
    assert FaultyKeyring not in set(KeyringBackend.get_viable_backends())


@pytest.mark.parametrize("fault", list(PROBLEMS))
def test_keyring_fault_offers_session_key_and_writes_it_nowhere(
    fault: str,
    use_keyring: Any,
    fake: FakeWriter,
    store: ConversationStore,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    backend: Any = fail.Keyring() if fault == "none" else FaultyKeyring(fault)  # type: ignore[no-untyped-call]
    use_keyring(backend)
    assert keyring.get_keyring() is backend
    keys = KeyStore(environ={}, timeout=HANG)  # no backend given: keyring's own choice
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

    try:
        run_scenario(scenario())
    finally:
        if isinstance(backend, FaultyKeyring):
            backend.release.set()
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake.requests)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files)  # the conversation was saved
    leaks = [str(p) for p in files if KEY.encode() in p.read_bytes()]
    assert leaks == [], "the session key was written to disk"


@pytest.mark.parametrize("when", ["before", "keyring hangs", "key dialog"])
def test_closing_the_window_while_starting_ends_start_up(
    when: str,
    use_keyring: Any,
    fake: FakeWriter,
    store: ConversationStore,
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    """Closing the window (or a quit signal, which closes it) before the key is known ends the
    wait for a keyring that does not answer, or for the key dialog: start-up gives up at once
    instead of carrying on behind a closed window, with nothing left to end the app."""
    backend: Any = FaultyKeyring("hanging") if when == "keyring hangs" else fail.Keyring()  # type: ignore[no-untyped-call]
    use_keyring(backend)
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
                await until(lambda: backend.calls == 1, what="the keyring asked")
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

    try:
        run_scenario(scenario())
    finally:
        if isinstance(backend, FaultyKeyring):
            backend.release.set()
    assert not window.ready
    if when == "keyring hangs":
        assert backend.calls == 1  # asked once; its thread is left to the hang
