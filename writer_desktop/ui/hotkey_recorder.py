"""The settings dialog's "Quick prompt" group: the global shortcut, recorded and checked.

The recorder takes one key combination; empty means the platform default, shown as placeholder
text. A status line says which mechanism listens for it (e.g. "X11 key grab") and any problem in
words. Where no mechanism exists (Wayland without the GlobalShortcuts portal), the group shows the
command to bind in the desktop's own keyboard settings instead, with a Copy button.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .hotkey import QUICK_COMMAND, default_sequence
from .hotkey.keys import MODIFIERS, parse_sequence

PORTABLE = QKeySequence.SequenceFormat.PortableText
NATIVE = QKeySequence.SequenceFormat.NativeText


class ShortcutEdit(QKeySequenceEdit):
    """Records one combination; Esc alone is left to the dialog (it closes it, as anywhere),
    Backspace or Delete alone clears the field (back to the default), from the keyboard."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.modifiers() & MODIFIERS == Qt.KeyboardModifier.NoModifier:
            if event.key() == Qt.Key.Key_Escape:
                event.ignore()
                return
            if event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
                self.clear()
                return
        super().keyPressEvent(event)


class HotkeyGroup(QGroupBox):
    """Edits ``hotkey`` and ``hotkey_enabled``; :meth:`sequence` raises HotkeyError if invalid.

    ``mechanism`` names what listens for the shortcut ("" when nothing can, None when unknown);
    ``problem`` says what is wrong, if anything ("Ctrl+Alt+Space is already used by …");
    ``taken`` maps the app's own shortcuts (portable text) to what they do, to warn of a clash.
    """

    grew = Signal()  # its problem line changed: the window may need more height

    def __init__(
        self,
        hotkey: str,
        enabled: bool,
        *,
        mechanism: str | None = None,
        problem: str = "",
        platform: str = sys.platform,
        taken: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Quick prompt", parent)
        self._problem = problem
        self._taken = dict(taken or {})  # portable key text → what in the app uses it
        self.default = default_sequence(platform)
        self._available = mechanism != ""
        self.enable_check = QCheckBox(
            "Open the &quick prompt from any program with a shortcut", self
        )
        self.enable_check.setChecked(enabled)
        self.recorder = ShortcutEdit(QKeySequence.fromString(hotkey, PORTABLE), self)
        self.recorder.setObjectName("hotkeyRecorder")
        self.recorder.setAccessibleName("Quick prompt shortcut")
        self.recorder.setMaximumSequenceLength(1)
        self.recorder.setClearButtonEnabled(True)
        default_text = QKeySequence.fromString(self.default, PORTABLE).toString(NATIVE)
        self.recorder.setToolTip(
            f"Press the keys to use. Backspace clears it, to use {default_text}."
        )
        self._placeholder = f"{default_text} (default)"
        self.recorder.keySequenceChanged.connect(self._show_default)
        self.recorder.keySequenceChanged.connect(self._show_problem)
        self._show_default()
        label = QLabel("&Shortcut:", self)
        label.setBuddy(self.recorder)
        shortcut_row = QHBoxLayout()
        shortcut_row.addWidget(label)
        shortcut_row.addWidget(self.recorder, 1)
        self.mechanism_label = self._label("hotkeyMechanism")
        self.problem_label = self._label("hotkeyProblem")
        self.command_label = self._label("quickCommandHint")
        self.command_label.setText(
            "Add a custom shortcut in your desktop's keyboard settings with this command:"
        )
        self.command_edit = QLineEdit(QUICK_COMMAND, self)
        self.command_edit.setObjectName("quickCommand")
        self.command_edit.setAccessibleName("Command for a desktop keyboard shortcut")
        self.command_edit.setReadOnly(True)
        self.copy_button = QPushButton("&Copy", self)
        self.copy_button.setToolTip("Copy the command to the clipboard")
        self.copy_button.clicked.connect(self.copy_command)
        command_row = QHBoxLayout()
        command_row.addWidget(self.command_edit, 1)
        command_row.addWidget(self.copy_button)
        # A box layout, not a form: QFormLayout cuts word-wrapped rows short.
        box = QVBoxLayout(self)
        box.addWidget(self.enable_check)
        box.addLayout(shortcut_row)
        box.addWidget(self.mechanism_label)
        box.addWidget(self.problem_label)
        box.addWidget(self.command_label)
        box.addLayout(command_row)
        self._show_mechanism(mechanism)
        self.enable_check.toggled.connect(self._on_toggled)
        self._on_toggled(enabled)

    def _label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _show_mechanism(self, mechanism: str | None) -> None:
        for widget in (self.command_label, self.command_edit, self.copy_button):
            widget.setVisible(not self._available)
        if mechanism:
            self.mechanism_label.setText(f"Listening with: {mechanism}.")
            self.problem_label.setStyleSheet("color: #c62828;")  # it should work, and does not
        elif mechanism == "":
            self.mechanism_label.setText("Writer Desktop cannot listen for a shortcut here.")
            self.enable_check.setEnabled(False)
            self.enable_check.setToolTip("Bind the command below in your desktop's settings.")
        self.mechanism_label.setVisible(mechanism is not None)
        self._show_problem()

    def _show_default(self) -> None:
        # QKeySequenceEdit has no placeholder API: its line edit shows one when empty, and
        # clear() resets it to "Press shortcut", so it is set again after every change.
        line = self.recorder.findChild(QLineEdit)
        if line is not None and self.recorder.keySequence().isEmpty():
            line.setPlaceholderText(self._placeholder)

    def _show_problem(self) -> None:
        """What is wrong, if anything: a combination the app's own window uses (it would open
        the quick prompt instead), else the problem the listener reported."""
        shown = self.recorder.keySequence().toString(PORTABLE)
        use = self._taken.get(shown)
        if use:
            native = self.recorder.keySequence().toString(NATIVE)
            self.problem_label.setText(
                f"{native} is also Writer Desktop's own shortcut for {use}; as the global "
                "shortcut it would open the quick prompt instead."
            )
        else:
            self.problem_label.setText(self._problem)
        self.problem_label.setVisible(bool(self.problem_label.text()))
        if self.isVisible():
            self.grew.emit()  # the dialog makes room for the lines it now has

    def _on_toggled(self, enabled: bool) -> None:
        self.recorder.setEnabled(enabled and self._available)

    def copy_command(self) -> None:
        QApplication.clipboard().setText(QUICK_COMMAND)
        self.copy_button.setText("Copied")

    @property
    def enabled(self) -> bool:
        return self.enable_check.isChecked()

    def sequence(self) -> str:
        """The recorded shortcut as portable text ("" for the default); HotkeyError if unusable."""
        recorded = self.recorder.keySequence()
        if recorded.isEmpty():
            return ""
        parse_sequence(recorded)  # raises HotkeyError with a sentence for the user
        return recorded.toString(PORTABLE)
