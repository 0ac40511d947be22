"""The messages of the open conversation, in one read-only QTextBrowser.

Each message lives in its own QTextFrame. Opening a conversation renders only its last screenfuls
(``chat_lazy``); the rest follows in chunks of a few milliseconds as the user scrolls, with what is
on screen kept in place. A streaming reply only re-renders its open tail, or appends plain text to
it (``chat_stream``), at most 12.5 times a second (a QTimer coalesces deltas), so streaming stays
linear. Colours follow the
palette (``chat_palette``), the text size ``set_text_scale``. Code blocks have Copy links, and the
context menu copies a message's Markdown or the selection; ``copied`` and ``notice`` tell about it.
Messages with versions have ‹ k/n › links in their header; Edit, Regenerate and Branch are in the
context menu and a toolbar over the hovered message (``message_toolbar``), outside the document.
Nothing is fetched: ``loadResource`` answers nothing for every address, and links open only after
the user confirms (http, https, mailto).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QMimeData, QPoint, QRect, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDesktopServices,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QResizeEvent,
    QTextCursor,
    QTextFrameFormat,
)
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QTextBrowser, QWidget

from writer_desktop.core.models import Conversation, Message, Role, Status

from .chat_document import frame_index_at, message_format, refill
from .chat_latest import MARGIN, LatestButton
from .chat_lazy import LazyWindow
from .chat_links import parse_action, refusal, refused
from .chat_palette import chat_palette
from .chat_repaint import RepaintLimiter
from .chat_retry import RetryCountdown
from .chat_scroll import QuietScrollBar
from .chat_stream import FLUSH_CHARS, StreamSplit, append_in_parts, render_in_parts
from .focus_ring import FocusRing
from .link_dialog import ask_to_open
from .message_actions import message_actions, toolbar_actions
from .message_frames import MAX_RENDERED
from .message_toolbar import MessageToolbar
from .plain_copy import plain_mime, plain_selection
from .render import (
    ACTION_SCHEME,
    background,
    code_blocks,
    header_label,
    make_markdown,
    message_html,
)
from .script_fonts import HAN, han_fallback, with_fallback
from .tab_stops import TabStops
from .text_scale import scaled

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

FLUSH_MS = 80
"""At most 12.5 renders a second while text arrives. A flush comes as soon as the loop is free
when the last one is that long ago (a paced reply arrives in rounds of about this length, see
``core.api._GATHER``), so each round is shown at once and text still looks live. Each render
(with its layout, scroll and paint) costs about the same whatever it brings, so the rate sets much
of the CPU a reply takes: from 25 to 20 a second, 11.5 → 9.5 % of a core at 1,000 tokens/s here;
from 20 to 12.5, 11.1 → 8.9 % (medians of four alternated pairs, docs/performance.md). Text
arriving in steps of 80 ms, a word or a line at a time, still reads as a continuous stream. Text
arriving faster than that is drawn every ``chat_stream.FLUSH_CHARS`` characters instead."""


class ChatView(QTextBrowser):
    """Shows one conversation; emits the message id for a Retry or Continue link."""

    retry_requested = Signal(str)
    continue_requested = Signal(str)
    update_key_requested = Signal(str)  # message id of the reply the key failed for
    choose_model_requested = Signal(str)
    edit_requested = Signal(str)  # message id of your message to edit and resend
    regenerate_requested = Signal(str)  # message id of the reply to write again
    branch_requested = Signal(str)  # message id: a new conversation up to it
    version_requested = Signal(str, int)  # message id, −1 (older) or +1 (newer)
    notice = Signal(str)  # a short status for the status bar, e.g. "Copied code"
    copied = Signal(str)  # the exact text just put on the clipboard
    escape_pressed = Signal()  # Esc while reading: stops a streaming reply, as in the composer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setVerticalScrollBar(QuietScrollBar(Qt.Orientation.Vertical, self))
        self.setAccessibleName("Conversation")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setPlaceholderText("Ask Writer anything. Enter sends, Shift+Enter adds a line.")
        self.document().setUndoRedoEnabled(False)
        self.anchorClicked.connect(self._on_anchor)
        self._palette = chat_palette(self.palette())
        self._md_cache: MarkdownIt | None = None  # made on the first render: see _md
        self._scale = 100
        self._han: str | None = None  # the fallback font for Han text, "" if none: _see_han
        self._tabs = TabStops(self.document())
        self._conv_id: str | None = None
        self._messages: dict[str, Message] = {}
        self._parts: dict[str, list[str]] = {}
        self._splits: dict[str, StreamSplit] = {}
        self._dirty: set[str] = set()
        self._retry = RetryCountdown(self, self._show_tick)
        self._lazy = LazyWindow(self, self._render_new, self._refresh, self._size, self._forget)
        self._window = self._lazy.window
        self._flush_timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flushed_at = 0.0  # time.monotonic() of the last flush
        self._pending = 0  # characters appended since the last flush
        self._flush_timer.timeout.connect(self._flush)
        self._repaint = RepaintLimiter(self)
        self.toolbar = MessageToolbar(self.viewport())
        self.toolbar.triggered.connect(lambda href: self._on_anchor(QUrl(href)))
        self.verticalScrollBar().valueChanged.connect(self._place_toolbar)
        self.latest = LatestButton(self, lambda: self.go_to_end(first=False))
        self.focus_ring = FocusRing(self)
        self._apply_scale()
        # Replaceable for tests; the defaults ask the user and hand the address to the desktop.
        self.confirm_open: Callable[[QUrl], bool] = lambda url: ask_to_open(self, url)
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.refuse: Callable[[str], object] = lambda text: QMessageBox.warning(
            self, "Link not opened", text
        )
        self._ready = True

    @property
    def _md(self) -> MarkdownIt:
        """The Markdown renderer, made on first use: importing it is left until after the
        window's first paint (docs/performance.md)."""
        if self._md_cache is None:
            self._md_cache = make_markdown(self._palette)
        return self._md_cache

    # -- links and actions --------------------------------------------------------------------

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        """Never load anything (images, style sheets): a reply must not reach the network."""
        return None

    def _on_anchor(self, url: QUrl) -> None:
        scheme = url.scheme().lower()
        if scheme == ACTION_SCHEME:
            action, args = parse_action(url)
            if not args or args[0] not in self._messages:
                return
            if action == "retry":
                self.retry_requested.emit(args[0])
            elif action == "continue":
                self.continue_requested.emit(args[0])
            elif action == "update-key":
                self.update_key_requested.emit(args[0])
            elif action == "choose-model":
                self.choose_model_requested.emit(args[0])
            elif action == "edit":
                self.edit_requested.emit(args[0])
            elif action == "regenerate":
                self.regenerate_requested.emit(args[0])
            elif action == "branch":
                self.branch_requested.emit(args[0])
            elif action == "version" and len(args) == 2 and args[1] in ("-1", "1"):
                self.version_requested.emit(args[0], int(args[1]))
            elif action == "copy-message":
                self.copy_message(args[0])
            elif action == "copy-code" and len(args) == 2 and args[1].isdigit():
                self.copy_code(args[0], int(args[1]))
            return
        if refused(url):
            self.refuse(refusal(url))
            return
        if self.confirm_open(url):
            self.open_url(url)

    def _to_clipboard(self, text: str, status: str) -> None:
        QApplication.clipboard().setText(text)
        self.copied.emit(text)
        self.notice.emit(status)

    def copy_code(self, message_id: str, index: int) -> None:
        """Copy the text of a message's ``index``-th fenced code block, exactly as shown."""
        blocks = code_blocks(self._md, self.message_text(message_id))
        if 0 <= index < len(blocks):
            self._to_clipboard(blocks[index], "Copied code")

    def copy_message(self, message_id: str) -> None:
        """Copy a message's Markdown source, verbatim."""
        if message_id in self._messages:
            self._to_clipboard(self.message_text(message_id), "Copied message")

    def copy_selection(self) -> None:
        """Copy the selected text as plain text."""
        selection = plain_selection(self.textCursor())
        if selection:
            self._to_clipboard(selection, "Copied text")

    def createMimeDataFromSelection(self) -> QMimeData:
        """Ctrl+C, a drag and the X11 selection copy what "Copy text" does (``plain_copy``)."""
        return plain_mime(self.textCursor())

    def message_at(self, pos: QPoint) -> str | None:
        """The id of the message at a point of the viewport, if it shows one."""
        frames = self._window.rendered_frames()
        index = frame_index_at(frames, self.cursorForPosition(pos).position())
        return None if index is None else self._window.rendered[index]

    def message_menu(self, pos: QPoint) -> QMenu:
        """The context menu for a point of the viewport: copy the message, or the selection."""
        menu = QMenu(self)
        message_id = self.message_at(pos)
        whole = menu.addAction("Copy &message")
        whole.setEnabled(message_id is not None)
        if message_id is not None:
            whole.triggered.connect(lambda: self.copy_message(message_id))
        text = menu.addAction("&Copy text")
        text.setEnabled(self.textCursor().hasSelection())
        text.triggered.connect(self.copy_selection)
        menu.addSeparator()
        everything = menu.addAction("Select &all")
        everything.triggered.connect(self.selectAll)
        # Shown, to teach the keys that do the same (the menu, and its keys, go when it closes).
        for action, key in ((text, QKeySequence.StandardKey.Copy),
                            (everything, QKeySequence.StandardKey.SelectAll)):  # fmt: skip
            action.setShortcut(QKeySequence(key))
            action.setShortcutVisibleInContextMenu(True)
        if message_id is not None:
            menu.addSeparator()
            for label, href in message_actions(self._messages[message_id]):
                menu.addAction(label).triggered.connect(
                    lambda _=False, href=href: self._on_anchor(QUrl(href))
                )
        return menu

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        self.hover_at(event.position().toPoint())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the place on a resize: the text is laid out again for the new width, and a view
        at the bottom (following a reply) stays there, as for a change of text size."""
        anchor = self._lazy.anchor() if self._window.frames else None
        super().resizeEvent(event)
        if self._window.frames:
            self._lazy.scroll.restore(anchor)
        self.latest.update_shown()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.escape_pressed.emit()  # a reader who clicked into the reply can still stop it
            return
        ends = (Qt.Key.Key_Home, Qt.Key.Key_End)
        if event.key() in ends and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self.go_to_end(first=event.key() == Qt.Key.Key_Home)
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab step through the links; the one reached is scrolled clear of
        ↓ Latest, which Qt's own scrolling left it under at the bottom of the view."""
        moved = super().focusNextPrevChild(next)
        if moved and self.hasFocus() and self.latest.isVisible():
            cursor = self.textCursor()
            if cursor.hasSelection():
                link = self._selection_rect(cursor)
                button = self.latest.geometry()
                if link.intersects(button):
                    bar = self.verticalScrollBar()
                    bar.setValue(bar.value() + link.bottom() - button.top() + MARGIN)
        return moved

    def _selection_rect(self, cursor: QTextCursor) -> QRect:
        """Where a selection is drawn, in the viewport: from its first line to its last, the
        whole width when it spans lines."""
        ends = QTextCursor(cursor)
        ends.setPosition(cursor.selectionStart())
        first = self.cursorRect(ends)
        ends.setPosition(cursor.selectionEnd())
        rect = first.united(self.cursorRect(ends))
        if rect.height() > first.height():  # on more than one line
            rect.setLeft(0)
            rect.setRight(self.viewport().width() - 1)
        return rect

    def go_to_end(self, *, first: bool) -> None:
        """Ctrl+Home: the first message, rendered if it was not; Ctrl+End: the latest, where
        the view follows a streaming reply again (as ↓ Latest). A read-only view ignored both:
        Home and End only reached the ends of what was rendered."""
        bar = self.verticalScrollBar()
        order = list(self._messages)
        if first and order:
            self.show_message(order[0])
            bar.setValue(0)
        elif not first:
            if order and not self._window.at_end:  # the end is not rendered (after Ctrl+Home)
                self._lazy.show_end(order)
            bar.setValue(bar.maximum())

    def leaveEvent(self, event: QEvent) -> None:
        """The mouse left the chat (for the composer, say): the toolbar no longer belongs to a
        hovered message. Moving onto the toolbar or the scroll bar stays inside the chat."""
        self.toolbar.clear()
        super().leaveEvent(event)

    def hover_at(self, pos: QPoint) -> None:
        """Offer the hover toolbar for the message at ``pos`` of the viewport, if any."""
        message_id = self.message_at(pos)
        if message_id is None:
            self.toolbar.clear()
        else:
            self.hover_message(message_id)

    def hover_message(self, message_id: str) -> None:
        """Show the toolbar (Copy, Edit, Regenerate, Branch) at the top right of a message."""
        frame = self._window.frames.get(message_id)
        if frame is None or message_id not in self._messages:
            self.toolbar.clear()
            return
        rect = self.document().documentLayout().frameBoundingRect(frame)
        rect.translate(-self.horizontalScrollBar().value(), -self.verticalScrollBar().value())
        actions = toolbar_actions(self._messages[message_id])
        self.toolbar.show_for(message_id, actions, rect.toRect())

    def _place_toolbar(self) -> None:
        if self.toolbar.message_id is not None:
            self.hover_message(self.toolbar.message_id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """The menu of the message under the mouse; from the keyboard (the Menu key, Shift+F10:
        ``ui/menu_key.py``), of the message at the top of the view."""
        keyboard = event.reason() is QContextMenuEvent.Reason.Keyboard
        pos = self.keyboard_menu_point() if keyboard else event.pos()
        menu = self.message_menu(pos)
        menu.exec(self.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def keyboard_menu_point(self) -> QPoint:
        """Where the Menu key (or Shift+F10) opens the menu: on the first message whose header
        is in view, else the one filling the view. Qt's own choice, the hidden text cursor (at
        the end, mostly), left Edit, Branch and versions of earlier messages to the mouse;
        now scrolling a message to the top of the view, then Menu, reaches them. A link that
        Tab has reached (its focus box shows) picks its own message instead."""
        cursor = self.textCursor()
        document = self.document()
        # A link Tab reached is a selection within one line; a wider one (Ctrl+A) opened the
        # menu at its middle, between messages, with no message's actions.
        within_a_line = document.findBlock(cursor.selectionStart()) == document.findBlock(
            cursor.selectionEnd()
        )
        if cursor.hasSelection() and within_a_line:
            link = self._selection_rect(cursor)
            if self.viewport().rect().contains(link.center()):
                return QPoint(link.left() + 2, link.center().y())
        layout = self.document().documentLayout()
        dy = self.verticalScrollBar().value()
        height = self.viewport().height()
        covering: QPoint | None = None
        for frame in self._window.rendered_frames():
            rect = layout.frameBoundingRect(frame).translated(0, -dy)
            if rect.bottom() < 0:
                continue
            if rect.top() >= height:
                break
            inside = QPoint(int(rect.left()) + 24, int(rect.top()) + 16)
            if rect.top() >= 0:
                return inside
            covering = covering or QPoint(inside.x(), min(16, int(rect.bottom()) - 1))
        return covering or QPoint(24, 16)

    # -- showing messages ---------------------------------------------------------------------

    @property
    def conversation_id(self) -> str | None:
        return self._conv_id

    def show_conversation(self, conv: Conversation) -> None:
        """Show ``conv`` from its end: only the last screenfuls are rendered now."""
        self._flush_timer.stop()
        self._clear_retry()
        self.toolbar.clear()
        self._conv_id = conv.id
        self._messages = {m.id: m for m in conv.messages}
        self._parts = {m.id: [m.content] for m in conv.messages}
        self._dirty, self._splits, self._pending = set(), {}, 0
        self._lazy.show_end([m.id for m in conv.messages])

    def show_message(self, message_id: str) -> None:
        """Bring a message of the open conversation into view, rendering around it if needed."""
        if message_id not in self._messages or self._conv_id is None:
            return
        if message_id not in self._window.frames:
            self._lazy.show_around(list(self._messages), message_id)
        self.reveal(self._conv_id, message_id)

    def message_position(self, message_id: str) -> int | None:
        """Where a rendered message starts in the document (None if it is not rendered)."""
        frame = self._window.frames.get(message_id)
        return None if frame is None else frame.firstPosition()

    def message_span(self, message_id: str) -> tuple[int, int] | None:
        """Where a rendered message starts and ends in the document (None if not rendered)."""
        frame = self._window.frames.get(message_id)
        return None if frame is None else (frame.firstPosition(), frame.lastPosition())

    def unrendered(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The messages above and below the rendered part, in order, each with the text Find
        looks in: its header's words, then its source as shown so far."""
        window = self._window

        def texts(ids: list[str]) -> list[tuple[str, str]]:
            return [(m, f"{header_label(self._messages[m])}\n{self.message_text(m)}") for m in ids]

        return texts(window.order[: window.lo]), texts(window.order[window.hi :])

    def render_all(self) -> None:
        """Render every message so Find sees them all, keeping the view where it is.

        Only for conversations of up to MAX_RENDERED messages and not while a reply streams;
        beyond that Find searches the rest in its text (``ui/chat_find.py``).
        """
        order = list(self._messages)
        window = self._window
        streaming = any(m.status is Status.STREAMING for m in self._messages.values())
        if (window.lo == 0 and window.at_end) or len(order) > MAX_RENDERED or streaming:
            return
        frames = window.rendered_frames()
        visible = self._lazy.scroll.visible_range(frames)
        first = window.rendered[visible.start] if len(visible) else None
        following = self._lazy.following()
        window.reset(order, at=0)
        window.append(0, count=len(order))
        if following or first is None:
            self._lazy.scroll.restore(None)
        elif self._conv_id is not None:
            self.reveal(self._conv_id, first)

    def reveal(self, conv_id: str, message_id: str) -> None:
        """Scroll a rendered message's top into view (the place whose version was switched)."""
        frame = self._window.frames.get(message_id)
        if conv_id != self._conv_id or frame is None:
            return
        top = self.document().documentLayout().frameBoundingRect(frame).top()
        self.verticalScrollBar().setValue(max(0, int(top) - 6))

    def add_message(self, conv_id: str, message: Message) -> None:
        if conv_id != self._conv_id:
            return
        jump = self._lazy.following() or message.status is Status.STREAMING
        order = self._window.order
        before = order[-1] if order else None
        self._messages[message.id] = message
        self._parts[message.id] = [message.content]
        self._lazy.add(message.id, jump or message.role is Role.USER)
        cut = before is not None and self._messages[before].finish_reason == "length"
        if cut and before in self._window.frames:  # no longer the last: no Continue link
            self._refresh(before)

    def update_message(self, conv_id: str, message: Message) -> None:
        """A message changed state (finished, stopped, retried): show it as it now is."""
        if conv_id != self._conv_id or message.id not in self._messages:
            return
        if self._retry.message_id == message.id:
            self._clear_retry()
        self._messages[message.id] = message
        self._parts[message.id] = [message.content]
        self._dirty.add(message.id)
        self._flush()
        self._place_toolbar()  # its actions may have changed (a reply finished)

    def append_delta(self, conv_id: str, message_id: str, text: str) -> None:
        if conv_id != self._conv_id or message_id not in self._parts:
            return
        if self._retry.message_id == message_id:
            self._clear_retry()
        self._parts[message_id].append(text)
        self._see_han(text)
        self._tabs.see(text)
        self._dirty.add(message_id)
        self._pending += len(text)
        if self._pending >= FLUSH_CHARS:
            self._flush()
        elif not self._flush_timer.isActive():
            since = (time.monotonic() - self._flushed_at) * 1000
            self._flush_timer.start(max(0, round(FLUSH_MS - since)))

    def show_retry(self, conv_id: str, seconds: float, reason: str) -> None:
        """A retry is scheduled for the streaming reply: count down to it, second by second."""
        streaming = [m for m in self._messages.values() if m.status is Status.STREAMING]
        if conv_id != self._conv_id or not streaming:
            return
        self._retry.start(streaming[-1].id, seconds, reason)

    def message_text(self, message_id: str) -> str:
        """The text shown so far for a message (pending deltas included)."""
        return "".join(self._parts.get(message_id, []))

    @property
    def text_scale(self) -> int:
        return self._scale

    def set_text_scale(self, percent: int) -> None:
        """Scale the chat text to ``percent`` (50–300) of the widget's font."""
        self._scale = max(50, min(300, int(percent)))
        self._apply_scale()

    def rendered_count(self) -> int:
        """How many messages are rendered now (a window of the conversation)."""
        return len(self._window.rendered)

    # -- rendering ----------------------------------------------------------------------------

    def _format(self, message: Message) -> QTextFrameFormat:
        return message_format(background(message, self._palette), self._palette)

    def _html(self, message: Message) -> str:
        self._see_han(message.content)
        self._tabs.see(message.content)
        order = self._window.order
        latest = not order or order[-1] == message.id
        retry = self._retry.text(message.id)
        return message_html(self._md, message, retry, self._palette, latest=latest)

    def _render_new(self, message_id: str) -> tuple[QTextFrameFormat, str]:
        message = self._messages[message_id]
        return self._format(message), self._html(message)

    def _size(self, message_id: str) -> int:
        return len(self._messages[message_id].content)

    def _forget(self, message_ids: list[str]) -> None:
        for message_id in message_ids:
            self._splits.pop(message_id, None)

    def _refresh(self, message_id: str) -> None:
        """Render a frame again, whole (new colours)."""
        self._splits.pop(message_id, None)
        message = self._messages[message_id]
        frame = self._window.frames[message_id]
        frame.setFrameFormat(self._format(message))
        refill(frame, self._html(message))

    def _render(self, message: Message) -> None:
        """Show a rendered message as it now is; a long streaming reply only re-renders its tail."""
        frame = self._window.frames[message.id]
        retry = self._retry.text(message.id)
        split = self._splits.pop(message.id, None)
        layout = self.document().documentLayout()
        if split is not None and split.tail is not None:  # plain text may only be appended
            top = layout.blockBoundingRect(split.tail.block()).top()
            with self._repaint.changing_below(top - 1):
                if append_in_parts(split, message, self._palette, retry):
                    self._splits[message.id] = split
                    return
        keeps = (
            split is not None
            and message.content.startswith(split.committed)
            and not (split.chunked and message.status is not Status.STREAMING)  # whole again
        )
        changed = split.open_frame if split is not None and keeps else frame
        top = layout.frameBoundingRect(changed).top()
        with self._repaint.changing_below(top - 1):  # only what changed is drawn again
            split = render_in_parts(frame, split, message, self._md, self._palette, retry)
            if split is None:
                refill(frame, self._html(message))
        if split is not None:
            self._splits[message.id] = split

    def _flush(self) -> None:
        """Re-render the messages that changed since the last flush (usually just the tail)."""
        self._flush_timer.stop()
        self._flushed_at = time.monotonic()
        self._pending = 0
        following = self._lazy.following()
        for message_id in self._dirty:
            message = self._messages[message_id]
            parts = self._parts[message_id]
            message.content = "".join(parts)
            parts[:] = [message.content]
            if message_id in self._window.frames:
                self._render(message)
        self._dirty.clear()
        if following:
            self._lazy.scroll.to_bottom()

    def _show_tick(self, message_id: str) -> None:
        self._dirty.add(message_id)
        self._flush()

    def _clear_retry(self) -> None:
        message_id = self._retry.clear()
        if message_id is not None:
            self._dirty.add(message_id)

    # -- palette and text size ----------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if not getattr(self, "_ready", False):
            return  # still in the constructor
        if event.type() == QEvent.Type.PaletteChange:
            self._palette_changed()
        elif event.type() == QEvent.Type.FontChange:
            self._apply_scale()

    def _palette_changed(self) -> None:
        """New colours: re-render what is on screen now, the rest in idle-time chunks."""
        palette = chat_palette(self.palette())
        if palette == self._palette:
            return
        self._palette = palette
        self._md_cache = None
        self._lazy.restyle()

    def _see_han(self, text: str) -> None:
        """Name the font Qt falls back to for Han text the first time some is shown (``ui/
        script_fonts.py``: 10× faster layout). Only Han text is drawn differently: with the font
        Qt picked for it anyway, so nothing on screen moves."""
        if self._han is None and HAN.search(text):
            self._han = han_fallback(self.document().defaultFont()) or ""
            if self._han:
                self.document().setDefaultFont(
                    with_fallback(self.document().defaultFont(), self._han)
                )

    def _apply_scale(self) -> None:
        """Scale the document's default font: Qt lays the text out again, lazily."""
        anchor = self._lazy.anchor()
        font = scaled(self.font(), self._scale)
        self.document().setDefaultFont(with_fallback(font, self._han or None))
        self._tabs.rescale()
        if self._window.frames:
            self._lazy.scroll.restore(anchor)
