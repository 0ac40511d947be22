"""Where the user writes: a multi-line editor, Send/Stop, and the model picker.

Enter sends, Shift+Enter adds a line, Esc stops a streaming reply, Up in the empty box edits your
last message. The text stays until the controller accepts the send (:meth:`Composer.clear_text`),
so a refused send loses nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .conversation_options import ConversationOptions
from .focus_ring import FocusRing
from .text_scale import scaled

if TYPE_CHECKING:
    from PySide6.QtCore import QMimeData

IMAGES_REFUSED = "Images cannot be sent: Writer's chat takes text only."
EDITOR_HEIGHT = 96  # px at 100 %: four lines or so, then it scrolls


class PromptEdit(QPlainTextEdit):
    """The text box; reports Enter and Esc instead of handling them, and Up when it is empty."""

    enter_pressed = Signal()
    escape_pressed = Signal()
    up_when_empty = Signal()
    page_requested = Signal(int)  # PageUp −1 / PageDown +1 while the text fits: the chat's
    refused = Signal(str)  # why something pasted or dropped was not put in

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Fusion frames a focused line edit in the highlight colour, not a text box: the prompt
        # showed it had the keyboard only by its caret.
        self.focus_ring = FocusRing(self)

    def text(self) -> str:
        """What is written, exactly: ``toPlainText()`` turns no-break spaces into spaces."""
        raw = self.document().toRawText()
        return raw.replace("\u2029", "\n").replace("\u2028", "\n")

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        # An image or rich text without a plain version was refused in silence: take it, to say
        # why (an image) or to put in its text (HTML).
        return source.hasText() or source.hasHtml() or source.hasImage()

    def insertFromMimeData(self, source: QMimeData) -> None:
        """Text as plain text; HTML alone as its text; an image refused, with the reason."""
        if source.hasText():
            super().insertFromMimeData(source)
        elif source.hasHtml():
            from PySide6.QtGui import QTextDocumentFragment  # fetches no images or style sheets

            text = QTextDocumentFragment.fromHtml(source.html()).toPlainText()
            words = text.replace("\ufffc", "")  # U+FFFC: where an image was
            if words.strip():
                self.insertPlainText(words)
            elif words != text or source.hasImage():  # nothing but an image: keep the text
                self.refused.emit(IMAGES_REFUSED)
        elif source.hasImage():
            self.refused.emit(IMAGES_REFUSED)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        plain_enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if plain_enter:
            self.enter_pressed.emit()
            return
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        if key == Qt.Key.Key_Up and not event.modifiers() and self.document().isEmpty():
            self.up_when_empty.emit()
            return
        paging = key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown) and not event.modifiers()
        if paging and self.verticalScrollBar().maximum() == 0:  # nothing to page through here
            self.page_requested.emit(-1 if key == Qt.Key.Key_PageUp else 1)
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """Emits ``submitted(text)``, ``stop_requested()``, ``model_chosen(model id)``,
    ``edit_last_requested()`` (Up in the empty box, as in a terminal) and ``notice(text)``.
    Enter while a reply streams does not send (it would cut the reply off): Esc stops it."""

    submitted = Signal(str)
    notice = Signal(str)  # something to tell in the status bar
    stop_requested = Signal()
    model_chosen = Signal(str)
    edit_last_requested = Signal()
    page_requested = Signal(int)  # PageUp / PageDown in a prompt that fits: scroll the chat

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy = False
        self._scale = 100
        self.editor = PromptEdit(self)
        self.editor.setObjectName("promptEdit")
        self.editor.setAccessibleName("Message")
        self.editor.setPlaceholderText("Message Writer…")
        self.editor.setTabChangesFocus(True)
        self.editor.setMaximumHeight(EDITOR_HEIGHT)
        self.button = QPushButton("Send", self)
        self.button.setObjectName("sendButton")
        self.button.setAccessibleName("Send")
        self.button.setToolTip("Send (Enter)")
        self.models = QComboBox(self)
        self.models.setObjectName("modelPicker")
        self.models.setAccessibleName("Model")
        self.models.setToolTip("Model for this conversation")
        # As wide as the longest name, whenever the list changes (not only as it was when first
        # shown, empty at start-up): "palmyra-creative" showed as "palmyra-cre".
        self.models.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        label = QLabel("&Model:", self)
        label.setBuddy(self.models)
        self.options = ConversationOptions(self)
        self.options.hide()
        self.options_button = QToolButton(self)
        self.options_button.setObjectName("optionsButton")
        self.options_button.setText("&Options")
        self.options_button.setAccessibleName("Conversation options")
        self.options_button.setToolTip("System prompt, temperature and reply length")
        self.options_button.setCheckable(True)

        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.models)
        row.addWidget(self.options_button)
        row.addStretch(1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 6)
        layout.addWidget(self.options)
        layout.addWidget(self.editor)
        layout.addLayout(row)
        self.options_button.toggled.connect(self.options.setVisible)
        self.editor.refused.connect(self.notice)
        # Opened by the user (a click, Alt+O), the panel takes the focus; closed, the prompt.
        self.options_button.clicked.connect(self._on_options_clicked)
        self.options.escape_pressed.connect(self.options_button.click)  # closed, to the prompt
        # Tab goes from the prompt along the row as shown: model, options, then into the panel
        # the button opened (skipped while it is closed), then Send.
        options = self.options
        chain = [self.editor, self.models, self.options_button, options.system_prompt,
                 options.temperature, options.max_tokens, self.button]  # fmt: skip
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

        self.editor.enter_pressed.connect(self._on_enter)
        self.editor.escape_pressed.connect(self.stop_if_busy)
        self.editor.up_when_empty.connect(self.edit_last_requested)
        self.editor.page_requested.connect(self.page_requested)
        self.button.clicked.connect(self._on_button)
        self.models.activated.connect(self._on_model)

    # -- controller → composer ----------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """While a reply streams the button is Stop (Esc also stops)."""
        self._busy = busy
        self.button.setText("Stop" if busy else "Send")
        self.button.setAccessibleName(self.button.text())
        self.button.setToolTip("Stop the reply (Esc)" if busy else "Send (Enter)")

    @property
    def busy(self) -> bool:
        return self._busy

    def clear_text(self) -> None:
        self.editor.clear()

    def text(self) -> str:
        return self.editor.text()

    def set_text_scale(self, scale: int) -> None:
        """The chat's text size (Settings, Ctrl+= and Ctrl+-), in percent, for what is typed
        too: at 300 % the conversation was large and the prompt still at 100 %."""
        if scale == self._scale:
            return
        self._scale = scale
        self.editor.setFont(scaled(self.font(), scale))
        self.editor.setMaximumHeight(round(EDITOR_HEIGHT * max(100, scale) / 100))

    def set_text(self, text: str) -> None:
        """Replace what is written (a conversation's draft), the cursor at its end."""
        if text != self.editor.text():
            self.editor.setPlainText(text)
            self.editor.moveCursor(QTextCursor.MoveOperation.End)

    def set_models(self, models: Sequence[str], current: str) -> None:
        self.models.blockSignals(True)
        try:
            self.models.clear()
            self.models.addItems(list(models))
            index = self.models.findText(current)
            if index >= 0:
                self.models.setCurrentIndex(index)
        finally:
            self.models.blockSignals(False)
        # Never narrower than the longest name: in a narrow window the row showed "palmyra"
        # for every model; the sidebar gives way instead, and Send, down to its words. (Set
        # here, after the first paint: QSizePolicy's enums cost ~1 ms to build.)
        self.models.setMinimumWidth(self.models.sizeHint().width())
        if self.button.minimumWidth() == 0:
            from PySide6.QtWidgets import QSizePolicy

            self.button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            metrics = self.button.fontMetrics()
            words = max(metrics.horizontalAdvance(w) for w in ("Send", "Stop"))
            self.button.setMinimumWidth(words + 4 * metrics.averageCharWidth())

    def choose_model(self, _message_id: str = "") -> None:
        """Open the model picker (offered when Writer did not know the model)."""
        self.models.setFocus(Qt.FocusReason.OtherFocusReason)
        self.models.showPopup()

    def _on_options_clicked(self, shown: bool) -> None:
        if shown:
            self.options.system_prompt.setFocus(Qt.FocusReason.TabFocusReason)
        else:
            self.focus_editor()

    def focus_editor(self) -> None:
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- user actions -------------------------------------------------------------------------

    def _on_enter(self) -> None:
        text = self.editor.text()
        if text.strip() and self._busy:  # sending would cut the reply off: say so, keep the text
            self.notice.emit(
                "Writer is still answering. Send when it is done, or press Esc to stop it first."
            )
        elif text.strip():
            self.options.flush()  # a system prompt typed just now applies to this message
            self.submitted.emit(text)

    def stop_if_busy(self) -> None:
        """Esc: stop the reply streaming here, if one is."""
        if self._busy:
            self.stop_requested.emit()

    def _on_button(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._on_enter()

    def _on_model(self, index: int) -> None:
        model = self.models.itemText(index)
        if model:
            self.model_chosen.emit(model)


def model_choices(models: Sequence[str], current: str) -> list[str]:
    """The picker's entries: the known models, plus the conversation's own if it is missing."""
    return [*models, current] if current and current not in models else list(models)
