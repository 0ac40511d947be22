"""The settings dialog: edits a copy, validates the API address, never sees the key."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from writer_desktop.core.secrets import KeyLookup, KeySource
from writer_desktop.core.settings import Settings
from writer_desktop.ui.settings_dialog import SettingsDialog

KEYRING = KeyLookup("sk-secret-value", KeySource.KEYRING)


def make(
    qtbot: QtBot, key: KeyLookup = KEYRING, settings: Settings | None = None
) -> SettingsDialog:
    dialog = SettingsDialog(settings or Settings(), key, ["palmyra-x5", "palmyra-fin"])
    qtbot.addWidget(dialog)
    return dialog


def test_edits_come_back_as_settings(qtbot: QtBot) -> None:
    dialog = make(qtbot)
    dialog.model_combo.setCurrentText("palmyra-fin")
    dialog.temperature_spin.setValue(1.3)
    dialog.max_tokens_spin.setValue(2048)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.text_scale_spin.setValue(130)
    dialog.base_url_edit.setText("https://proxy.example.com/")
    with qtbot.waitSignal(dialog.settings_accepted) as blocker:
        dialog._accept()
    expected = dataclasses.replace(
        Settings(), default_model="palmyra-fin", temperature=1.3, max_tokens=2048, theme="dark",
        text_scale=130, base_url="https://proxy.example.com",
    )  # fmt: skip
    assert blocker.args == [expected]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_insecure_base_url_is_refused_in_words(qtbot: QtBot) -> None:
    dialog = make(qtbot)
    dialog.show()
    dialog.base_url_edit.setText("http://api.writer.com")
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        dialog._accept()
    assert dialog.error_label.isVisible()
    assert "unencrypted" in dialog.error_label.text()
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_key_is_described_never_shown(qtbot: QtBot) -> None:
    dialog = make(qtbot)
    assert "stored in the system keyring" in dialog.key_label.text()
    assert "sk-secret-value" not in dialog.key_label.text()
    assert dialog.remove_key_button.isEnabled()
    with qtbot.waitSignal(dialog.remove_key_requested):
        dialog.remove_key_button.click()
    with qtbot.waitSignal(dialog.replace_key_requested):
        dialog.replace_key_button.click()


def test_environment_key_cannot_be_replaced_here(qtbot: QtBot) -> None:
    dialog = make(qtbot, KeyLookup("sk-env", KeySource.ENVIRONMENT))
    assert "from environment" in dialog.key_label.text()
    assert not dialog.remove_key_button.isEnabled()
    assert not dialog.replace_key_button.isEnabled()


def test_keyring_problem_is_shown(qtbot: QtBot) -> None:
    dialog = make(qtbot, KeyLookup(None, KeySource.NONE, "The system keyring is locked."))
    assert "locked" in dialog.key_label.text()
    assert not dialog.remove_key_button.isEnabled()
    assert dialog.replace_key_button.isEnabled()
