"""First run without a key: ask for one, check it with Writer, keep it in the keyring.

:class:`KeyDialog` only shows and reports; :func:`ask_for_key` runs the checks (``list_models``,
``KeyStore.store_async``) and tells the dialog what happened. When Writer cannot be reached (or
answers with anything but a rejection) the dialog offers "Save without checking": a first start
offline still gets into the app, and a wrong key is caught at the first question (with an
"Update key" link). When the keyring fails it offers "Use for this session only".
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from writer_desktop.core.api import WriterClient
from writer_desktop.core.api_key import key_problem
from writer_desktop.core.errors import AuthError, SecretsError, WriterError
from writer_desktop.core.secrets import KeyStore

INTRO = (
    "<p>Writer Desktop needs a Writer API key.</p>"
    "<p>Create one in <b>Writer AI Studio</b>, on the <b>API keys</b> page, and paste it here. "
    "It is kept in your system keyring (without one, for this session only), never in a file."
    "</p>"
)


class KeyDialog(QDialog):
    """Emits ``key_submitted(key)``, ``unchecked_requested(key)`` and
    ``session_only_requested(key)``; shows what it is told. ``quits``: its Cancel button
    quits the app (the first start, with no key), and says Quit."""

    key_submitted = Signal(str)
    unchecked_requested = Signal(str)
    session_only_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, quits: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Writer API key")
        self.setModal(True)
        intro = QLabel(INTRO, self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.key_edit = QLineEdit(self)
        self.key_edit.setObjectName("keyEdit")
        self.key_edit.setAccessibleName("API key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste your API key")
        self.status = QLabel("", self)
        self.status.setObjectName("keyStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Key status")
        self.buttons = QDialogButtonBox(self)
        self.continue_button = self.buttons.addButton(
            "&Continue", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.unchecked_button: QPushButton = self.buttons.addButton(
            "Save &without checking", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.session_button: QPushButton = self.buttons.addButton(
            "Use for this &session only", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.continue_button.setDefault(True)  # Enter in the key field presses it
        self.unchecked_button.hide()
        self.session_button.hide()
        self.buttons.addButton(
            "&Quit" if quits else "Cancel", QDialogButtonBox.ButtonRole.RejectRole
        )
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.key_edit)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        # At the first start Cancel is Quit: Esc with a key typed asked nothing and quit.
        self._quits = quits
        self._checked = ""  # the key that passed the check but could not be kept
        self._unchecked = ""  # the key that could not be checked
        self.key_edit.textEdited.connect(self._on_edited)
        self.continue_button.clicked.connect(self._on_continue)
        self.session_button.clicked.connect(self._on_session_only)
        self.unchecked_button.clicked.connect(self._on_unchecked)
        self.buttons.rejected.connect(self.reject)
        self.setMinimumWidth(460)
        self.key_edit.setFocus()

    def accept(self) -> None:
        """Closing happens through :meth:`done_with`, once the key was checked."""

    def reject(self) -> None:
        """Cancel, Quit or Esc. Where that quits the app with a key typed, ask first."""
        if self._quits and self.key_edit.text().strip():
            answer = QMessageBox.question(
                self, "Quit Writer Desktop?", "Quit without the key you typed? It is not saved.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )  # fmt: skip
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().reject()

    def abandon(self) -> None:
        """Closed without a question: the window it belongs to is gone."""
        super().reject()

    def done_with(self) -> None:
        super().accept()

    def set_checking(self, checking: bool) -> None:
        self.continue_button.setEnabled(not checking)
        self.key_edit.setEnabled(not checking)
        if checking:
            self.unchecked_button.hide()
            self.session_button.hide()
            self.show_status("Checking the key with Writer…")
        else:  # disabling the field moved the focus on (to Quit): typing and Enter go back there
            self.key_edit.setFocus()
            self.key_edit.selectAll()

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def offer_unchecked(self, reason: str, key: str) -> None:
        """Writer could not check ``key`` (offline, or failing): offer to keep it as it is."""
        self._unchecked = key
        self.show_status(
            f"{reason} You can try again, or save the key without checking it; if Writer "
            "rejects it, you will be asked for it again when you send a message."
        )
        self.unchecked_button.show()

    def offer_session_only(self, reason: str, key: str, *, checked: bool = True) -> None:
        """``key`` (``checked`` with Writer, or not) could not be kept: offer it (and only it)
        for this session."""
        self._checked = key
        self.unchecked_button.hide()
        works = "The key works, but it" if checked else "The key"
        self.show_status(
            f"{reason} {works} could not be saved. You can use it for this session only."
        )
        self.session_button.show()
        self.session_button.setFocus()

    def _on_edited(self, text: str) -> None:
        # another key than the one offered: it must be checked first (Continue)
        offers = ((self.session_button, self._checked), (self.unchecked_button, self._unchecked))
        for button, offered in offers:
            if button.isVisible() and text.strip() != offered:
                button.hide()
                self.show_status("")
        told = self.status.text()
        if text.strip() and told.startswith(PASTE_FIRST):  # it is being done: no longer asked
            self.show_status(told[len(PASTE_FIRST) :].strip())

    def _on_continue(self) -> None:
        key = self.key_edit.text().strip()
        if not key:  # Enter on the empty field did nothing, and said nothing
            told = self.status.text()
            ask = PASTE_FIRST
            self.show_status(told if told.startswith(ask) else f"{ask} {told}".strip())
            self.key_edit.setFocus()
        elif problem := key_problem(key):  # nothing to ask Writer: say what is wrong
            self.show_status(problem)
            self.key_edit.setFocus()
        elif self.continue_button.isEnabled():
            self.key_submitted.emit(key)

    def _on_session_only(self) -> None:
        if self._checked:
            self.session_only_requested.emit(self._checked)

    def _on_unchecked(self) -> None:
        if self._unchecked:
            self.unchecked_button.hide()
            self.unchecked_requested.emit(self._unchecked)


PASTE_FIRST = "Paste your API key in the field first."
CHECK_SECONDS = 20.0  # a key check waits this long for Writer, retries included


async def ask_for_key(dialog: KeyDialog, keys: KeyStore, client: WriterClient) -> str | None:
    """Show ``dialog`` until a key is checked and kept; the key, or None if the user quit."""
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[str | None] = loop.create_future()
    checking: set[asyncio.Task[None]] = set()

    def finish(result: str | None) -> None:
        if not finished.done():
            finished.set_result(result)

    async def check(key: str) -> None:
        try:  # the key in use stays until this one works
            await asyncio.wait_for(client.with_key(key).list_models(), CHECK_SECONDS)
        except AuthError:
            dialog.show_status("Writer rejected this key. Check it and try again.")
            return
        except WriterError as exc:  # offline, a timeout, Writer failing: not the key's fault
            dialog.offer_unchecked(exc.user_message, key)
            return
        except TimeoutError:  # a server that never answers took 3 × 90 s, the dialog stuck
            told = f"Writer did not answer within {CHECK_SECONDS:g} seconds."
            dialog.offer_unchecked(told, key)
            return
        finally:
            dialog.set_checking(False)
        await keep(key, checked=True)

    async def keep(key: str, *, checked: bool) -> None:
        if keys.environment_key:  # it would override the keyring at every start anyway
            keys.use_for_session(key)
            finish(key)
            return
        try:
            await keys.store_async(key)
        except SecretsError as exc:
            dialog.offer_session_only(exc.user_message, key, checked=checked)
            return
        finish(key)

    def start(work: Coroutine[Any, Any, None]) -> None:
        task = loop.create_task(work)
        checking.add(task)
        task.add_done_callback(checking.discard)

    def on_submitted(key: str) -> None:
        dialog.set_checking(True)  # at once: a second Enter must not start a second check
        start(check(key))

    def on_session_only(key: str) -> None:
        try:
            keys.use_for_session(key)
        except SecretsError as exc:
            dialog.show_status(exc.user_message)
            return
        finish(key)

    dialog.key_submitted.connect(on_submitted)
    dialog.unchecked_requested.connect(lambda key: start(keep(key, checked=False)))
    dialog.session_only_requested.connect(on_session_only)
    dialog.rejected.connect(lambda: finish(None))
    dialog.show()
    try:
        result = await finished
    finally:
        for task in checking:
            task.cancel()
        await asyncio.gather(*checking, return_exceptions=True)
    if result is not None:
        dialog.done_with()
    return result
