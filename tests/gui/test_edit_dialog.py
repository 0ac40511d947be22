"""The edit dialog's text box behaves as the prompt: Enter resends, Shift+Enter adds a line."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, run_scenario
from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.edit_dialog import EditDialog


def test_enter_resends_the_text_trimmed_and_shift_enter_adds_a_line(qtbot: QtBot) -> None:
    dialog = EditDialog("first line")
    qtbot.addWidget(dialog)
    dialog.show()
    sent: list[str] = []
    dialog.resend.connect(sent.append)
    QTest.keyClick(dialog.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(dialog.editor, "second line")
    QTest.keyClick(dialog.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(dialog.editor, Qt.Key.Key_Space)
    assert dialog.isVisible()
    QTest.keyClick(dialog.editor, Qt.Key.Key_Return)
    assert sent == ["first line\nsecond line"]  # no stray blank line at the end
    assert not dialog.isVisible()


def test_a_blank_message_cannot_be_resent(qtbot: QtBot) -> None:
    dialog = EditDialog("words")
    qtbot.addWidget(dialog)
    dialog.show()
    sent: list[str] = []
    dialog.resend.connect(sent.append)
    assert dialog.resend_button.isEnabled()
    dialog.editor.setPlainText(" \n ")
    assert not dialog.resend_button.isEnabled()
    QTest.keyClick(dialog.editor, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert sent == []
    QTest.keyClick(dialog.editor, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert sent == []


def test_an_edit_cancelled_with_esc_comes_back_at_the_next_edit(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # Esc threw a long edit away, unasked.
    conv = Conversation(messages=[Message(Role.USER, "Original"), Message(Role.ASSISTANT, "Hi")])
    store.save(conv)
    question = conv.messages[0].id

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller.open_conversation(conv.id)
            dialog = window.edit_message(question)
            QTest.keyClicks(dialog.editor, " and more words")
            QTest.keyClick(dialog.editor, Qt.Key.Key_Escape)
            assert not dialog.isVisible()
            dialog = window.edit_message(question)
            assert dialog.editor.toPlainText() == "Original and more words"
            dialog.editor.setPlainText("Original")  # taken back by hand: nothing kept
            QTest.keyClick(dialog.editor, Qt.Key.Key_Escape)
            dialog = window.edit_message(question)
            assert dialog.editor.toPlainText() == "Original"
            QTest.keyClick(dialog.editor, Qt.Key.Key_Escape)

    run_scenario(scenario())
