"""The settings dialog: edits a copy, validates the API address, never sees the key."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit
from pytestqt.qtbot import QtBot

from writer_desktop.core.secrets import KeyLookup, KeySource
from writer_desktop.core.settings import Settings
from writer_desktop.ui.hotkey import default_sequence
from writer_desktop.ui.settings_dialog import SettingsDialog

KEYRING = KeyLookup("sk-secret-value", KeySource.KEYRING)
MOD = Qt.KeyboardModifier


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


def test_an_address_from_the_environment_is_shown_in_use(qtbot: QtBot) -> None:
    dialog = SettingsDialog(
        Settings(), KeyLookup("k", KeySource.KEYRING), ["palmyra-x5"],
        base_url_from_env="http://127.0.0.1:8765",
    )  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.base_url_note.isVisible()
    assert "In use: http://127.0.0.1:8765" in dialog.base_url_note.text()
    assert "WRITER_BASE_URL" in dialog.base_url_note.text()


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
    assert dialog.replace_key_button.text() == "A&dd key…"  # nothing to replace
    dialog.show_key(KEYRING)
    assert dialog.replace_key_button.text() == "&Replace key…"


def test_an_error_leaves_as_its_field_is_fixed(qtbot: QtBot) -> None:
    # "must start with https://" stayed under a corrected address until OK was pressed.
    dialog = make(qtbot)
    dialog.show()
    dialog.base_url_edit.setText("https://")
    dialog._accept()
    assert (
        dialog.error_label.text() == "The API address 'https://' has no host name after https://."
    )
    QTest.keyClicks(dialog.base_url_edit, "api.writer.com")
    assert not dialog.error_label.isVisible()
    dialog.base_url_edit.setText("ftp://x")
    dialog._accept()
    assert "must start with https://" in dialog.error_label.text()
    dialog.text_scale_spin.setValue(120)  # another field: the error is still about the address
    assert dialog.error_label.isVisible()


# -- quick prompt and behaviour ---------------------------------------------------------------


def test_quick_prompt_and_behaviour_come_back_as_settings(qtbot: QtBot) -> None:
    dialog = make(qtbot)
    dialog.show()
    recorder = dialog.hotkey_group.recorder
    recorder.setFocus()
    qtbot.waitUntil(recorder.hasFocus)
    QTest.keyClick(recorder, Qt.Key.Key_K, MOD.ControlModifier | MOD.ShiftModifier)
    assert recorder.keySequence().toString() == "Ctrl+Shift+K"  # one combination, then done
    dialog.hotkey_group.enable_check.setChecked(False)
    assert not recorder.isEnabled()
    dialog.tray_check.setChecked(False)
    dialog.login_check.setChecked(True)
    with qtbot.waitSignal(dialog.settings_accepted) as blocker:
        dialog._accept()
    expected = dataclasses.replace(
        Settings(), hotkey="Ctrl+Shift+K", hotkey_enabled=False, close_to_tray=False,
        start_at_login=True,
    )  # fmt: skip
    assert blocker.args == [expected]


def test_empty_shortcut_means_the_platform_default(qtbot: QtBot) -> None:
    dialog = make(qtbot, settings=Settings(hotkey="Ctrl+Alt+J"))
    group = dialog.hotkey_group
    assert group.recorder.keySequence().toString() == "Ctrl+Alt+J"
    group.recorder.clear()
    line = group.recorder.findChild(QLineEdit)
    assert line is not None
    assert line.placeholderText() == f"{default_sequence()} (default)"
    assert dialog.values().hotkey == ""


@pytest.mark.parametrize("keys", ["Shift+K", "Ctrl+Alt+Print"])
def test_unusable_shortcut_is_refused_in_words(qtbot: QtBot, keys: str) -> None:
    dialog = make(qtbot)
    dialog.show()
    dialog.hotkey_group.recorder.setKeySequence(QKeySequence(keys))
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        dialog._accept()
    assert dialog.error_label.isVisible()
    assert keys in dialog.error_label.text()
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_mechanism_and_its_problem_are_shown(qtbot: QtBot) -> None:
    problem = "Ctrl+Alt+Space is already used by another program. Choose another shortcut."
    dialog = SettingsDialog(
        Settings(), KEYRING, [], hotkey_mechanism="X11 key grab", hotkey_problem=problem
    )
    qtbot.addWidget(dialog)
    dialog.show()
    group = dialog.hotkey_group
    assert group.mechanism_label.text() == "Listening with: X11 key grab."
    assert group.problem_label.text() == problem
    assert group.problem_label.isVisible()
    assert group.recorder.isEnabled()
    assert not group.command_edit.isVisible()
    assert not group.copy_button.isVisible()


def test_without_a_mechanism_the_command_to_bind_is_offered(qtbot: QtBot) -> None:
    reason = (
        "This Wayland desktop does not offer the GlobalShortcuts portal "
        "(org.freedesktop.portal.GlobalShortcuts)."
    )
    dialog = SettingsDialog(Settings(), KEYRING, [], hotkey_mechanism="", hotkey_problem=reason)
    qtbot.addWidget(dialog)
    dialog.show()
    group = dialog.hotkey_group
    assert "cannot listen" in group.mechanism_label.text()
    assert group.problem_label.text() == reason
    label = group.problem_label
    assert label.height() >= label.heightForWidth(label.width())  # wrapped, not cut short
    assert not group.recorder.isEnabled()  # nothing here would hear it
    assert not group.enable_check.isEnabled()
    assert dialog.values().hotkey_enabled is True  # the choice is kept for another session
    assert group.command_edit.isVisible()
    assert group.command_edit.text() == "writer-desktop quick"
    QApplication.clipboard().setText("")
    group.copy_button.click()
    assert QApplication.clipboard().text() == "writer-desktop quick"


def test_unknown_mechanism_shows_no_status(qtbot: QtBot) -> None:
    dialog = make(qtbot)
    dialog.show()
    assert not dialog.hotkey_group.mechanism_label.isVisible()
    assert not dialog.hotkey_group.problem_label.isVisible()
    assert not dialog.hotkey_group.command_edit.isVisible()


def test_without_a_tray_closing_cannot_keep_running(qtbot: QtBot) -> None:
    settings = Settings(close_to_tray=True)
    dialog = SettingsDialog(settings, KEYRING, [], tray_available=False)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.tray_check.isEnabled()
    assert not dialog.tray_check.isChecked()
    assert dialog.tray_note.isVisible()
    assert "no tray" in dialog.tray_note.text()
    assert dialog.values().close_to_tray is True  # the choice is kept for a desktop with a tray


def test_the_shortcut_field_leaves_esc_to_the_dialog_and_backspace_clears_it(
    qtbot: QtBot,
) -> None:
    dialog = make(qtbot, settings=Settings(hotkey="Ctrl+Alt+K"))
    dialog.show()
    recorder = dialog.hotkey_group.recorder
    recorder.setFocus()
    qtbot.waitUntil(recorder.hasFocus)
    QTest.keyClick(recorder, Qt.Key.Key_Backspace)  # back to the default, from the keyboard
    assert recorder.keySequence().isEmpty()
    assert dialog.hotkey_group.sequence() == ""
    QTest.keyClick(recorder, Qt.Key.Key_K, MOD.ControlModifier | MOD.AltModifier)
    QTest.keyClick(recorder, Qt.Key.Key_Escape)  # closes the dialog, is not recorded
    assert recorder.keySequence().toString() == "Ctrl+Alt+K"
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected


@pytest.mark.parametrize("key", [KEYRING, KeyLookup(None, KeySource.NONE)])
def test_every_mnemonic_in_the_dialog_is_a_different_letter(qtbot: QtBot, key: KeyLookup) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    dialog = make(qtbot, key)
    texts = [w.text() for w in dialog.findChildren(QAbstractButton)]
    texts += [w.text() for w in dialog.findChildren(QLabel)]
    letters = [t[t.index("&") + 1].lower() for t in texts if "&" in t.replace("&&", "")]
    assert len(letters) >= 10
    assert sorted(letters) == sorted(set(letters)), letters


def test_a_shortcut_the_app_itself_uses_is_warned_of(qtbot: QtBot) -> None:
    dialog = SettingsDialog(
        Settings(), KEYRING, ["palmyra-x5"], hotkey_problem="", taken_shortcuts={"Alt+M": "Model"}
    )
    qtbot.addWidget(dialog)
    dialog.show()
    group = dialog.hotkey_group
    group.recorder.setKeySequence(QKeySequence("Alt+M"))
    assert group.problem_label.isVisible()
    assert "own shortcut for Model" in group.problem_label.text()
    group.recorder.setKeySequence(QKeySequence("Ctrl+Alt+K"))
    assert not group.problem_label.isVisible()


SIZED = """
import sys
from PySide6.QtWidgets import QApplication
from writer_desktop.core.secrets import KeyLookup, KeySource
from writer_desktop.core.settings import Settings
from writer_desktop.ui.settings_dialog import SettingsDialog
app = QApplication([])
dialog = SettingsDialog(Settings(), KeyLookup("k", KeySource.KEYRING), ["palmyra-x5"])
dialog.show()
app.processEvents()
ok = dialog._buttons.geometry()
print(dialog.height(), dialog.screen().availableGeometry().height(),
      dialog.scroll_area.verticalScrollBar().maximum(), ok.bottom() < dialog.height())
dialog.base_url_edit.setText("ftp://example.com")  # an error line shows under the settings
dialog._accept()
app.processEvents()
assert dialog.error_label.isVisible()
print(dialog.height(), dialog._buttons.geometry().bottom() < dialog.height())
"""


@pytest.mark.parametrize(("scale", "scrolls"), [("2", True), ("0.5", False)])
def test_settings_fit_the_screen_and_scroll_only_when_they_must(scale: str, scrolls: bool) -> None:
    # At 150 % on a 1080p screen (200 % here) OK and Cancel were below the screen's edge.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
    out = subprocess.run(
        [sys.executable, "-c", SIZED], env=env, capture_output=True, text=True, timeout=60,
        check=True,
    )  # fmt: skip
    height, available, scroll_max, buttons_inside, with_error, still_inside = out.stdout.split()
    assert int(height) <= int(available) * 9 // 10
    assert buttons_inside == "True"
    assert (int(scroll_max) > 0) is scrolls
    assert int(with_error) <= int(available) * 9 // 10  # the error's lines fit in too
    assert still_inside == "True"


def test_the_dialog_opens_on_its_first_field_and_tab_never_stops_on_the_scroll_area(
    qtbot: QtBot,
) -> None:
    # The scroll area took the focus at open, showing no ring, and was a Tab stop of its own.
    dialog = make(qtbot)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    seen = []
    for _ in range(40):
        focused = QApplication.focusWidget()
        assert focused is not None
        assert focused is not dialog.scroll_area
        assert focused is not dialog.scroll_area.viewport()
        seen.append(focused)
        QTest.keyClick(focused, Qt.Key.Key_Tab)
    assert dialog.scroll_area.isAncestorOf(seen[0])  # the first field, not OK or Cancel


def test_the_groups_fields_start_in_one_column(qtbot: QtBot) -> None:
    # Each group's form sized its own label column: fields started at three different places.
    from PySide6.QtWidgets import QFormLayout

    dialog = make(qtbot)
    dialog.show()
    qtbot.waitExposed(dialog)
    starts = set()
    for form in dialog.body.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            field = item.widget() if item is not None else None
            if field is not None and form.itemAt(row, QFormLayout.ItemRole.LabelRole):
                starts.add(field.mapTo(dialog, field.rect().topLeft()).x())
    assert len(starts) == 1, starts
