"""The options panel reports edits, never the values it is shown."""

from __future__ import annotations

from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from writer_desktop.core.models import Params
from writer_desktop.ui.conversation_options import ConversationOptions


def test_showing_options_reports_nothing(qtbot: QtBot) -> None:
    panel = ConversationOptions()
    qtbot.addWidget(panel)
    with (
        qtbot.assertNotEmitted(panel.system_prompt_changed, wait=800),
        qtbot.assertNotEmitted(panel.params_changed),
    ):
        panel.show_options("Be brief.", Params(temperature=1.5, max_tokens=100))
    assert panel.system_prompt.toPlainText() == "Be brief."
    assert (panel.temperature.value(), panel.max_tokens.value()) == (1.5, 100)


def test_edits_are_reported_after_a_pause_or_on_flush(qtbot: QtBot) -> None:
    panel = ConversationOptions()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.system_prompt_changed, timeout=3000) as blocker:
        QTest.keyClicks(panel.system_prompt, "Use British spelling.")
    assert blocker.args == ["Use British spelling."]
    QTest.keyClicks(panel.system_prompt, "!")
    with qtbot.waitSignal(panel.system_prompt_changed, timeout=100) as blocker:
        panel.flush()
    assert blocker.args == ["Use British spelling.!"]
    with qtbot.waitSignal(panel.params_changed) as blocker:
        panel.max_tokens.setValue(512)
    assert blocker.args == [panel.temperature.value(), 512]


def test_labels_have_working_mnemonics(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QLabel

    panel = ConversationOptions()
    qtbot.addWidget(panel)
    labels = {label.text(): label.buddy() for label in panel.findChildren(QLabel)}
    assert labels["&Temperature:"] is panel.temperature
    assert labels["Max re&ply tokens:"] is panel.max_tokens
    assert labels["S&ystem prompt:"] is panel.system_prompt
