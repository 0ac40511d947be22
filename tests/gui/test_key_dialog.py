"""First run: the key dialog checks the key with Writer and keeps it in a (test) keyring."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import KEY, make_client, run_scenario, until
from tests.unit.test_secrets import FailingBackend, MemoryBackend, NoKeyringError
from writer_desktop.app import open_main_window
from writer_desktop.core.logs import Redactor
from writer_desktop.core.secrets import SERVICE, USERNAME, KeySource, KeyStore
from writer_desktop.core.settings import Settings
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.key_dialog import KeyDialog, ask_for_key


def enter_key(dialog: KeyDialog, key: str) -> None:
    dialog.key_edit.clear()
    QTest.keyClicks(dialog.key_edit, key)
    QTest.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)


def closed_address() -> str:
    """An address where nothing listens: Writer out of reach."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def ask_with(
    fake: FakeWriter | str,
    dialog: KeyDialog,
    keys: KeyStore,
    user: Callable[[], Awaitable[None]],
) -> str | None:
    """``ask_for_key`` against the fake server (or an address) while ``user`` works the dialog;
    its result."""
    base_url = fake if isinstance(fake, str) else fake.base_url

    async def scenario() -> str | None:
        async with httpx.AsyncClient() as http:
            client = make_client(http, base_url)
            result, _ = await asyncio.gather(ask_for_key(dialog, keys, client), user())
            return result

    return run_scenario(scenario())


def test_rejected_key_keeps_dialog_open_then_good_key_is_stored(
    fake: FakeWriter, qtbot: QtBot
) -> None:
    backend = MemoryBackend()
    keys = KeyStore(backend, environ={})
    dialog = KeyDialog()
    qtbot.addWidget(dialog)
    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password
    assert "API keys" in dialog.findChildren(type(dialog.status))[0].text()
    assert dialog.focusWidget() is dialog.key_edit

    async def user() -> None:
        await until(dialog.isVisible, what="dialog")
        QTest.keyClicks(dialog.key_edit, "wrong-key")
        QTest.keyClick(dialog.key_edit, Qt.Key.Key_Return)  # Enter presses Continue
        await until(lambda: "rejected" in dialog.status.text(), what="rejection")
        assert len([r for r in fake.requests if r.path == "/v1/models"]) == 1
        assert dialog.isVisible()
        assert backend.items == {}
        # The field has the focus again, its text selected: typing replaces it, and
        # Enter checks the new key (it went to Quit, and Enter quit the app).
        assert dialog.focusWidget() is dialog.key_edit
        assert dialog.key_edit.selectedText() == "wrong-key"
        QTest.keyClicks(dialog.key_edit, KEY)
        QTest.keyClick(dialog.key_edit, Qt.Key.Key_Return)

    assert ask_with(fake, dialog, keys, user) == KEY
    assert backend.items == {(SERVICE, USERNAME): KEY}
    assert not dialog.isVisible()


def test_keyring_failure_offers_session_only(fake: FakeWriter, qtbot: QtBot) -> None:
    keys = KeyStore(FailingBackend(NoKeyringError("No keyring here.")), environ={})
    dialog = KeyDialog()
    qtbot.addWidget(dialog)

    async def user() -> None:
        await until(dialog.isVisible, what="dialog")
        assert not dialog.session_button.isVisible()
        enter_key(dialog, KEY)
        await until(dialog.session_button.isVisible, what="session-only offer")
        assert "No keyring here." in dialog.status.text()
        QTest.mouseClick(dialog.session_button, Qt.MouseButton.LeftButton)

    assert ask_with(fake, dialog, keys, user) == KEY
    assert keys.lookup().source is KeySource.SESSION


def test_session_only_is_for_the_key_that_was_checked(fake: FakeWriter, qtbot: QtBot) -> None:
    keys = KeyStore(FailingBackend(NoKeyringError("No keyring here.")), environ={})
    dialog = KeyDialog()
    qtbot.addWidget(dialog)

    async def user() -> None:
        await until(dialog.isVisible, what="dialog")
        enter_key(dialog, KEY)
        await until(dialog.session_button.isVisible, what="session-only offer")
        QTest.keyClicks(dialog.key_edit, "-edited")  # no longer the key that works
        assert not dialog.session_button.isVisible()
        enter_key(dialog, KEY)  # checked again: offered again, and that is what is used
        await until(dialog.session_button.isVisible, what="the offer again")
        QTest.mouseClick(dialog.session_button, Qt.MouseButton.LeftButton)

    assert ask_with(fake, dialog, keys, user) == KEY
    assert len([r for r in fake.requests if r.path == "/v1/models"]) == 2


def test_with_the_key_in_the_environment_a_new_one_is_for_this_session(
    fake: FakeWriter, qtbot: QtBot
) -> None:
    # WRITER_API_KEY wins at every start: keeping the new key in the keyring would only leave
    # a key there that is never used; it is used until the app quits, and said to be.
    backend = MemoryBackend()
    keys = KeyStore(backend, environ={"WRITER_API_KEY": "old-env-key"})
    dialog = KeyDialog()
    qtbot.addWidget(dialog)

    async def user() -> None:
        await until(dialog.isVisible, what="dialog")
        enter_key(dialog, KEY)

    assert ask_with(fake, dialog, keys, user) == KEY
    assert backend.items == {}
    assert keys.describe(KEY).source is KeySource.SESSION
    assert keys.describe("old-env-key").source is KeySource.ENVIRONMENT


def test_offline_the_key_can_be_saved_without_checking(qtbot: QtBot) -> None:
    # A first start without a connection must not end at Quit: the key is kept as typed, and a
    # wrong one is caught at the first question (with an "Update key" link).
    backend = MemoryBackend()
    keys = KeyStore(backend, environ={})
    dialog = KeyDialog()
    qtbot.addWidget(dialog)

    async def user() -> None:
        await until(dialog.isVisible, what="dialog")
        assert not dialog.unchecked_button.isVisible()
        enter_key(dialog, "typo")
        await until(dialog.unchecked_button.isVisible, what="the offer")
        assert "Could not reach Writer" in dialog.status.text()
        assert "without checking" in dialog.status.text()
        assert backend.items == {}
        QTest.keyClicks(dialog.key_edit, "-edited")  # not the key it was offered for
        assert not dialog.unchecked_button.isVisible()
        enter_key(dialog, KEY)
        await until(dialog.unchecked_button.isVisible, what="the offer for the new key")
        QTest.mouseClick(dialog.unchecked_button, Qt.MouseButton.LeftButton)

    assert ask_with(closed_address(), dialog, keys, user) == KEY
    assert backend.items == {(SERVICE, USERNAME): KEY}
    assert keys.lookup().source is KeySource.KEYRING


def test_a_key_saved_unchecked_still_falls_back_to_this_session(qtbot: QtBot) -> None:
    keys = KeyStore(FailingBackend(NoKeyringError("No keyring here.")), environ={})
    dialog = KeyDialog()
    qtbot.addWidget(dialog)

    async def user() -> None:
        await until(dialog.isVisible, what="dialog")
        enter_key(dialog, KEY)
        await until(dialog.unchecked_button.isVisible, what="the offer")
        QTest.mouseClick(dialog.unchecked_button, Qt.MouseButton.LeftButton)
        await until(dialog.session_button.isVisible, what="session-only offer")
        assert not dialog.unchecked_button.isVisible()
        assert "The key could not be saved" in dialog.status.text()  # it was never checked
        assert "works" not in dialog.status.text()
        QTest.mouseClick(dialog.session_button, Qt.MouseButton.LeftButton)

    assert ask_with(closed_address(), dialog, keys, user) == KEY
    assert keys.lookup().source is KeySource.SESSION


def test_first_start_offline_opens_the_window_with_the_unchecked_key(
    store: ConversationStore, tmp_path: Path, qtbot: QtBot
) -> None:
    backend = MemoryBackend()
    dialog = KeyDialog()
    qtbot.addWidget(dialog)

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            client = make_client(http, closed_address())
            client.set_api_key("")
            state = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
            opening = asyncio.ensure_future(
                open_main_window(
                    store, client, KeyStore(backend, environ={}), Settings(), Redactor(),
                    state, key_dialog=dialog,
                )
            )  # fmt: skip
            await until(dialog.isVisible, what="dialog")
            enter_key(dialog, KEY)
            await until(dialog.unchecked_button.isVisible, what="the offer")
            QTest.mouseClick(dialog.unchecked_button, Qt.MouseButton.LeftButton)
            window = await opening
            assert window is not None
            try:
                assert window.isVisible()
                assert not dialog.isVisible()
                assert backend.items == {(SERVICE, USERNAME): KEY}
            finally:
                window.close()
                await window.controller.shutdown()
                window.deleteLater()

    run_scenario(scenario())


def test_quitting_the_dialog_closes_the_window(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, qtbot: QtBot
) -> None:
    dialog = KeyDialog()
    qtbot.addWidget(dialog)

    async def scenario() -> object:
        async with httpx.AsyncClient() as http:
            client = make_client(http, fake.base_url)
            state = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
            opening = asyncio.ensure_future(
                open_main_window(
                    store, client, KeyStore(MemoryBackend(), environ={}), Settings(), Redactor(),
                    state, key_dialog=dialog,
                )
            )  # fmt: skip
            await until(dialog.isVisible, what="dialog")
            dialog.reject()
            return await opening

    assert run_scenario(scenario()) is None
    from tests.e2e.test_app import visible_main_window

    assert visible_main_window() is None


def test_key_present_skips_dialog_and_focuses_composer(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    backend = MemoryBackend()
    backend.set_password(SERVICE, USERNAME, KEY)
    redactor = Redactor()

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            client = make_client(http, fake.base_url)
            client.set_api_key("")
            state = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
            window = await open_main_window(
                store, client, KeyStore(backend, environ={}), Settings(), redactor, state
            )
            assert window is not None
            try:
                assert window.isVisible()
                assert window.focusWidget() is window.composer.editor
                assert redactor.scrub(f"key={KEY}") == "key=[redacted]"
                await until(lambda: window.composer.models.count() == 5, what="models")
            finally:
                window.close()
                await window.controller.shutdown()
                window.deleteLater()

    run_scenario(scenario())


def test_continue_with_an_empty_field_says_what_is_missing(qtbot: QtBot) -> None:
    dialog = KeyDialog()
    qtbot.addWidget(dialog)
    dialog.show_status("No secure system keyring is available.")
    submitted: list[str] = []
    dialog.key_submitted.connect(submitted.append)
    QTest.keyClicks(dialog.key_edit, "   ")
    QTest.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert dialog.status.text() == (
        "Paste your API key in the field first. No secure system keyring is available."
    )  # said once, and what was said before stays
    assert submitted == []
    QTest.keyClicks(dialog.key_edit, "sk")  # being done: no longer asked, the rest stays
    assert dialog.status.text() == "No secure system keyring is available."


def test_a_key_with_characters_no_key_has_is_refused_at_once(qtbot: QtBot) -> None:
    # Pasted with a curly quote or an accent, it was sent to Writer: httpx failed to encode it,
    # the dialog said "Checking the key with Writer…" for good, and the log held the key.
    dialog = KeyDialog()
    qtbot.addWidget(dialog)
    submitted: list[str] = []
    dialog.key_submitted.connect(submitted.append)
    for key in ("clé→ü", "\u201cwrtr-7f3a9c2e8b1d4f6a0e5c\u201d", "test-key\u200b"):
        dialog.key_edit.setText(key)  # as pasted (QTest cannot type these)
        QTest.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
        assert "cannot have" in dialog.status.text() or "invisible" in dialog.status.text()
        assert key.strip() not in dialog.status.text()
        assert dialog.continue_button.isEnabled()  # not stuck checking
    assert submitted == []
    dialog.key_edit.setText("  test-key  ")
    QTest.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert submitted == ["test-key"]


def test_a_server_that_never_answers_does_not_hold_the_check(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check waited 3 × 90 s for an address that accepted and never answered, with
    # Continue greyed out and Quit the only way on.
    from writer_desktop.ui import key_dialog

    monkeypatch.setattr(key_dialog, "CHECK_SECONDS", 0.5)
    keys = KeyStore(MemoryBackend(), environ={})
    dialog = KeyDialog()
    qtbot.addWidget(dialog)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts (the kernel does), never answers

        async def user() -> None:
            await until(dialog.isVisible, what="dialog")
            enter_key(dialog, KEY)
            await until(dialog.unchecked_button.isVisible, seconds=5, what="the offer")
            assert "did not answer within 0.5 seconds" in dialog.status.text()
            QTest.mouseClick(dialog.unchecked_button, Qt.MouseButton.LeftButton)

        address = f"http://127.0.0.1:{silent.getsockname()[1]}"
        assert ask_with(address, dialog, keys, user) == KEY


def test_esc_at_the_first_start_asks_before_quitting_with_a_key_typed(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Esc quit the app at once, the pasted key with it.
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []
    answer = {"button": QMessageBox.StandardButton.No}

    def question(_parent: object, _title: str, text: str, *_: object) -> object:
        asked.append(text)
        return answer["button"]

    monkeypatch.setattr(QMessageBox, "question", question)
    dialog = KeyDialog()  # at the first start: Cancel is Quit
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    QTest.keyClicks(dialog.key_edit, "wr-half-pasted")
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == ["Quit without the key you typed? It is not saved."]
    assert dialog.isVisible()  # No: back to the key
    answer["button"] = QMessageBox.StandardButton.Yes
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == KeyDialog.DialogCode.Rejected
    empty = KeyDialog()
    qtbot.addWidget(empty)
    empty.show()
    QTest.keyClick(empty, Qt.Key.Key_Escape)  # nothing typed: nothing to ask
    assert len(asked) == 2
    assert not empty.isVisible()
    later = KeyDialog(quits=False)  # asked again later: Cancel quits nothing
    qtbot.addWidget(later)
    later.show()
    QTest.keyClicks(later.key_edit, "wr-other")
    QTest.keyClick(later, Qt.Key.Key_Escape)
    assert len(asked) == 2
    assert not later.isVisible()
