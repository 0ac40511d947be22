"""The quick prompt: a small always-on-top window the global hotkey opens from anywhere.

One text box (Enter sends, Shift+Enter adds a line) with the answer streaming below it, rendered
by ``render.py`` exactly as in the chat view: no raw HTML, nothing loaded (``loadResource``
answers None), links only http/https/mailto and only after the user confirms, app notices styled
apart from model text. Deltas are coalesced to at most 12.5 renders a second. Esc hides the window
(a running reply keeps streaming into its conversation); Ctrl+Enter or "Open in Writer Desktop"
asks for the conversation in the main window; Ctrl+Shift+C or "Copy" copies the answer's Markdown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QCursor,
    QDesktopServices,
    QFontMetrics,
    QGuiApplication,
    QKeySequence,
    QPainterPath,
    QRegion,
    QResizeEvent,
    QScreen,
    QShortcut,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from writer_desktop.core.models import Message, Role, Status

from .chat_document import refill
from .chat_links import parse_action, refusal, refused
from .chat_palette import chat_palette
from .chat_stream import FLUSH_CHARS, StreamSplit, append_in_parts, render_in_parts
from .composer import PromptEdit
from .hint_label import HintLabel
from .link_dialog import ask_to_open
from .plain_copy import plain_mime
from .render import (
    ACTION_SCHEME,
    body_html,
    code_blocks,
    footer_html,
    make_markdown,
)
from .screen_fit import room
from .tab_stops import TabStops
from .text_scale import scaled

WIDTH = 640
ANSWER_MAX = 420  # the answer scrolls beyond this height
FLUSH_MS = 80  # at most 12.5 renders a second, as in the chat view (ui/chat_view.py)
RADIUS = 10
HINT = "Enter sends · Shift+Enter new line · Esc hides"
MARGIN = 12


class AnswerView(QTextBrowser):
    """One reply, rendered like the chat view; never loads anything, vets every link."""

    retry_requested = Signal(str)
    continue_requested = Signal(str)
    fix_requested = Signal(str, str)  # "update-key" or "choose-model", message id
    copied = Signal(str)  # what was copied, for the status line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quickAnswer")
        self.setAccessibleName("Answer")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.document().setUndoRedoEnabled(False)
        self.tabs = TabStops(self.document())  # set when a tab first shows, as in the chat
        self.anchorClicked.connect(self._on_anchor)
        self._palette = chat_palette(self.palette())
        self._md = make_markdown(self._palette)
        self.message: Message | None = None
        self._split: StreamSplit | None = None  # a long reply streams in parts, as in the chat
        # Replaceable for tests, as in the chat view.
        self.confirm_open: Callable[[QUrl], bool] = lambda url: ask_to_open(self, url)
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.refuse: Callable[[str], object] = lambda text: QMessageBox.warning(
            self, "Link not opened", text
        )

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        """Never load anything (images, style sheets): a reply must not reach the network."""
        return None

    def show_message(self, message: Message | None) -> None:
        """Render ``message`` (its Markdown and its status), following its end if shown.

        A streaming reply is shown as the chat view shows it (``chat_stream.py``): finished
        blocks are rendered once and plain text is appended, so a flush costs the same at the
        end of a long answer as at its start, instead of the whole answer rendered again."""
        shown, self.message = self.message, message
        bar = self.verticalScrollBar()
        value, following = bar.value(), bar.value() >= bar.maximum() - 4
        split, self._split = self._split, None
        if message is not None and shown is not None and shown.id == message.id:
            self._split = self._render(message, split)
        else:  # another reply, or none
            self._split = self._render(message, None)
        bar.setValue(bar.maximum() if following else value)

    def _render(self, message: Message | None, split: StreamSplit | None) -> StreamSplit | None:
        """Show ``message`` (appending to ``split``, its parts so far, if it can); its parts."""
        root = self.document().rootFrame()
        if message is None:
            refill(root, "")
            return None
        self.tabs.see(message.content)
        palette = self._palette
        if (
            split is not None
            and split.tail is not None
            and append_in_parts(split, message, palette)
        ):
            return split
        split = render_in_parts(root, split, message, self._md, palette, header=False)
        if split is None:
            refill(root, body_html(self._md, message) + footer_html(message, None, palette))
        return split

    def createMimeDataFromSelection(self) -> QMimeData:
        """Plain text only, as in the chat view (``plain_copy``)."""
        return plain_mime(self.textCursor())

    def copy_code(self, index: int) -> None:
        blocks = code_blocks(self._md, self.message.content if self.message else "")
        if 0 <= index < len(blocks):
            QApplication.clipboard().setText(blocks[index])
            self.copied.emit(
                "Copied the code." if len(blocks) == 1 else f"Copied code block {index + 1}."
            )

    def _on_anchor(self, url: QUrl) -> None:
        scheme = url.scheme().lower()
        if scheme == ACTION_SCHEME:
            action, args = parse_action(url)
            if self.message is None or not args or args[0] != self.message.id:
                return
            if action == "retry":
                self.retry_requested.emit(args[0])
            elif action == "continue":
                self.continue_requested.emit(args[0])
            elif action in ("update-key", "choose-model"):
                self.fix_requested.emit(action, args[0])
            elif action == "copy-code" and len(args) == 2 and args[1].isdigit():
                self.copy_code(int(args[1]))
        elif refused(url):
            self.refuse(refusal(url))
        elif self.confirm_open(url):
            self.open_url(url)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_md"):
            self._palette = chat_palette(self.palette())
            self._md = make_markdown(self._palette)
            self._split = None  # new colours: rendered whole again
            self.show_message(self.message)


class QuickPrompt(QWidget):
    """Emits ``submitted(text)``, ``open_in_main_requested(conv id)``, ``stop_requested()``,
    and ``retry_requested`` / ``continue_requested`` (message id) for the answer's notices."""

    submitted = Signal(str)
    open_in_main_requested = Signal(str)
    stop_requested = Signal()
    retry_requested = Signal(str)
    continue_requested = Signal(str)
    fix_requested = Signal(str, str)  # "update-key" or "choose-model", message id

    def __init__(self, parent: QWidget | None = None) -> None:
        flags = Qt.WindowType
        super().__init__(
            parent, flags.Tool | flags.FramelessWindowHint | flags.WindowStaysOnTopHint
        )
        self._restyling = False  # see changeEvent
        self.setObjectName("quickPrompt")
        self.setWindowTitle("Writer Desktop — Quick prompt")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(
            f"#quickPrompt {{ border: 1px solid palette(mid); border-radius: {RADIUS}px; }}"
        )
        self.setFixedWidth(WIDTH)
        self._conv_id: str | None = None
        self._parts: list[str] = []

        self.editor = PromptEdit(self)
        self.editor.setObjectName("quickEdit")
        self.editor.setAccessibleName("Quick prompt")
        self.editor.setPlaceholderText("Ask Writer…")
        self.editor.setTabChangesFocus(True)
        self.editor.setFixedHeight(self.editor.fontMetrics().lineSpacing() * 3 + 16)
        self.answer = AnswerView(self)
        self.answer.hide()
        self.status = HintLabel(HINT, self)  # muted, not disabled grey: "Copied" must read
        self.status.setObjectName("quickStatus")
        self.stop_button = self._button("Stop", "Stop the reply", self.stop_requested.emit)
        self.stop_button.hide()
        self.copy_button = self._button(
            "Copy", "Copy the answer's Markdown (Ctrl+Shift+C)", self.copy_answer
        )
        self.open_button = self._button(
            "Open in Writer Desktop", "Continue in the main window (Ctrl+Enter)", self.open_in_main
        )
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        for button in (self.stop_button, self.copy_button, self.open_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN - 2)
        layout.addWidget(self.editor)
        layout.addWidget(self.answer)
        layout.addLayout(row)

        self.editor.enter_pressed.connect(self._on_enter)
        self.editor.escape_pressed.connect(self.hide)
        self.answer.retry_requested.connect(self.retry_requested)
        self.answer.continue_requested.connect(self.continue_requested)
        self.answer.fix_requested.connect(self.fix_requested)
        self.answer.copied.connect(self.status.setText)
        self.editor.refused.connect(self.status.setText)
        # What was said ("Copied the answer.") is old news once the text changes.
        self.editor.textChanged.connect(lambda: self.status.setText(HINT))
        for sequence, slot in [
            ("Esc", self.hide),
            ("Ctrl+Return", self.open_in_main),
            ("Ctrl+Enter", self.open_in_main),  # the keypad's Enter
            ("Ctrl+Shift+C", self.copy_answer),
        ]:
            QShortcut(QKeySequence(sequence), self).activated.connect(slot)
        self._flush_timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._pending = 0  # characters appended since the last flush
        self.copy_button.setEnabled(False)
        self.open_button.setEnabled(False)

    # -- showing ------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._restyling:
            # A widget with a style sheet keeps handing its children the palette it had when
            # the sheet was set: after a live theme switch the editor and buttons stayed in the
            # old colours while the frame changed. Setting the sheet again passes the new one.
            self._restyling = True
            try:
                sheet = self.styleSheet()
                self.setStyleSheet("")
                self.setStyleSheet(sheet)
            finally:
                self._restyling = False

    def set_text_scale(self, percent: int) -> None:
        """The text size of Settings, for what is typed and the answer, as in the window."""
        font = scaled(self.font(), percent)
        self.editor.setFont(font)
        self.editor.setFixedHeight(QFontMetrics(font).lineSpacing() * 3 + 16)
        self.answer.document().setDefaultFont(font)
        self.answer.tabs.rescale()
        if self.isVisible():
            self.adjustSize()

    def show_prompt(self, prefill: str = "", *, keep_text: bool = False) -> None:
        """Show on the screen with the mouse, focused, its text (``prefill`` if given) selected.

        A ``prefill`` while the prompt is open with other text (two ``writer-desktop quick``
        at once), or hidden with text to keep (``keep_text``: typed, not sent), is added on a
        line of its own, the cursor after it: neither is lost, nor selected for the next key
        to replace."""
        shown = self.editor.text()
        joined = False
        if prefill and shown.strip() and (self.isVisible() or keep_text):
            if prefill not in shown:
                self.editor.setPlainText(f"{shown}\n{prefill}")
            joined = True
        elif prefill:
            self.editor.setPlainText(prefill)
        self.status.setText(HINT)  # not what was said the last time it was open ("Copied")
        self.adjustSize()
        self.move(self._position())
        self.show()
        self.raise_()
        self.activateWindow()
        self.editor.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
        if joined:
            self.editor.moveCursor(QTextCursor.MoveOperation.End)
        else:
            self.editor.selectAll()

    def _position(self) -> QPoint:
        screen = QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        tallest = self.height() + (0 if self.answer.isVisible() else self._answer_max(screen))
        x = area.x() + (area.width() - self.width()) // 2
        y = area.y() + max(0, (area.height() - tallest) // 2)  # room for the answer to grow
        return QPoint(x, y)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Rounded corners without a compositor: clip the window itself to the rounded border.
        path = QPainterPath()
        path.addRoundedRect(self.rect().toRectF(), RADIUS, RADIUS)
        self.setMask(QRegion(path.toFillPolygon().toPolygon()))

    # -- the reply ----------------------------------------------------------------------------

    @property
    def conversation_id(self) -> str | None:
        return self._conv_id

    def answer_text(self) -> str:
        """The answer's Markdown so far (pending deltas included)."""
        return "".join(self._parts)

    def start_reply(self, conv_id: str, message_id: str) -> None:
        """A reply to what was just sent begins: show it (empty) below the prompt."""
        self._flush_timer.stop()
        self._conv_id = conv_id
        self._parts, self._pending = [], 0
        self.answer.show()
        self.editor.selectAll()  # the question stays visible; typing replaces it
        self._show(Message(role=Role.ASSISTANT, content="", id=message_id, status=Status.STREAMING))

    def append_delta(self, conv_id: str, message_id: str, text: str) -> None:
        if not self._is_current(conv_id, message_id):
            return
        self._parts.append(text)
        self._pending += len(text)
        if self._pending >= FLUSH_CHARS:
            self._flush()
        elif not self._flush_timer.isActive():
            self._flush_timer.start()

    def finish_reply(self, conv_id: str, message: Message) -> None:
        """The reply ended (complete, stopped, interrupted, failed): show it as it now is."""
        if not self._is_current(conv_id, message.id):
            return
        self._flush_timer.stop()
        self._parts, self._pending = [message.content], 0
        self._show(dataclasses.replace(message))

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, Stop is offered."""
        self.stop_button.setVisible(busy)

    def _is_current(self, conv_id: str, message_id: str) -> bool:
        shown = self.answer.message
        return conv_id == self._conv_id and shown is not None and shown.id == message_id

    def _flush(self) -> None:
        self._flush_timer.stop()
        self._pending = 0
        shown = self.answer.message
        if shown is None:
            return
        self._parts[:] = [self.answer_text()]
        self._show(dataclasses.replace(shown, content=self._parts[0]))

    def _show(self, message: Message) -> None:
        """Render the answer, grow it with its text up to ANSWER_MAX (the top edge stays)."""
        shown = self.answer.message
        self.answer.show_message(message)
        self.copy_button.setEnabled(bool(self.answer_text()))
        self.open_button.setEnabled(self._conv_id is not None)
        growing = (
            message.status is Status.STREAMING and shown is not None and shown.id == message.id
        )
        most = self._answer_max()
        if growing and self.answer.height() >= most:
            return  # full already, and a streaming answer only grows: nothing to measure
        self.answer.setFixedHeight(max(60, min(most, self._answer_height())))
        self.adjustSize()

    def _answer_max(self, screen: QScreen | None = None) -> int:
        """ANSWER_MAX, or less where ``screen`` (by default the one the prompt is on) has no
        room for it (at 200 % scaling a long answer pushed the Copy and Open buttons below a
        1000-pixel screen's edge). Placing the prompt asks about the screen it is going to."""
        most = room(screen or self.screen())
        if most is None:
            return ANSWER_MAX
        rest = self.height() - (self.answer.height() if self.answer.isVisible() else 0)
        return max(60, min(ANSWER_MAX, most.height() - rest))

    def _answer_height(self) -> int:
        """The answer's height with all of its text shown, without a scroll bar."""
        document = self.answer.document()
        width = document.textWidth()  # the viewport's; narrower while a scroll bar shows
        full = WIDTH - 2 * MARGIN - 2 * self.answer.frameWidth()  # the box's, fixed
        document.setTextWidth(full)
        height = int(document.size().height()) + 2 * self.answer.frameWidth() + 4
        if width != full:
            # Left at the full width, the text would run under the scroll bar (and a horizontal
            # one would show); once the box has grown, Qt drops the scroll bar and widens it.
            document.setTextWidth(width)
        return height

    # -- user actions -------------------------------------------------------------------------

    def copy_answer(self) -> None:
        text = self.answer_text()
        if text:
            QApplication.clipboard().setText(text)
            self.status.setText("Copied the answer.")

    def open_in_main(self) -> None:
        if self._conv_id is not None:
            self.hide()
            self.open_in_main_requested.emit(self._conv_id)

    def _on_enter(self) -> None:
        text = self.editor.text()
        if text.strip():
            self.status.setText(HINT)
            self.submitted.emit(text)

    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.clicked.connect(lambda _checked=False: slot())
        return button
