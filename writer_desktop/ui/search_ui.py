"""Search in the main window: all conversations (Ctrl+Shift+F) and the open one (Ctrl+F).

Adds both to the Conversation menu; the search panel (above the conversation list) and the find
bar (under the chat) are built the first time they are asked for, so a session that never
searches never loads them, and the search worker starts only then (``SearchService``). The index
is kept current meanwhile: every change of the conversation list queues a catch-up of the
(cached) index, and a deleted conversation is queued to leave it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QBoxLayout

from writer_desktop.core.search_service import SearchService

from .main_window import MainWindow

if TYPE_CHECKING:
    from .find_bar import FindBar
    from .search_panel import SearchPanel


class SearchUi(QObject):
    def __init__(self, window: MainWindow, service: SearchService) -> None:
        super().__init__(window)
        self.window = window
        self.service = service
        self._panel: SearchPanel | None = None
        self._find_bar: FindBar | None = None
        self.search_action = QAction("&Search all conversations…", window)
        self.search_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.find_action = QAction("&Find in conversation…", window)
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        menu = window.conversation_menu
        menu.addSeparator()
        menu.addAction(self.search_action)
        menu.addAction(self.find_action)

        c = window.controller
        self.search_action.triggered.connect(self.show_search)
        self.find_action.triggered.connect(lambda: self.find_bar.open())
        c.conversations_changed.connect(lambda _rows: service.sync())
        c.deleted.connect(self._on_deleted)
        c.busy_changed.connect(service.streaming)  # a query then finds the text shown so far
        c.conversation_opened.connect(self._refresh_find_bar)

    @property
    def panel(self) -> SearchPanel:
        """The search panel, made (hidden) on first use."""
        if self._panel is None:
            from .search_panel import SearchPanel

            sidebar = self.window.sidebar
            panel = self._panel = SearchPanel(self.service, sidebar)
            panel.setObjectName("searchPanel")
            panel.hide()
            layout = sidebar.layout()
            if isinstance(layout, QBoxLayout):
                layout.insertWidget(2, panel, 1)  # after New and the filter
            panel.result_chosen.connect(self.open_result)
            panel.dismissed.connect(self.hide_search)
        return self._panel

    @property
    def find_bar(self) -> FindBar:
        """The find bar under the chat, made (hidden) on first use."""
        if self._find_bar is None:
            from .chat_find import ChatFindScope
            from .find_bar import FindBar

            chat = self.window.chat
            bar = self._find_bar = FindBar(chat, scope=ChatFindScope(chat))
            bar.hide()
            chat_area = chat.parentWidget()
            layout = chat_area.layout() if chat_area is not None else None
            if isinstance(layout, QBoxLayout):
                layout.insertWidget(layout.indexOf(chat) + 1, bar)
            bar.closed.connect(self.window.composer.focus_editor)
        return self._find_bar

    def show_search(self) -> None:
        self.service.start()  # opens the index while the user types (it closes when idle)
        self.panel.show()
        self.panel.focus_field()

    def hide_search(self) -> None:
        self.panel.hide()
        self.window.sidebar.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def open_result(self, conv_id: str, message_id: str | None) -> None:
        """Open the conversation of a search hit, scrolled to the message, the words found."""
        self.window.controller.open_conversation(conv_id)
        if self.window.controller.current_id != conv_id:  # gone meanwhile (it said so)
            self._refresh_results()
            return
        chat = self.window.chat
        if message_id:
            chat.show_message(message_id)
        query = self.panel.field.text()
        if query.strip():
            chat.render_all()  # what Find does first; it moves the message in the document
            at = chat.message_position(message_id) if message_id else None
            self.find_bar.open_words(query, at)  # the hit's message holds the current match

    def _on_deleted(self, conv_ids: list[str]) -> None:
        for conv_id in conv_ids:
            self.service.remove(conv_id)
        self._refresh_results()  # their hits must not stay listed

    def _refresh_results(self) -> None:
        if self._panel is not None and self._panel.isVisible():
            self._panel.run_query()

    def _refresh_find_bar(self, _conv: object) -> None:
        if self._find_bar is not None:
            self._find_bar.document_replaced()
