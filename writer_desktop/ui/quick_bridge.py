"""Connects the quick prompt to the controller and the main window.

A quick exchange is a conversation of its own (``Controller.quick_send``), saved and listed like
any other; the prompt follows that conversation's reply and can hand it to the main window.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from writer_desktop.core.drafts import QUICK
from writer_desktop.core.models import Message, Role, Status

from .controller import Controller
from .draft_keeper import DraftKeeper
from .main_window import MainWindow
from .quick_prompt import QuickPrompt

log = logging.getLogger(__name__)


class QuickBridge(QObject):
    def __init__(
        self,
        controller: Controller,
        prompt: QuickPrompt,
        window: MainWindow,
        drafts: DraftKeeper | None = None,
    ) -> None:
        super().__init__(window)
        self.controller = controller
        self.prompt = prompt
        self.window = window
        self._drafts = drafts  # what is typed and not sent survives a crash, as in the window
        self._conv: str | None = None
        self._adopting = False
        self._shown = False  # the prompt has been shown since the app started
        self._sent: str | None = None  # the last text sent (the box still shows it)
        if drafts is not None:
            drafts.follow(QUICK, prompt.editor.toPlainText, prompt.editor.textChanged)
        prompt.set_text_scale(controller.settings.text_scale)
        controller.settings_changed.connect(lambda s: prompt.set_text_scale(s.text_scale))
        prompt.submitted.connect(self._submit)
        prompt.stop_requested.connect(self._stop)
        prompt.open_in_main_requested.connect(self._open_in_main)
        prompt.retry_requested.connect(self._retry)
        prompt.continue_requested.connect(self._continue)
        prompt.fix_requested.connect(self._fix)
        controller.message_added.connect(self._on_added)
        controller.message_changed.connect(self._on_changed)
        controller.reply_delta.connect(prompt.append_delta)
        controller.busy_changed.connect(self._on_busy)

    def show(self, prefill: str = "") -> None:
        """The hotkey, the tray or ``writer-desktop quick`` asked for the quick prompt."""
        # Text kept from before this start (a crash) comes back at the first showing only: from
        # then on the box itself is what was typed, and the kept copy lags it by up to a second
        # (a text just deleted came back).
        first, self._shown = not self._shown, True
        kept = self._drafts.kept(QUICK) if self._drafts is not None and first else ""
        box = self.prompt.editor.text()
        if kept.strip() and not box.strip():
            self.prompt.editor.setPlainText(kept)
            self.prompt.show_prompt()
            if prefill:
                self.prompt.show_prompt(prefill)  # below it: neither is lost
        else:  # text typed and not sent is kept above a new one; a question sent is replaced
            self.prompt.show_prompt(prefill, keep_text=box != self._sent)
        log.info("quick prompt shown")

    def _submit(self, text: str) -> None:
        self._adopting = True  # the conversation's messages are announced before its id returns
        try:
            conv_id = self.controller.quick_send(text)
        finally:
            self._adopting = False
        if conv_id is not None:
            self._conv = conv_id
            self._sent = text
            if self._drafts is not None:
                self._drafts.forget(QUICK)  # sent: nothing left to keep

    def _on_added(self, conv_id: str, message: Message) -> None:
        if self._adopting and message.role is Role.USER:
            self._conv = conv_id
        if conv_id == self._conv and message.role is Role.ASSISTANT:
            self.prompt.start_reply(conv_id, message.id)

    def _on_changed(self, conv_id: str, message: Message) -> None:
        if conv_id != self._conv or message.role is not Role.ASSISTANT:
            return
        if message.status is Status.STREAMING:  # a retry streams into the same message again
            self.prompt.start_reply(conv_id, message.id)
        else:
            self.prompt.finish_reply(conv_id, message)

    def _on_busy(self, conv_id: str, busy: bool) -> None:
        if conv_id == self._conv:
            self.prompt.set_busy(busy)

    def _stop(self) -> None:
        if self._conv is not None:
            self.controller.stop(self._conv)

    def _retry(self, message_id: str) -> None:
        if self._conv is not None:
            self.controller.retry(message_id, self._conv)

    def _continue(self, message_id: str) -> None:
        if self._conv is not None:
            self.controller.continue_reply(message_id, self._conv)

    def _fix(self, action: str, message_id: str) -> None:
        """A failed quick reply's fix happens in the main window: a new key, another model."""
        if action == "update-key" and self._conv is not None:
            self._open_in_main(self._conv)  # where the reply is sent again with the new key
            self.window.key_replacement_requested.emit(message_id)
        elif action == "choose-model" and self._conv is not None:
            self._open_in_main(self._conv)
            self.window.composer.choose_model()

    def _open_in_main(self, conv_id: str) -> None:
        self.prompt.hide()
        self.window.bring_to_front()
        self.controller.open_conversation(conv_id)
