"""Settings, themes, pinning, per-conversation options and key management in the real window."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.fake_writer.behaviours import RateLimit, Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import (
    KEY,
    main_window,
    make_client,
    reply_done,
    run_scenario,
    saved,
    send,
    until,
)
from tests.unit.test_secrets import HangingBackend, MemoryBackend
from writer_desktop.app import open_main_window
from writer_desktop.core.logs import Redactor
from writer_desktop.core.secrets import SERVICE, USERNAME, KeyLookup, KeySource, KeyStore
from writer_desktop.core.settings import Settings, SettingsFile
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.controller import retry_reason
from writer_desktop.ui.key_dialog import KeyDialog
from writer_desktop.ui.main_window import MainWindow
from writer_desktop.ui.settings_dialog import SettingsDialog
from writer_desktop.ui.theme import ThemeSwitcher, is_dark


def test_system_prompt_and_params_reach_the_request_and_the_file(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Bonjour."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.composer.options_button.click()
            options = window.composer.options
            assert options.isVisible()
            QTest.keyClicks(options.system_prompt, "Answer in French.")
            options.temperature.setValue(0.3)
            options.max_tokens.setValue(300)
            await send(window, "Hello")  # Enter applies a prompt still inside the typing pause
            await reply_done(window)
            conv_id = window.controller.current_id
            assert conv_id is not None
            data = saved(store, conv_id)
            assert data["system_prompt"] == "Answer in French."
            assert data["params"] == {"temperature": 0.3, "max_tokens": 300}

    run_scenario(scenario())
    body = fake.chat_requests[-1].json
    assert body["messages"][0] == {"role": "system", "content": "Answer in French."}
    assert (body["temperature"], body["max_tokens"]) == (0.3, 300)


def test_options_follow_the_open_conversation(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="one"), Reply(text="two"))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            options = window.composer.options
            QTest.keyClicks(options.system_prompt, "Be terse.")
            await send(window, "first")
            await reply_done(window)
            first = window.controller.current_id
            window.new_action.trigger()
            assert options.system_prompt.toPlainText() == ""
            await send(window, "second")
            await reply_done(window)
            assert first is not None
            window.controller.open_conversation(first)
            assert options.system_prompt.toPlainText() == "Be terse."

    run_scenario(scenario())


def test_a_new_conversation_left_unsent_comes_back_with_its_options(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # Its draft came back, but the model, system prompt and sampling were the defaults again.
    fake.enqueue(Reply(text="one"))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "an older one")
            await reply_done(window)
            older = window.controller.current_id
            assert older is not None
            window.new_action.trigger()
            c = window.controller
            c.set_model("palmyra-fin")
            c.set_system_prompt("Answer in French.")
            c.set_params(1.5, 300)
            c.open_conversation(older)
            window.new_action.trigger()
            conv = c.current_conversation()
            assert conv is not None
            assert conv.messages == []
            assert (conv.model, conv.system_prompt) == ("palmyra-fin", "Answer in French.")
            assert (conv.params.temperature, conv.params.max_tokens) == (1.5, 300)
            assert window.composer.options.system_prompt.toPlainText() == "Answer in French."
            # Once it has a message it is a conversation of its own: the next new one is new.
            fake.enqueue(Reply(text="two"))
            await send(window, "bonjour")
            await reply_done(window)
            window.new_action.trigger()
            fresh = c.current_conversation()
            assert fresh is not None
            assert fresh.id != conv.id
            assert (fresh.model, fresh.system_prompt) == ("palmyra-x5", "")
            # Defaults changed while it waits: it takes them where it had the old ones.
            c.set_system_prompt("Be brief.")
            c.open_conversation(older)
            settings = dataclasses.replace(c.settings, default_model="palmyra-x4", temperature=0.2)
            c.apply_settings(settings)
            window.new_action.trigger()
            again = c.current_conversation()
            assert again is not None
            assert again.id == fresh.id
            assert (again.model, again.system_prompt) == ("palmyra-x4", "Be brief.")
            assert again.params.temperature == 0.2

    run_scenario(scenario())


def test_pin_from_the_context_menu_moves_to_top(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="a"), Reply(text="b"))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "older")
            await reply_done(window)
            older = window.controller.current_id
            window.new_action.trigger()
            await send(window, "newer")
            await reply_done(window)
            sidebar = window.sidebar
            assert sidebar.model.index(0, 0).data() == "newer"
            index = sidebar.proxy.index(1, 0)
            [_rename, pin, _export, _delete] = sidebar.context_actions(index)
            assert pin.text() == "&Pin to top"
            pin.trigger()
            await until(lambda: sidebar.model.index(0, 0).data() == "📌 older", what="pinned")
            assert older is not None
            assert saved(store, older)["pinned"] is True

    run_scenario(scenario())


def test_settings_dialog_applies_saves_and_switches_theme(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, qapp: QApplication
) -> None:
    settings_file = SettingsFile(tmp_path / "settings.json")
    theme = ThemeSwitcher(qapp)

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            client = make_client(http, fake.base_url)
            keys = KeyStore(object(), environ={"WRITER_API_KEY": KEY})
            state = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
            window = await open_main_window(
                store, client, keys, Settings(), Redactor(), state,
                settings_file=settings_file, theme=theme,
            )  # fmt: skip
            assert window is not None
            try:
                dialog = window.open_settings()
                assert isinstance(dialog, SettingsDialog)
                assert "from environment" in dialog.key_label.text()
                dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
                dialog.max_tokens_spin.setValue(1234)
                dialog._accept()
                assert is_dark(qapp.palette())
                window.new_action.trigger()
                conv = window.controller.current_conversation()
                assert conv is not None
                assert conv.params.max_tokens == 1234
                # the View menu's theme entries reflect and change the same setting
                [light] = [a for a in window.theme_actions.actions() if a.data() == "light"]
                light.trigger()
                assert not is_dark(qapp.palette())
            finally:
                window.close()
                await window.controller.shutdown()
                window.deleteLater()
                theme.apply("system")

    run_scenario(scenario())
    data = json.loads(settings_file.path.read_text())
    assert (data["theme"], data["max_tokens"]) == ("light", 1234)
    assert KEY not in settings_file.path.read_text()


def test_window_shows_while_a_hanging_keyring_is_asked(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    backend = HangingBackend()
    dialog = KeyDialog()

    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            client = make_client(http, fake.base_url)
            keys = KeyStore(backend, environ={}, timeout=1.0)
            state = QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat)
            opening = asyncio.ensure_future(
                open_main_window(store, client, keys, Settings(), Redactor(), state, dialog)
            )
            from tests.e2e.test_app import visible_main_window

            await until(visible_main_window, seconds=0.8, what="window before the keyring answers")
            await until(dialog.isVisible, seconds=5, what="key dialog after the timeout")
            assert "did not answer" in dialog.status.text()
            dialog.reject()
            assert await opening is None
            assert visible_main_window() is None

    try:
        run_scenario(scenario())
    finally:
        backend.release.set()
        dialog.deleteLater()


def keyring_window(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, backend: MemoryBackend
) -> AbstractAsyncContextManager[MainWindow]:
    """The app's own start with the key looked up in ``backend`` (not the environment)."""
    return main_window(fake, store, tmp_path, keys=KeyStore(backend, environ={}))


def test_replace_and_remove_key(fake: FakeWriter, store: ConversationStore, tmp_path: Path) -> None:
    backend = MemoryBackend()
    backend.set_password(SERVICE, USERNAME, "old-key-which-is-wrong")  # asked for at start too
    fake.enqueue(Reply(text="with the new key"), Reply(text="asked for, then sent"))

    async def scenario() -> None:
        async with keyring_window(fake, store, tmp_path, backend) as window:
            assert _key_source(window) is KeySource.KEYRING
            dialog = window.open_settings()
            dialog.replace_key_button.click()
            key_dialog = await key_dialog_shown()
            give_key(key_dialog)
            await until(
                lambda: "new API key" in window.statusBar().currentMessage(), what="new key"
            )
            assert backend.items[(SERVICE, USERNAME)] == KEY
            assert dialog.isVisible()  # with its other edits, now showing the new key
            assert "keyring" in dialog.key_label.text()
            dialog.reject()
            await send(window, "hi")
            await reply_done(window)
            assert fake.chat_requests[-1].headers["authorization"] == f"Bearer {KEY}"
            window.controller.forget_key()
            await until(lambda: backend.items == {}, what="key removed")
            assert _key_source(window) is KeySource.NONE
            # "You will be asked for a key the next time Writer Desktop needs one": a
            # message sent now asks, sends nothing without one, and goes once it is given.
            sent_before = len(fake.chat_requests)
            await send(window, "and now?")
            key_dialog = await key_dialog_shown()
            assert len(fake.chat_requests) == sent_before
            assert "No API key is set" in window.chat.toPlainText()
            give_key(key_dialog)
            await until(
                lambda: "asked for, then sent" in window.chat.toPlainText(), what="the reply"
            )
            await reply_done(window)
            assert "No API key is set" not in window.chat.toPlainText()
            assert backend.items[(SERVICE, USERNAME)] == KEY

    run_scenario(scenario())


def test_key_buttons_keep_the_other_settings_edits_and_a_session_key_can_be_removed(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    backend = MemoryBackend()
    backend.set_password(SERVICE, USERNAME, KEY)  # no dialog at start
    asked: list[str] = []

    def yes(_parent: object, _title: str, text: str, *_: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)

    async def scenario() -> None:
        async with keyring_window(fake, store, tmp_path, backend) as window:
            window.controller.use_key(KEY, KeyLookup(KEY, KeySource.SESSION))
            window.controller._keys.use_for_session(KEY)  # type: ignore[union-attr]
            dialog = window.open_settings()
            dialog.temperature_spin.setValue(1.5)
            dialog.remove_key_button.click()
            assert asked == [
                "Stop using the Writer API key given for this session? You will be asked for "
                "a key the next time Writer Desktop needs one."
            ]
            await until(lambda: _key_source(window) is KeySource.NONE, what="key removed")
            assert "no longer used" in window.statusBar().currentMessage()
            assert backend.items == {(SERVICE, USERNAME): KEY}  # the keyring was not asked
            assert dialog.isVisible()
            assert dialog.temperature_spin.value() == 1.5  # the edit is still there
            assert not dialog.remove_key_button.isEnabled()
            assert dialog.key_label.text() == "Key: not set"
            dialog._accept()  # OK
            assert window.controller.settings.temperature == 1.5

    run_scenario(scenario())


def test_a_saved_key_writer_rejects_is_asked_for_at_start(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    backend = MemoryBackend()
    backend.set_password(SERVICE, USERNAME, "revoked-key")  # the fake accepts only KEY

    async def scenario() -> None:
        async with keyring_window(fake, store, tmp_path, backend) as window:
            key_dialog = await key_dialog_shown()
            assert "Writer rejected the saved API key" in key_dialog.status.text()
            assert "Offline" not in window.statusBar().currentMessage()
            give_key(key_dialog)
            await until(
                lambda: "new API key" in window.statusBar().currentMessage(), what="new key"
            )
            assert backend.items[(SERVICE, USERNAME)] == KEY

    run_scenario(scenario())


def test_a_message_refused_while_a_new_key_is_asked_for_is_sent_with_it(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # The saved key is rejected at start and the dialog opens; a message typed meanwhile fails
    # with the old key. It used to stay failed ("Update key") once the new key was in use.
    backend = MemoryBackend()
    backend.set_password(SERVICE, USERNAME, "revoked-key")
    fake.enqueue(Reply(text="answered with the new key"))

    async def scenario() -> None:
        async with keyring_window(fake, store, tmp_path, backend) as window:
            key_dialog = await key_dialog_shown()
            window.controller.send("early question")
            await reply_done(window)
            conv = window.controller.current_conversation()
            assert conv is not None
            assert conv.messages[-1].error_kind == "auth"
            give_key(key_dialog)
            await until(
                lambda: "answered with the new key" in window.chat.toPlainText(), what="resent"
            )
            await reply_done(window)
            conv = window.controller.current_conversation()
            assert conv is not None
            assert [m.content for m in conv.messages] == [
                "early question",
                "answered with the new key",
            ]

    run_scenario(scenario())


async def key_dialog_shown() -> KeyDialog:
    await until(lambda: _visible_key_dialog() is not None, what="key dialog")
    key_dialog = _visible_key_dialog()
    assert key_dialog is not None
    return key_dialog


def give_key(key_dialog: KeyDialog) -> None:
    """Type the fake server's key and press Continue, as a user would."""
    QTest.keyClicks(key_dialog.key_edit, KEY)
    QTest.mouseClick(key_dialog.continue_button, Qt.MouseButton.LeftButton)


def _key_source(window: MainWindow) -> KeySource:
    return window.controller.key_info.source


def _visible_key_dialog() -> KeyDialog | None:
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, KeyDialog)]
    return next((d for d in dialogs if d.isVisible()), None)


def test_rate_limit_countdown_says_so(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(RateLimit(retry_after="1"), Reply(text="ok"))
    reasons: list[str] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller.retry_scheduled.connect(lambda _c, _d, r: reasons.append(r))
            await send(window, "hi")
            await reply_done(window)

    run_scenario(scenario())
    assert reasons == ["Rate limited: Quota exceeded"]


def test_retry_reason_wording() -> None:
    from writer_desktop.core.stream import RetryScheduled

    assert retry_reason(RetryScheduled(1, 3, 1.0, "Busy", 503)) == "Busy"
    assert retry_reason(RetryScheduled(1, 3, 1.0, "No route", None)).startswith("Connection")


def test_a_key_that_could_not_be_removed_is_told_in_settings(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The failure went to the problem bar, under the modal Settings dialog, which went on saying
    # "stored in the system keyring" as if nothing had been asked.
    from PySide6.QtWidgets import QMessageBox

    class Undeletable(MemoryBackend):
        def delete_password(self, service: str, user: str) -> None:
            raise RuntimeError("the keyring daemon is gone")

    backend = Undeletable()
    backend.set_password(SERVICE, USERNAME, KEY)
    monkeypatch.setattr(QMessageBox, "question", lambda *_: QMessageBox.StandardButton.Yes)

    async def scenario() -> None:
        async with keyring_window(fake, store, tmp_path, backend) as window:
            dialog = window.open_settings()
            dialog.remove_key_button.click()
            await until(lambda: "could not be removed" in dialog.key_label.text(), what="told")
            assert dialog.key_label.text().startswith("Key: stored in the system keyring — ")
            assert _key_source(window) is KeySource.KEYRING  # still in use
            assert window.controller.key_info.problem is None  # told, not kept as its state
            assert backend.items == {(SERVICE, USERNAME): KEY}
            dialog.reject()

    run_scenario(scenario())
