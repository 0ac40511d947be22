"""The quick prompt wired to the real controller and window: ask, stream, stop, hand over."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.fake_writer.behaviours import CutAfter, Reply, Trickle
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, run_scenario, saved, until
from writer_desktop.core.autostart import Autostart
from writer_desktop.core.settings import Settings, SettingsFile
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.quick_bridge import QuickBridge
from writer_desktop.ui.quick_prompt import QuickPrompt
from writer_desktop.ui.tray import Tray


def ask(prompt: QuickPrompt, text: str) -> None:
    QTest.keyClicks(prompt.editor, text)
    QTest.keyClick(prompt.editor, Qt.Key.Key_Return)


def test_quick_exchange_streams_saves_and_opens_in_main(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Quick **answer**."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            prompt = QuickPrompt()
            bridge = QuickBridge(window.controller, prompt, window)
            before = window.controller.current_id
            bridge.show("What is 6 x 7?")
            assert prompt.isVisible()
            assert prompt.editor.toPlainText() == "What is 6 x 7?"
            QTest.keyClick(prompt.editor, Qt.Key.Key_Return)
            await until(lambda: "Quick answer." in prompt.answer.toPlainText(), what="answer")
            conv_id = prompt.conversation_id
            assert conv_id is not None
            assert conv_id != before
            await until(lambda: not window.controller.is_busy(conv_id), what="end")
            data = saved(store, conv_id)
            assert data["messages"][-1]["content"] == "Quick **answer**."
            assert window.controller.current_id == before
            prompt.open_in_main()
            assert not prompt.isVisible()
            assert window.controller.current_id == conv_id
            assert "Quick answer." in window.chat.toPlainText()
            prompt.close()

    run_scenario(scenario())


def test_quick_stop_and_retry_act_on_the_quick_conversation(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002), CutAfter(900, text="x " * 400),
                 Reply(text="second try"))  # fmt: skip

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            prompt = QuickPrompt()
            QuickBridge(window.controller, prompt, window).show()
            ask(prompt, "long one")
            await until(lambda: prompt.answer_text() != "", what="first text")
            conv_id = prompt.conversation_id
            assert conv_id is not None
            prompt.stop_requested.emit()
            await until(lambda: not window.controller.is_busy(conv_id), what="stopped")
            assert saved(store, conv_id)["messages"][-1]["status"] == "stopped"
            ask(prompt, "cut one")
            second = prompt.conversation_id
            assert second is not None
            assert second != conv_id
            await until(lambda: not window.controller.is_busy(second), what="cut")
            reply = saved(store, second)["messages"][-1]
            assert reply["status"] == "interrupted"
            prompt.retry_requested.emit(reply["id"])
            await until(lambda: "second try" in prompt.answer_text(), what="retried answer")
            await until(lambda: not window.controller.is_busy(second), what="retry end")
            retried = saved(store, second)["messages"][-1]
            assert retried["content"] == "second try"
            assert [v["message"]["content"] for v in retried["versions"]] == [reply["content"]]
            assert window.controller.current_id != second  # the main window stayed where it was
            assert "x x" not in prompt.answer_text()
            # The main window shows the first version there now: the quick prompt's Retry (of
            # the second) did nothing, without a word.
            notices: list[str] = []
            window.controller.notice.connect(notices.append)
            window.controller.open_conversation(second)
            window.controller.switch_version(retried["id"], -1)
            prompt.retry_requested.emit(retried["id"])
            assert notices[-1].startswith("That reply is no longer the one shown")
            assert not window.controller.is_busy(second)
            prompt.close()

    run_scenario(scenario())


def test_closing_hides_to_the_tray_and_quit_really_quits(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, qapp: QApplication
) -> None:
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.tray = Tray(qapp.windowIcon())
            closed: list[bool] = []
            window.closed.connect(lambda: closed.append(True))
            window.close()
            assert not window.isVisible()
            assert closed == []  # still running: the shortcut keeps working
            assert "tray" in window.statusBar().currentMessage()
            window.bring_to_front()
            assert window.isVisible()
            window.request_quit()
            assert closed == [True]

    run_scenario(scenario())


def test_start_at_login_follows_the_setting(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    autostart = Autostart(["writer-desktop"], platform="linux", home=tmp_path, env={})
    assert autostart.path is not None

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller._autostart = autostart
            window.controller.apply_settings(Settings(start_at_login=True))
            assert autostart.path is not None
            assert autostart.path.is_file()
            assert "Exec=writer-desktop" in autostart.path.read_text()
            window.controller.apply_settings(Settings(start_at_login=False))
            assert not autostart.path.exists()

    run_scenario(scenario())


def test_a_start_at_login_that_failed_is_saved_as_off(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "autostart").write_text("a file where the folder should be")
    autostart = Autostart(
        ["writer-desktop"], platform="linux", home=tmp_path, env={"XDG_CONFIG_HOME": str(config)}
    )
    settings_file = SettingsFile(tmp_path / "settings.json")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            c = window.controller
            c._autostart, c._settings_file = autostart, settings_file
            problems: list[str] = []
            c.problem.connect(problems.append)
            c.apply_settings(Settings(start_at_login=True, theme="dark"))
            assert problems[0].startswith("Start at login could not be changed")
            assert c.settings.start_at_login is False
            assert settings_file.load() == Settings(start_at_login=False, theme="dark")

    run_scenario(scenario())


def test_start_at_login_keeps_a_portable_data_folder(tmp_path: Path) -> None:
    from writer_desktop.ui.launcher import gui_command, login_command

    assert login_command({}, "linux") == gui_command()
    portable = {"WRITER_DESKTOP_HOME": str(tmp_path / "stick")}
    command = login_command(portable, "linux")
    assert command == ["/usr/bin/env", f"WRITER_DESKTOP_HOME={tmp_path / 'stick'}", *gui_command()]
    assert login_command(portable, "darwin") == command
    assert login_command(portable, "win32") == gui_command()  # Run holds a bare command line
    entry = Autostart(command, platform="linux", home=tmp_path, env={})
    entry.enable()
    assert entry.path is not None
    assert f"Exec=/usr/bin/env WRITER_DESKTOP_HOME={tmp_path}/stick " in entry.path.read_text()


def test_the_quick_prompt_follows_the_text_size(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # Settings' text size applied to the window's conversation and prompt, not to the quick
    # prompt, which stayed at 100 %.
    import dataclasses

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            prompt = QuickPrompt()
            base = prompt.editor.font().pointSizeF()
            QuickBridge(window.controller, prompt, window)
            controller = window.controller
            controller.apply_settings(dataclasses.replace(controller.settings, text_scale=200))
            assert prompt.editor.font().pointSizeF() == 2 * base
            assert prompt.answer.document().defaultFont().pointSizeF() == 2 * base
            assert prompt.editor.height() > 2 * prompt.editor.fontMetrics().lineSpacing()
            controller.apply_settings(dataclasses.replace(controller.settings, text_scale=100))
            assert prompt.editor.font().pointSizeF() == base
            prompt.close()

    run_scenario(scenario())
