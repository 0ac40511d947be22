"""Find in the open conversation: a small bar over any ``QTextEdit`` (Ctrl+F).

Matching is case-insensitive (``QTextDocument.find`` without flags); opened from a search hit
(:meth:`FindBar.open_words`) it finds the query's words as the search did, accents ignored
(``core.search.highlight_pattern``). Every match is highlighted
with the target's extra selections (the bar owns them while it is open) and the current one
scrolled into view, without moving the user's own selection. Enter / Shift+Enter or the ‹ ›
buttons go to the next / previous match, wrapping; Esc closes. The search re-runs when the
document changes (a streaming reply), keeping the current match where it can.

A target that renders only part of what it shows (the chat view renders a long conversation as a
window of messages) gives a :class:`FindScope`: before each search it renders what it can, the
messages it has not rendered are searched in their text, and stepping past the rendered matches
renders the next message with a match and goes on there. The count covers them all, so it is
the conversation's, not the window's. Text outside the window is its source (Markdown), so a
match that only the rendering makes (words split by ``**``) is counted once it is rendered.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from PySide6.QtCore import QEvent, QObject, QPoint, QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QTextEdit, QToolButton, QWidget

from writer_desktop.core.search import highlight_pattern

MATCH = QColor("#ffe08a")
CURRENT = QColor("#ff9f43")
_WORDS_OPTIONS = (
    QRegularExpression.PatternOption.CaseInsensitiveOption
    | QRegularExpression.PatternOption.UseUnicodePropertiesOption
)


class Outside(NamedTuple):
    """Matches in what the target has not rendered: (item, count) above and below it, in order."""

    before: list[tuple[str, int]]
    after: list[tuple[str, int]]


NOWHERE = Outside([], [])


class FindScope(Protocol):
    """What a find bar searches beyond its target's document."""

    def prepare(self) -> None:
        """Render what can be rendered before a search; quick once it is."""

    def outside(self, pattern: QRegularExpression) -> Outside:
        """The matches of ``pattern`` in the items not rendered."""

    def bring(self, item: str) -> tuple[int, int] | None:
        """Render around ``item``; where it now starts and ends in the document."""


def count_matches(pattern: QRegularExpression, text: str) -> int:
    found = pattern.globalMatch(text)
    n = 0
    while found.hasNext():
        found.next()
        n += 1
    return n


class FindBar(QWidget):
    """Find in ``target``; ``closed`` fires when Esc or ✕ hides the bar."""

    closed = Signal()

    def __init__(
        self,
        target: QTextEdit,
        parent: QWidget | None = None,
        *,
        scope: FindScope | None = None,
        max_matches: int = 2000,
    ) -> None:
        super().__init__(parent)
        self.target = target
        self.scope = scope
        self.max_matches = max_matches
        self.matches: list[QTextCursor] = []
        self.current = -1
        self.outside = NOWHERE
        self._busy = False
        self.field = QLineEdit(self)
        self.field.setObjectName("findField")
        self.field.setAccessibleName("Find in conversation")
        self.field.setPlaceholderText("Find in conversation")
        self.previous_button = self._button("‹", "Previous match (Shift+Enter)")
        self.next_button = self._button("›", "Next match (Enter)")
        self.count = QLabel(self)
        self.count.setObjectName("findCount")
        self.count.setMinimumWidth(self.count.fontMetrics().horizontalAdvance("00000 of 00000+"))
        self.close_button = self._button("✕", "Close (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.count)
        for button in (self.previous_button, self.next_button, self.close_button):
            layout.addWidget(button)
        self._again = QTimer(self)  # re-search shortly after the document changes
        self._again.setSingleShot(True)
        self._again.setInterval(100)

        self._words: QRegularExpression | None = None  # open_words: a search's words
        self.field.textChanged.connect(self._on_edited)
        self.field.installEventFilter(self)
        self.previous_button.clicked.connect(self.find_previous)
        self.next_button.clicked.connect(self.find_next)
        self.close_button.clicked.connect(self.close_bar)
        self.target.textChanged.connect(self._on_document_changed)
        # A document that changed (a reply streaming in) is searched again where the view is:
        # scrolling to the current match at every render took the view off the reply it was
        # following.
        self._again.timeout.connect(lambda: self.refresh(follow=False, scroll=False))
        self.hide()

    def open_words(self, query: str, at: int | None = None) -> None:
        """Open with the words of a search query found as the search found them (any of them,
        case and accents ignored, the last also as a prefix), not the query as one string:
        ``brulee`` must light up ``brûlée``. Editing the field searches for it as typed again.
        The current match is the first at or after document position ``at`` (the hit's
        message), else the first in view."""
        pattern = highlight_pattern(query)
        self._words = None if pattern is None else QRegularExpression(pattern, _WORDS_OPTIONS)
        self.field.blockSignals(True)  # not a user's edit: keep the words
        self.field.setText(query)
        self.field.blockSignals(False)
        self.matches, self.current = [], -1  # what was current is no anchor for a new search
        self._open(at)

    def _on_edited(self) -> None:
        self._words = None
        self.refresh()

    def open(self) -> None:
        """Show the bar, focus the field with its text selected, and search again."""
        self._open(None)

    def _open(self, at: int | None) -> None:
        self.show()
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()
        self.refresh(at)

    def document_replaced(self) -> None:
        """The target shows another document (another conversation): its matches are gone, and
        the search runs again only if the bar is open (a closed bar's text marks nothing)."""
        self._again.stop()
        self.matches, self.current, self.outside = [], -1, NOWHERE
        if not self.isHidden():
            self.refresh(follow=False)

    def close_bar(self) -> None:
        self.hide()
        self._again.stop()
        self.matches, self.current, self.outside = [], -1, NOWHERE
        self.target.setExtraSelections([])
        self.target.setFocus(Qt.FocusReason.OtherFocusReason)
        self.closed.emit()

    def find_next(self) -> None:
        self._step(1)

    def find_previous(self) -> None:
        self._step(-1)

    def refresh(
        self,
        at: int | None = None,
        *,
        last_before: int | None = None,
        follow: bool = True,
        scroll: bool = True,
    ) -> None:
        """Find every match of the field's text; the current one is the first at or after
        position ``at``, else the last at or before ``last_before``, else the one current
        before, else the first in view. With ``follow`` (the user searched, not the document
        changed), no match in the rendered part but some beyond it goes to the nearest."""
        self._again.stop()
        text = self.field.text()
        anchor = at
        if anchor is None and last_before is None and self.current >= 0:
            anchor = self.matches[self.current].selectionStart()
        self.matches, self.current, self.outside = [], -1, NOWHERE
        if text:
            self._busy = True  # rendering in prepare changes the document: not again
            try:
                if self.scope is not None:
                    self.scope.prepare()
                self.matches = self._find_all(text)
                if self.scope is not None:
                    self.outside = self.scope.outside(self._pattern(text))
            finally:
                self._busy = False
        starts = [m.selectionStart() for m in self.matches]
        if starts and last_before is not None:
            self.current = max((i for i, s in enumerate(starts) if s <= last_before), default=0)
        elif starts:
            if anchor is None:
                anchor = self._top_position()
            self.current = next((i for i, s in enumerate(starts) if s >= anchor), 0)
        elif follow and (self.outside.after or self.outside.before):
            self._step(1)
            return
        self._show(scroll=scroll)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.field and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                self._step(-1 if shift else 1)
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc from the bar's buttons too (Tab reaches them): they leave it to their parent."""
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.close_bar()
            return
        super().keyPressEvent(event)

    # -- internals ---------------------------------------------------------------------------

    def _button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setAutoRaise(True)
        return button

    def _top_position(self) -> int:
        """The document position at the start of the top line in view, looked for down the
        middle of the view: at the left edge, in the margin outside nested frames, and in the
        gaps between them, Qt answers with the document's start rather than what is on screen."""
        if self.target.verticalScrollBar().value() == 0:
            return 0
        viewport = self.target.viewport()
        for y in range(0, viewport.height(), 4):
            cursor = self.target.cursorForPosition(QPoint(viewport.width() // 2, y))
            if cursor.position() > 0:  # on a line shorter than half the view: its end, so
                cursor.movePosition(QTextCursor.MoveOperation.StartOfLine)  # from its start
                return cursor.position()
        return 0

    def _find_all(self, text: str) -> list[QTextCursor]:
        doc = self.target.document()
        found: list[QTextCursor] = []
        cursor = QTextCursor(doc)
        what: str | QRegularExpression = text if self._words is None else self._words
        while len(found) < self.max_matches:
            cursor = doc.find(what, cursor)
            if cursor.isNull():
                break
            found.append(cursor)
        return found

    def _pattern(self, text: str) -> QRegularExpression:
        """What ``_find_all`` looks for, as a pattern for text outside the document."""
        if self._words is not None:
            return self._words
        return QRegularExpression(QRegularExpression.escape(text), _WORDS_OPTIONS)

    def _step(self, delta: int) -> None:
        """The next or previous match; past the rendered ones, the nearest message beyond them
        with a match is rendered and its first (or last) match is current."""
        if self._again.isActive():
            self.refresh(follow=False)
        step = self.current + delta
        beyond = self.outside.before or self.outside.after
        if 0 <= step < len(self.matches) or not beyond:
            if self.matches:
                self.current = step % len(self.matches)
                self._show()
            return
        before, after = self.outside
        forward = delta > 0
        item = (after or before)[0][0] if forward else (before or after)[-1][0]
        assert self.scope is not None  # only a scope finds matches outside
        self._busy = True  # its rendering changes the document: this search follows it
        try:
            span = self.scope.bring(item)
        finally:
            self._busy = False
        if span is None:
            return
        start, end = span
        if forward:
            self.refresh(start, follow=False)
        else:
            self.refresh(last_before=end, follow=False)

    def _show(self, *, scroll: bool = True) -> None:
        """Highlight all matches (the current one stronger), scroll to it (if ``scroll``),
        update the count."""
        selections = []
        for i, cursor in enumerate(self.matches):
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            fmt = QTextCharFormat()
            fmt.setBackground(CURRENT if i == self.current else MATCH)
            fmt.setForeground(QColor("#000000"))
            selection.format = fmt
            selections.append(selection)
        self.target.setExtraSelections(selections)
        if self.current >= 0 and scroll:
            self._scroll_to(self.matches[self.current])
        full = len(self.matches) >= self.max_matches
        above = sum(n for _, n in self.outside.before)
        total = above + len(self.matches) + sum(n for _, n in self.outside.after)
        at = f"{above + self.current + 1:,}" if self.current >= 0 else "–"
        if total:
            self.count.setText(f"{at} of {total:,}{'+' if full else ''}")
        else:
            self.count.setText("No matches" if self.field.text() else "")
        has = total > 0
        self.previous_button.setEnabled(has)
        self.next_button.setEnabled(has)

    def _scroll_to(self, cursor: QTextCursor) -> None:
        """Bring the match into view (centred if it was out of view), leaving the selection."""
        rect = self.target.cursorRect(cursor)
        viewport = self.target.viewport().rect()
        bar = self.target.verticalScrollBar()
        if rect.top() < 0 or rect.bottom() > viewport.height():
            bar.setValue(bar.value() + rect.center().y() - viewport.height() // 2)
        hbar = self.target.horizontalScrollBar()
        if rect.left() < 0 or rect.right() > viewport.width():
            hbar.setValue(hbar.value() + rect.left() - viewport.width() // 2)

    def _on_document_changed(self) -> None:
        # Not restarted while it runs: a streaming reply changes the document every 50 ms, and a
        # timer started again at each change never fired (the count stayed as it was).
        waiting = self._again.isActive()
        if not self.isHidden() and self.field.text() and not self._busy and not waiting:
            self._again.start()
