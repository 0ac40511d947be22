"""Search every conversation: a field, ranked hits with highlighted snippets, keyboard first.

Typing waits ``debounce_ms`` (150) after the last key, then asks the
:class:`~writer_desktop.core.search_service.SearchService`, whose worker thread answers; results
come back to the GUI thread through a queued signal. Only the newest query is shown. Hits are
painted by :mod:`~writer_desktop.ui.search_hits` (snippets escaped: they are untrusted).
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from contextlib import suppress

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from writer_desktop.core.errors import WriterError
from writer_desktop.core.search_service import Hits, SearchService
from writer_desktop.ui.focus_list import FocusShowingList
from writer_desktop.ui.search_hits import HitDelegate, HitsModel


class _Relay(QObject):
    """Carries worker-thread completions to the GUI thread (queued signal connections)."""

    answered = Signal(int, object)  # query number, Future[Hits]
    indexed = Signal()


class SearchPanel(QWidget):
    """Emits ``result_chosen(conversation_id, message_id or None)``; Esc on an empty field
    emits ``dismissed``. ``results_shown(count)`` fires each time new hits are on screen."""

    result_chosen = Signal(str, object)
    dismissed = Signal()
    results_shown = Signal(int)

    def __init__(
        self, service: SearchService, parent: QWidget | None = None, *, debounce_ms: int = 150
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.field = QLineEdit(self)
        self.field.setObjectName("searchField")
        self.field.setAccessibleName("Search all conversations")
        self.field.setPlaceholderText("Search all conversations")
        self.field.setClearButtonEnabled(True)
        self.status = QLabel(self)
        self.status.setObjectName("searchStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)  # a narrow sidebar must not widen for the hint
        self.model = HitsModel(self)
        self.view = FocusShowingList(self)
        self.view.setObjectName("searchResults")
        self.view.setAccessibleName("Search results")
        self.view.setModel(self.model)
        self.view.setItemDelegate(HitDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addWidget(self.field)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._relay = _Relay(self)
        self._query = 0  # number of the newest query asked
        self._asked_at = 0.0
        self.latency_ms = 0.0  # from the query being sent (after the debounce) to hits shown

        self.field.textChanged.connect(self._timer.start)
        self._timer.timeout.connect(self.run_query)
        self._relay.answered.connect(self._on_answer)
        self._relay.indexed.connect(self._on_indexed)
        self.view.clicked.connect(self._choose)
        self.field.installEventFilter(self)
        self.view.installEventFilter(self)
        if service.indexing:
            service.ready.add_done_callback(lambda _f: self._emit("indexed"))
        self._show_status(0)

    def focus_field(self) -> None:
        """Focus the field with its text selected (what Ctrl+Shift+F should do)."""
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def run_query(self) -> None:
        """Ask for the field's text now (the debounce timer calls this)."""
        self._timer.stop()
        self._query += 1
        text = self.field.text()
        if not text.strip():
            self.model.set_hits([])
            self._show_status(0)
            return
        self._asked_at = time.perf_counter()
        future = self.service.submit(text)
        number = self._query
        future.add_done_callback(lambda f: self._emit("answered", number, f))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if watched is self.field:
            if key == Qt.Key.Key_Down and self.model.rowCount():
                # One step down, as in the list: to the first hit, or the one after the current
                # (the first Down only moved the focus, so Down, Enter opened the same hit).
                current = self.view.currentIndex()
                row = min(current.row() + 1, self.model.rowCount() - 1) if current.isValid() else 0
                self.view.setFocus(Qt.FocusReason.TabFocusReason)
                self.view.setCurrentIndex(self.model.index(row, 0))
                return True
            if enter:
                if self._timer.isActive():
                    self.run_query()  # typed fast, then Enter: the hits arrive, then Enter again
                    return True
                current = self.view.currentIndex()
                self._choose(current if current.isValid() else self.model.index(0, 0))
                return True
            if key == Qt.Key.Key_Escape:
                if self.field.text():
                    self.field.clear()
                else:
                    self.dismissed.emit()
                return True
        elif watched is self.view:
            if enter:
                self._choose(self.view.currentIndex())
                return True
            at_top = self.view.currentIndex().row() <= 0
            if key == Qt.Key.Key_Escape or (key == Qt.Key.Key_Up and at_top):
                self.field.setFocus(Qt.FocusReason.TabFocusReason)
                return True
        return super().eventFilter(watched, event)

    # -- internals ---------------------------------------------------------------------------

    def _emit(self, name: str, *args: object) -> None:
        """Emit a relay signal from the worker thread; the panel may be gone (nothing to show)."""
        with suppress(RuntimeError):  # "Internal C++ object already deleted"
            signal: SignalInstance = getattr(self._relay, name)
            signal.emit(*args)

    def _on_answer(self, number: int, future: Future[Hits]) -> None:
        if number != self._query:
            return  # an older query: a newer one is on its way
        try:
            hits = future.result()
        except WriterError as exc:
            self.status.setText(exc.user_message)
            self.status.setVisible(True)
            return
        if hits is None:
            return
        self.model.set_hits(hits)
        if hits:
            self.view.setCurrentIndex(self.model.index(0, 0))
        self.latency_ms = (time.perf_counter() - self._asked_at) * 1000
        self._show_status(len(hits))
        self.results_shown.emit(len(hits))

    def _on_indexed(self) -> None:
        if self.field.text().strip():
            self.run_query()  # now over everything
        else:
            self._show_status(0)

    def _show_status(self, count: int) -> None:
        if self.service.indexing:
            text = "Indexing…"
        elif self.field.text().strip() and not count and self._query:
            text = "No results"
        elif not self.field.text().strip():  # opened, or the field cleared (its ⓧ): not blank
            text = "Type words to search every conversation. Esc closes."
        else:
            text = ""
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _choose(self, index: QModelIndex) -> None:
        hit = self.model.hit(index.row()) if index.isValid() else None
        if hit is not None:
            self.result_chosen.emit(hit.conversation_id, hit.message_id)
