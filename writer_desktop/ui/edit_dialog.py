"""Editing one of your messages: the text box behaves as the prompt does.

Enter resends, Shift+Enter adds a line, Esc cancels (the next Edit of the message brings the
cancelled text back, while the app runs). Resend is off while the box is blank (there is nothing
to resend), and the text is sent without trailing blank lines and spaces.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from .composer import PromptEdit


class EditDialog(QDialog):
    """Emits ``resend(text)`` when the user resends (the text trimmed at its end)."""

    resend = Signal(str)

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit message")
        label = QLabel(
            "Edit your message. The earlier version and its replies are kept.\n"
            "Enter resends, Shift+Enter starts a new line.",
            self,
        )
        self.editor = PromptEdit(self)
        self.editor.setObjectName("editMessage")
        self.editor.setAccessibleName("Edited message")
        self.editor.setPlainText(text)
        self.editor.moveCursor(self.editor.textCursor().MoveOperation.End)
        label.setBuddy(self.editor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.resend_button = QPushButton("&Resend", self)
        self.resend_button.setDefault(True)
        buttons.addButton(self.resend_button, QDialogButtonBox.ButtonRole.AcceptRole)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.editor, 1)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.editor.enter_pressed.connect(self.accept)
        self.editor.escape_pressed.connect(self.reject)
        self.editor.textChanged.connect(self._update)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        self.resize(560, 320)
        self._update()

    def text(self) -> str:
        return self.editor.text().rstrip()

    def accept(self) -> None:
        if not self.text().strip():  # Enter in a blank box: nothing to resend, stay open
            return
        super().accept()
        self.resend.emit(self.text())

    def _update(self) -> None:
        self.resend_button.setEnabled(bool(self.text().strip()))
