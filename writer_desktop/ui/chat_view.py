"""The messages of the open conversation, in one read-only QTextBrowser.

Each message lives in its own QTextFrame. A streaming reply only ever re-renders its own frame, at
most ~30 times a second (a QTimer coalesces deltas), so streaming stays linear in the reply's
length whatever the length of the conversation. Nothing is fetched: ``loadResource`` answers
nothing for every address, and links open only after the user confirms (http, https, mailto).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QTextCursor, QTextFrame, QTextFrameFormat
from PySide6.QtWidgets import QMessageBox, QTextBrowser, QWidget

from writer_desktop.core.models import Conversation, Message, Status

from .render import ACTION_SCHEME, SAFE_SCHEMES, background, make_markdown, message_html

FLUSH_MS = 33  # ≈ 30 renders per second at most


class ChatView(QTextBrowser):
    """Shows one conversation; emits the message id for a Retry or Continue link."""

    retry_requested = Signal(str)
    continue_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setAccessibleName("Conversation")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setPlaceholderText("Ask Writer anything. Enter sends, Shift+Enter adds a line.")
        self.anchorClicked.connect(self._on_anchor)
        self._md = make_markdown()
        self._conv_id: str | None = None
        self._messages: dict[str, Message] = {}
        self._parts: dict[str, list[str]] = {}
        self._frames: dict[str, QTextFrame] = {}
        self._dirty: set[str] = set()
        self._retry: tuple[str, float, str] | None = None  # message id, deadline, reason
        self._flush_timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self._tick)
        # Replaceable for tests; the defaults ask the user and hand the address to the desktop.
        self.confirm_open: Callable[[QUrl], bool] = self._ask_to_open
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.refuse: Callable[[str], object] = lambda text: QMessageBox.warning(
            self, "Link not opened", text
        )

    # -- safety -------------------------------------------------------------------------------

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        """Never load anything (images, style sheets): a reply must not reach the network."""
        return None

    def _on_anchor(self, url: QUrl) -> None:
        scheme = url.scheme().lower()
        if scheme == ACTION_SCHEME:
            action, _, message_id = url.path().partition("/")
            if message_id in self._messages:
                signal = {"retry": self.retry_requested, "continue": self.continue_requested}
                if action in signal:
                    signal[action].emit(message_id)
            return
        if scheme not in SAFE_SCHEMES:
            shown = url.toString() or "(empty)"
            self.refuse(f"Writer Desktop does not open “{scheme or 'relative'}” links:\n{shown}")
            return
        if self.confirm_open(url):
            self.open_url(url)

    def _ask_to_open(self, url: QUrl) -> bool:
        answer = QMessageBox.question(
            self,
            "Open link?",
            f"Open this address in your browser?\n\n{url.toString()}",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Open

    # -- showing messages ---------------------------------------------------------------------

    @property
    def conversation_id(self) -> str | None:
        return self._conv_id

    def show_conversation(self, conv: Conversation) -> None:
        self._flush_timer.stop()
        self._clear_retry()
        self.clear()
        self._conv_id = conv.id
        self._messages, self._parts, self._frames, self._dirty = {}, {}, {}, set()
        for message in conv.messages:
            self._append(message)
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def add_message(self, conv_id: str, message: Message) -> None:
        if conv_id != self._conv_id:
            return
        following = self._at_bottom()
        self._append(message)
        if following or message.status is Status.STREAMING:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def update_message(self, conv_id: str, message: Message) -> None:
        """A message changed state (finished, stopped, retried): show it as it now is."""
        if conv_id != self._conv_id or message.id not in self._messages:
            return
        if self._retry and self._retry[0] == message.id:
            self._clear_retry()
        self._messages[message.id] = message
        self._parts[message.id] = [message.content]
        self._dirty.add(message.id)
        self._flush()

    def append_delta(self, conv_id: str, message_id: str, text: str) -> None:
        if conv_id != self._conv_id or message_id not in self._parts:
            return
        if self._retry and self._retry[0] == message_id:
            self._clear_retry()
        self._parts[message_id].append(text)
        self._dirty.add(message_id)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def show_retry(self, conv_id: str, seconds: float, reason: str) -> None:
        """A retry is scheduled for the streaming reply: count down to it, second by second."""
        streaming = [m for m in self._messages.values() if m.status is Status.STREAMING]
        if conv_id != self._conv_id or not streaming:
            return
        self._retry = (streaming[-1].id, time.monotonic() + seconds, reason)
        self._countdown.start()
        self._tick()

    def message_text(self, message_id: str) -> str:
        """The text shown so far for a message (pending deltas included)."""
        return "".join(self._parts.get(message_id, []))

    # -- internals ----------------------------------------------------------------------------

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _retry_text(self, message_id: str) -> str | None:
        if self._retry is None or self._retry[0] != message_id:
            return None
        _, deadline, reason = self._retry
        seconds = max(0, round(deadline - time.monotonic()))
        return f"Retrying in {seconds} s — {reason}"

    def _tick(self) -> None:
        if self._retry is None:
            self._countdown.stop()
            return
        self._dirty.add(self._retry[0])
        self._flush()

    def _clear_retry(self) -> None:
        if self._retry is not None:
            self._dirty.add(self._retry[0])
        self._retry = None
        self._countdown.stop()

    def _html(self, message: Message) -> str:
        return message_html(self._md, message, self._retry_text(message.id))

    def _append(self, message: Message) -> None:
        self._messages[message.id] = message
        self._parts[message.id] = [message.content]
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        fmt = QTextFrameFormat()
        fmt.setBackground(QColor(background(message)))
        fmt.setBorder(1)
        fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        fmt.setBorderBrush(QColor("#d0d7de"))
        fmt.setPadding(8)
        fmt.setMargin(6)
        frame = cursor.insertFrame(fmt)
        self._frames[message.id] = frame
        cursor.insertHtml(self._html(message))

    def _flush(self) -> None:
        """Re-render the messages that changed since the last flush (usually just the tail)."""
        self._flush_timer.stop()
        following = self._at_bottom()
        for message_id in self._dirty:
            message = self._messages[message_id]
            parts = self._parts[message_id]
            message.content = "".join(parts)
            parts[:] = [message.content]
            frame = self._frames[message_id]
            cursor = frame.firstCursorPosition()
            cursor.setPosition(frame.lastPosition(), QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            cursor.insertHtml(self._html(message))
        self._dirty.clear()
        if following:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
