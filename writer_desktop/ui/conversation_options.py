"""Per-conversation options: the system prompt, temperature and reply length.

A collapsible panel above the composer. Edits are reported after a short pause in typing
(``system_prompt_changed``) or at once for the numbers (``params_changed``); showing another
conversation (:meth:`show_options`) never reports anything.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from writer_desktop.core.models import Params

TYPING_PAUSE_MS = 600


class ConversationOptions(QWidget):
    system_prompt_changed = Signal(str)
    params_changed = Signal(float, int)  # temperature, max tokens
    escape_pressed = Signal()  # in any of its fields: the panel is done with

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationOptions")
        self.system_prompt = QPlainTextEdit(self)
        self.system_prompt.setObjectName("systemPrompt")
        self.system_prompt.setAccessibleName("System prompt")
        self.system_prompt.setPlaceholderText(
            "Optional instructions for this conversation, e.g. “Answer in French.”"
        )
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setMaximumHeight(64)
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setAccessibleName("Temperature")
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setToolTip("Lower is more focused, higher more varied (0–2).")
        self.max_tokens = QSpinBox(self)
        self.max_tokens.setAccessibleName("Maximum reply length in tokens")
        self.max_tokens.setRange(1, 8192)
        self.max_tokens.setSingleStep(256)
        self.max_tokens.setToolTip(
            "Longest reply, in tokens (8,192 on Palmyra X5, 4,096 on others)."
        )
        for spin in (self.temperature, self.max_tokens):
            spin.setMaximumWidth(96)
        numbers = QHBoxLayout()
        numbers.addWidget(self.temperature)
        numbers.addSpacing(16)
        tokens_label = QLabel("Max re&ply tokens:", self)
        tokens_label.setBuddy(self.max_tokens)
        numbers.addWidget(tokens_label)
        numbers.addWidget(self.max_tokens)
        numbers.addStretch(1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 6)
        form.addRow("S&ystem prompt:", self.system_prompt)
        temperature_label = QLabel("&Temperature:", self)
        temperature_label.setBuddy(self.temperature)
        form.addRow(temperature_label, numbers)
        self._pause = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._pause.timeout.connect(self._report_prompt)
        self._loading = False
        self.system_prompt.textChanged.connect(self._on_prompt_edited)
        self.temperature.valueChanged.connect(self._report_params)
        self.max_tokens.valueChanged.connect(self._report_params)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc from its fields (they leave it to the panel) closes it, as for the dialogs."""
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)

    def show_options(self, system_prompt: str, params: Params) -> None:
        """Show a conversation's options without reporting them as edits."""
        self._pause.stop()
        self._loading = True
        try:
            if self.system_prompt.toPlainText() != system_prompt:
                self.system_prompt.setPlainText(system_prompt)
            self.temperature.setValue(params.temperature)
            self.max_tokens.setValue(params.max_tokens)
        finally:
            self._loading = False

    def show_prompt(self, system_prompt: str) -> None:
        """Show the system prompt as it was kept (the API key taken out), if it differs."""
        if self.system_prompt.toPlainText() != system_prompt:
            self._loading = True
            try:
                self.system_prompt.setPlainText(system_prompt)
            finally:
                self._loading = False

    def flush(self) -> None:
        """Report a prompt still waiting for the typing pause (before sending or switching)."""
        if self._pause.isActive():
            self._pause.stop()
            self._report_prompt()

    def _on_prompt_edited(self) -> None:
        if not self._loading:
            self._pause.start()

    def _report_prompt(self) -> None:
        self.system_prompt_changed.emit(self.system_prompt.toPlainText())

    def _report_params(self) -> None:
        if not self._loading:
            self.params_changed.emit(self.temperature.value(), self.max_tokens.value())
