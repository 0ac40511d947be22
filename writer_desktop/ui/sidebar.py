"""The conversation list: filter, New, Delete key, F2 or double-click to rename in place."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from writer_desktop.core.listing import Listing
from writer_desktop.core.titles import clean_title, clip, folded, shown_title

from .focus_list import FocusShowingList

if TYPE_CHECKING:  # only named here (PySide6 builds the type when Qt first passes one in)
    from collections.abc import Collection, Iterable

    from PySide6.QtWidgets import QStyleOptionViewItem

    from .hint_label import HintLabel

ID_ROLE = Qt.ItemDataRole.UserRole + 1
PINNED_ROLE = Qt.ItemDataRole.UserRole + 2
FOLDED_ROLE = Qt.ItemDataRole.UserRole + 3  # the title as the filter compares it
AnyIndex = QModelIndex | QPersistentModelIndex


class ConversationListModel(QAbstractListModel):
    """Summary rows in the store's order (pinned first, then most recent); titles editable.

    Only what the list shows is kept, packed (``core.listing.Listing``): ~80 bytes a row.
    """

    rename_requested = Signal(str, str)  # conversation id, new title

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows = Listing()
        self._drafted: frozenset[str] = frozenset()
        self._streaming: frozenset[str] = frozenset()  # ids with a reply being written now
        self._folded: dict[str, str] = {}  # title → as the filter compares it

    def set_rows(self, rows: Listing) -> None:
        self.beginResetModel()
        self._rows = rows
        if len(self._folded) > 2 * len(rows) + 1000:  # titles gone or renamed: start again
            self._folded = {}
        self.endResetModel()

    def set_drafted(self, ids: frozenset[str]) -> None:
        """Mark the rows of ``ids`` as having unsent text (✎)."""
        changed, self._drafted = ids ^ self._drafted, ids
        self._repaint(changed)

    def set_streaming(self, conv_id: str, streaming: bool) -> None:
        """Mark ``conv_id``'s row as having a reply being written (●), or no longer: one
        streaming in a conversation not shown looked like any other."""
        ids = self._streaming | {conv_id} if streaming else self._streaming - {conv_id}
        changed, self._streaming = ids ^ self._streaming, ids
        self._repaint(changed)

    def _repaint(self, conv_ids: frozenset[str]) -> None:
        """Draw the rows of ``conv_ids`` again (a marker came or went)."""
        for conv_id in conv_ids:
            row = self.row_of(conv_id)
            if row >= 0:
                self.dataChanged.emit(self.index(row), self.index(row))

    def row_of(self, conv_id: str) -> int:
        return self._rows.row_of(conv_id)

    def present(self, conv_ids: Iterable[str]) -> set[str]:
        """Those of ``conv_ids`` that are listed."""
        return self._rows.present(conv_ids)

    def title(self, row: int) -> str:
        return self._rows.title(row)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        rows, n = self._rows, index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            drafted = "✎ " if self._drafted and rows.id(n) in self._drafted else ""
            writing = "● " if self._streaming and rows.id(n) in self._streaming else ""
            pin = "📌 " if rows.pinned(n) else ""
            return pin + writing + drafted + shown_title(rows.title(n))
        if role == Qt.ItemDataRole.EditRole:  # as shown, but blank stays blank
            return clean_title(rows.title(n))
        if role == Qt.ItemDataRole.ToolTipRole:
            row = rows[n]
            tip = f"{shown_title(row.title)}\n{row.message_count} messages · {row.model}"
            tip += "\nA reply is being written (●)" if row.id in self._streaming else ""
            return tip + ("\nUnsent text (✎)" if row.id in self._drafted else "")
        if role == ID_ROLE:
            return rows.id(n)
        if role == PINNED_ROLE:
            return rows.pinned(n)
        if role == FOLDED_ROLE:  # asked for only while the filter holds text
            key = rows.title(n)
            found = self._folded.get(key)
            if found is None:  # folding 10,000 titles at each keystroke took 50 ms
                found = self._folded[key] = folded(shown_title(key))
            return found
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.isValid() else base

    def setData(self, index: AnyIndex, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        title = str(value).strip()
        if title == clean_title(self._rows.title(index.row())):  # unchanged as shown
            return False
        self.rename_requested.emit(self._rows.id(index.row()), title)
        return True


class FittingRows(QStyledItemDelegate):
    """Rows as wide as the list, whatever their title: a long title is cut with "…". With
    uniform item sizes Qt sized every row after one of them, and after a delete that was the
    long one: no "…", and a scroll bar sideways."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(1, super().sizeHint(option, index).height())


class ConversationList(FocusShowingList):
    """The list view; the Delete key asks to delete the current row."""

    delete_pressed = Signal()
    released = Signal()  # a mouse button let go, after the view has handled it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(FittingRows(self))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.released.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete and self.state() != self.State.EditingState:
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)


class FilterField(QLineEdit):
    """The filter box: Down goes into the list, Enter opens the first conversation listed."""

    down_pressed = Signal()
    enter_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Qt's clear button shows only over text, and turning it on loads its icon: ~6 ms before
        # the first frame. It is turned on with the first text instead, which looks the same.
        self.textChanged.connect(self._on_text)

    def _on_text(self, text: str) -> None:
        if text and not self.isClearButtonEnabled():
            self.setClearButtonEnabled(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.down_pressed.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter_pressed.emit()
            return
        super().keyPressEvent(event)


class Sidebar(QWidget):
    """Emits what the user asked for; the controller answers with a new list."""

    conversation_selected = Signal(str)
    new_requested = Signal()
    delete_requested = Signal(str)
    deletes_requested = Signal(list)  # several ids at once (Del on a selection), the current last
    rename_requested = Signal(str, str)
    pin_requested = Signal(str, bool)  # conversation id, pinned
    export_requested = Signal(str)
    export_many_requested = Signal(list)  # conversation ids (a selection of several)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ConversationListModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(FOLDED_ROLE)
        self.filter = FilterField(self)
        self.filter.setObjectName("conversationFilter")
        self.filter.setAccessibleName("Filter conversations")
        self.filter.setPlaceholderText("Filter conversations")
        self.new_button = QPushButton("&New conversation", self)
        self.new_button.setObjectName("newButton")
        self.new_button.setAccessibleName("New conversation")
        self.view = ConversationList(self)
        self._held: str | None = None  # see hold
        self.view.released.connect(self._on_released)
        self.view.setObjectName("conversationList")
        self.view.setAccessibleName("Conversations")
        self.view.setModel(self.proxy)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
        )
        self.view.setUniformItemSizes(True)
        # Ctrl/Shift+click select several conversations (to export them together).
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addWidget(self.new_button)
        layout.addWidget(self.filter)
        self._no_match: HintLabel | None = None  # made when the filter first leaves no row
        layout.addWidget(self.view, 1)
        QWidget.setTabOrder(self.new_button, self.filter)  # Tab goes down the column as shown
        QWidget.setTabOrder(self.filter, self.view)
        self._current: str | None = None

        self.filter.textChanged.connect(self._on_filter)
        self.filter.down_pressed.connect(lambda: self._into_list(first=False))
        self.filter.enter_pressed.connect(lambda: self._into_list(first=True))
        self.new_button.clicked.connect(self.new_requested)
        self.model.rename_requested.connect(self.rename_requested)
        self.view.delete_pressed.connect(self._on_delete)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

    def _on_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(folded(text))
        self._tell_no_match()

    @property
    def no_match(self) -> HintLabel:
        """The hint under the filter while it leaves the list empty; made on first use (its
        muted colour costs ~7 ms of imports and palette work before the first paint)."""
        if self._no_match is None:
            from .hint_label import HintLabel

            label = self._no_match = HintLabel(parent=self)
            label.setObjectName("noMatch")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.hide()
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(layout.indexOf(self.filter) + 1, label)
        return self._no_match

    def _tell_no_match(self) -> None:
        """Say so when the filter leaves no row, and where to look instead."""
        text = self.filter.text().strip()
        empty = bool(text) and self.proxy.rowCount() == 0
        if not empty and self._no_match is None:
            return
        if empty:
            shown = clip(text, 40)
            self.no_match.setText(
                f"No conversation title has “{shown}”. Search all conversations (Ctrl+Shift+F) "
                "looks in what they say."
            )
        self.no_match.setVisible(empty)

    def _into_list(self, *, first: bool) -> None:
        """From the filter box into the list: at the conversation shown if it is listed (Down),
        else, or with ``first`` (Enter), at the first one listed, which opens."""
        if self.proxy.rowCount() == 0:
            return
        self.view.setFocus(Qt.FocusReason.TabFocusReason)
        if first or not self.view.currentIndex().isValid():
            self.view.setCurrentIndex(self.proxy.index(0, 0))

    def set_conversations(self, rows: Listing) -> None:
        # A rename in place publishes the list while its editor has the focus; the model's
        # reset destroys the editor, and Qt gave the focus to the next widget (the prompt).
        focused = QApplication.focusWidget()
        in_list = focused is not None and (focused is self.view or self.view.isAncestorOf(focused))
        self.model.set_rows(rows)
        self.select(self._current)
        if in_list:
            self.view.setFocus()
        if self.filter.text():
            self._tell_no_match()

    def hold(self, conv_id: str) -> None:
        """Select ``conv_id`` and keep it selected through the click going on: a row clicked that
        could not be opened left the list, and the button's release selected the row that took
        its place, though the chat still showed ``conv_id``."""
        self.select(conv_id)
        if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self._held = conv_id

    def _on_released(self) -> None:
        held, self._held = self._held, None
        if held is not None and held == self._current:
            self.select(held)

    def select(self, conv_id: str | None) -> None:
        """Highlight ``conv_id`` without emitting ``conversation_selected``."""
        self._current = conv_id
        row = self.model.row_of(conv_id) if conv_id else -1
        index = self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else QModelIndex()
        # Not emitted again: _on_current ignores the conversation already in self._current.
        # (Blocking the signals instead would keep the view from repainting, and asking for its
        # viewport() makes PySide6 build some 40 widget classes, ~10 ms of the first frame.)
        selection = self.view.selectionModel()
        if index.isValid():
            selection.setCurrentIndex(index, selection.SelectionFlag.ClearAndSelect)
        else:
            selection.clear()

    def title_of(self, conv_id: str) -> str | None:
        """The title of ``conv_id`` as listed (None if it is not)."""
        row = self.model.row_of(conv_id)
        return self.model.title(row) if row >= 0 else None

    def current_id(self) -> str | None:
        index = self.view.currentIndex()
        return str(index.data(ID_ROLE)) if index.isValid() else None

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        conv_id = current.data(ID_ROLE) if current.isValid() else None
        if conv_id and conv_id != self._current:
            self._current = str(conv_id)
            self.conversation_selected.emit(str(conv_id))

    def _on_delete(self) -> None:
        """Del: the selected conversations (only the current one was, the rest left without a
        word)."""
        conv_id = self.current_id()
        chosen = self.selected_ids()
        if not conv_id:
            return
        if conv_id in chosen and len(chosen) > 1:  # one delete, undone as one
            self.deletes_requested.emit(chosen)
        else:
            self.delete_requested.emit(conv_id)

    def step(self, delta: int) -> None:
        """Open the conversation ``delta`` rows below (above if negative) the open one, as
        filtered and shown; a new conversation not listed yet steps to the first row."""
        row = self.model.row_of(self._current) if self._current else -1
        at = self.proxy.mapFromSource(self.model.index(row, 0)).row() if row >= 0 else -1
        target = 0 if at < 0 else at + delta
        index = self.proxy.index(target, 0)
        if index.isValid():
            self.view.setCurrentIndex(index)  # opens it (_on_current), and shows the row
            self.view.scrollTo(index)

    def neighbour_of(self, conv_id: str, going: Collection[str] = ()) -> str | None:
        """The conversation listed below ``conv_id`` (above it if it is the last), as filtered
        and shown, and not one of ``going``: where the list goes once they are deleted."""
        row = self.model.row_of(conv_id)
        if row < 0:
            return None
        at = self.proxy.mapFromSource(self.model.index(row, 0)).row()
        if at < 0:
            return None
        count = self.proxy.rowCount()
        for near in itertools.chain(range(at + 1, count), range(at - 1, -1, -1)):
            found = str(self.proxy.index(near, 0).data(ID_ROLE))
            if found not in going:
                return found
        return None

    def selected_ids(self) -> list[str]:
        """The selected conversations, in list order."""
        rows = sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [str(index.data(ID_ROLE)) for index in rows]

    def context_actions(self, index: QModelIndex) -> list[QAction]:
        """Rename, Pin/Unpin, Export and Delete for the conversation at ``index``."""
        conv_id = str(index.data(ID_ROLE))
        pinned = bool(index.data(PINNED_ROLE))
        rename = QAction("&Rename", self)
        rename.triggered.connect(lambda: self.view.edit(index))
        pin = QAction("Un&pin" if pinned else "&Pin to top", self)
        pin.triggered.connect(lambda: self.pin_requested.emit(conv_id, not pinned))
        chosen = self.selected_ids()
        if len(chosen) > 1 and conv_id in chosen:
            export = QAction(f"&Export {len(chosen)} selected…", self)
            export.triggered.connect(lambda: self.export_many_requested.emit(chosen))
        else:
            export = QAction("&Export…", self)
            export.triggered.connect(lambda: self.export_requested.emit(conv_id))
        delete = QAction("&Delete", self)
        delete.triggered.connect(lambda: self.delete_requested.emit(conv_id))
        return [rename, pin, export, delete]

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in self.context_actions(index):
            action.setParent(menu)
            menu.addAction(action)
        menu.popup(self.view.viewport().mapToGlobal(pos))
