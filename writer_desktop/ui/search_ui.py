"""Search in the main window: all conversations (Ctrl+Shift+F) and the open one (Ctrl+F).

Puts the search panel above the conversation list and the find bar under the chat, adds both to
the Conversation menu, and keeps the index current: every change of the conversation list
queues a catch-up of the (cached) index, and a deleted conversation leaves it at once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QBoxLayout

from writer_desktop.core.search_service import SearchService

from .find_bar import FindBar
from .main_window import MainWindow
from .search_panel import SearchPanel


class SearchUi(QObject):
    def __init__(self, window: MainWindow, service: SearchService) -> None:
        super().__init__(window)
        self.window = window
        self.service = service
        self.panel = SearchPanel(service, window.sidebar)
        self.panel.setObjectName("searchPanel")
        self.panel.hide()
        sidebar_layout = window.sidebar.layout()
        if isinstance(sidebar_layout, QBoxLayout):
            sidebar_layout.insertWidget(2, self.panel, 1)  # after New and the filter
        self.find_bar = FindBar(window.chat, before_search=window.chat.render_all)
        self.find_bar.hide()
        chat_area = window.chat.parentWidget()
        chat_layout = chat_area.layout() if chat_area is not None else None
        if isinstance(chat_layout, QBoxLayout):
            chat_layout.insertWidget(chat_layout.indexOf(window.chat) + 1, self.find_bar)
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
        self.find_action.triggered.connect(self.find_bar.open)
        self.panel.result_chosen.connect(self.open_result)
        self.panel.dismissed.connect(self.hide_search)
        self.find_bar.closed.connect(window.composer.focus_editor)
        c.conversations_changed.connect(lambda _rows: service.sync())
        c.deleted.connect(service.remove)
        c.conversation_opened.connect(lambda _conv: self.find_bar.refresh())

    def show_search(self) -> None:
        self.panel.show()
        self.panel.focus_field()

    def hide_search(self) -> None:
        self.panel.hide()
        self.window.sidebar.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def open_result(self, conv_id: str, message_id: str | None) -> None:
        """Open the conversation of a search hit, scrolled to the message, the words found."""
        self.window.controller.open_conversation(conv_id)
        if message_id:
            self.window.chat.show_message(message_id)
        query = self.panel.field.text().strip()
        if query:
            self.find_bar.field.setText(query)
            self.find_bar.open()
