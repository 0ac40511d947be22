"""Asking for a new API key after start-up: one dialog at a time, and nothing asked twice.

Settings ▸ Replace key, "Update key" on a reply Writer refused, a message sent after the key was
removed, and a saved key Writer rejects at start all come here. While the dialog is open, further
requests join it; once a key is in use, every reply that failed for want of one is sent again,
so no question has to be typed twice. Cancel keeps the key in use (if any).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt

from writer_desktop.core.api import WriterClient
from writer_desktop.core.logs import Redactor
from writer_desktop.core.secrets import KeyStore

from .main_window import MainWindow

ENV_NOTE = (
    "WRITER_API_KEY is set, and it is used at every start: a key given here is used until "
    "Writer Desktop quits, and not saved."
)


class KeyRequests(QObject):
    """Opens the key dialog for ``window`` when asked; see the module docstring."""

    def __init__(
        self, window: MainWindow, keys: KeyStore, client: WriterClient, redactor: Redactor
    ) -> None:
        super().__init__(window)
        self._window = window
        self._keys = keys
        self._client = client
        self._redactor = redactor
        self._failed: list[tuple[str, str]] = []  # (conversation id, reply id) to send again
        self._asking = False

    def request(self, conv_id: str = "", reply_id: str = "", reason: str = "") -> None:
        """Ask for a key (``reason`` says why); then send ``reply_id`` again, if given."""
        if reply_id:
            self._send_again(conv_id, reply_id)
        if not self._asking:
            self._asking = True
            self._window.controller.spawn(self._ask(reason))

    def refused(self, conv_id: str, reply_id: str) -> None:
        """Writer refused the key for ``reply_id``: if a new key is being asked for (the saved
        one was rejected at start, say, and a message typed meanwhile failed with it), send it
        again with the new key. Otherwise its "Update key" link is the way."""
        if self._asking:
            self._send_again(conv_id, reply_id)

    def _send_again(self, conv_id: str, reply_id: str) -> None:
        if (conv_id, reply_id) not in self._failed:
            self._failed.append((conv_id, reply_id))

    async def _ask(self, reason: str) -> None:
        from .key_dialog import KeyDialog, ask_for_key

        try:
            dialog = KeyDialog(self._window, quits=False)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            if self._keys.environment_key:
                reason = f"{reason} {ENV_NOTE}".strip()
            if reason:
                dialog.show_status(reason)
            key = await ask_for_key(dialog, self._keys, self._client)
        finally:
            self._asking = False
        failed, self._failed = self._failed, []
        if key is None:
            return
        self._redactor.add(key)
        controller = self._window.controller
        controller.use_key(key, self._keys.describe(key))
        self._window.show_notice("The new API key is in use.")
        for conv_id, reply_id in failed:
            controller.retry(reply_id, conv_id or None)
