"""Errors offer the action that fixes them, in the chat view and the quick prompt alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest

from tests.fake_writer.behaviours import Error
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import last_message, main_window, reply_done, run_scenario, send, until
from writer_desktop.core.models import Message, Role, Status
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.quick_bridge import QuickBridge
from writer_desktop.ui.quick_prompt import QuickPrompt
from writer_desktop.ui.render import footer_html


def failed(kind: str | None) -> Message:
    return Message(Role.ASSISTANT, "", status=Status.ERROR, error="nope", error_kind=kind)


def test_each_error_kind_offers_its_fix() -> None:
    assert "wd-action:update-key/" in footer_html(failed("auth"))
    assert "Update key" in footer_html(failed("auth"))
    assert "wd-action:choose-model/" in footer_html(failed("model"))
    assert "Choose another model" in footer_html(failed("model"))
    for kind in ("server", "network", None):
        assert "wd-action:retry/" in footer_html(failed(kind))


def test_rejected_key_offers_update_key_which_opens_the_key_dialog(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Error(401))
    asked: list[bool] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.key_replacement_requested.connect(lambda failed: asked.append(bool(failed)))
            await send(window, "hello")
            await reply_done(window)
            reply = last_message(window)
            assert reply.error_kind == "auth"
            assert "Update key" in window.chat.toPlainText()
            window.chat._on_anchor(QUrl(f"wd-action:update-key/{reply.id}"))
            assert asked == [True]

    run_scenario(scenario())


def test_unknown_model_offers_the_model_picker(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Error(404, "Model palmyra-old not found"))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "hello")
            await reply_done(window)
            reply = last_message(window)
            assert "Choose another model" in window.chat.toPlainText()
            window.chat._on_anchor(QUrl(f"wd-action:choose-model/{reply.id}"))
            await until(lambda: window.composer.models.view().isVisible(), what="picker")
            window.composer.models.hidePopup()

    run_scenario(scenario())


def test_quick_prompt_error_fix_reaches_the_main_window(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Error(401))
    asked: list[bool] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.key_replacement_requested.connect(lambda failed: asked.append(bool(failed)))
            prompt = QuickPrompt()
            QuickBridge(window.controller, prompt, window).show()
            QTest.keyClicks(prompt.editor, "hi")
            QTest.keyClick(prompt.editor, Qt.Key.Key_Return)
            await until(lambda: "Update key" in prompt.answer.toPlainText(), what="notice")
            message = prompt.answer.message
            assert message is not None
            prompt.answer._on_anchor(QUrl(f"wd-action:update-key/{message.id}"))
            assert asked == [True]
            prompt.close()

    run_scenario(scenario())


def test_text_size_shortcuts_scale_and_persist(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            prompt = window.composer.editor
            size = prompt.font().pointSizeF()
            window.bigger_action.trigger()
            window.bigger_action.trigger()
            assert window.chat.text_scale == 120
            assert window.controller.settings.text_scale == 120
            assert prompt.font().pointSizeF() == pytest.approx(size * 1.2)  # what is typed too
            window.smaller_action.trigger()
            assert window.chat.text_scale == 110
            window.reset_size_action.trigger()
            assert window.chat.text_scale == 100
            assert prompt.font().pointSizeF() == pytest.approx(size)
            assert "Text size 100 %" in window.statusBar().currentMessage()

    run_scenario(scenario())
