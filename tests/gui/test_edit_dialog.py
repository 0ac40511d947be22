"""The edit dialog's text box behaves as the prompt: Enter resends, Shift+Enter adds a line."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

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
