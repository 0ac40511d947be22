"""File ▸ Recently deleted: the trash, to restore conversations or delete them for good.

Deleted conversations stay in the trash for ``store.TRASH_DAYS`` days; the Undo button in the
status bar only reaches the last one. :class:`TrashDialog` only shows and reports: the main window
passes what the controller lists, and carries out what the user asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_desktop.core.store import TRASH_DAYS
from writer_desktop.core.titles import shown_title
from writer_desktop.core.trash import Trashed, TrashEntry

UNREADABLE = "(cannot be read)"
ENTRY_ROLE = Qt.ItemDataRole.UserRole


def when(entry: TrashEntry) -> str:
    """The deletion time in local time, e.g. ``2026-11-26 11:07``."""
    return entry.deleted_at.astimezone().strftime("%Y-%m-%d %H:%M")


class TrashDialog(QDialog):
    """Emits ``restore_requested(entries)`` and ``delete_requested(entries)`` (after asking)."""

    restore_requested = Signal(list)
    delete_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recently deleted")
        intro = QLabel(
            f"Deleted conversations are kept here for {TRASH_DAYS} days, then removed for good.",
            self,
        )
        intro.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("trashList")
        self.tree.setAccessibleName("Deleted conversations")
        self.tree.setHeaderLabels(["Conversation", "Messages", "Deleted"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel(f"Nothing was deleted in the last {TRASH_DAYS} days.", self)
        self.empty.setObjectName("trashEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        buttons = QDialogButtonBox(self)
        self.restore_button: QPushButton = buttons.addButton(
            "&Restore", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.delete_button: QPushButton = buttons.addButton(
            "&Delete for good…", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.restore_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(buttons)
        # Asked before deleting for good (replaced in tests): how many → go ahead?
        self.confirm_delete: Callable[[int], bool] = self._confirm_delete

        self.restore_button.clicked.connect(self._restore)
        self.delete_button.clicked.connect(self._delete)
        buttons.rejected.connect(self.reject)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemActivated.connect(lambda *_: self._restore())  # Enter, double-click
        self.resize(560, 380)

    def accept(self) -> None:
        """Enter restores the selection (the dialog closes once it is done, see ``_restore``)."""
        self._restore()

    def set_items(self, items: Sequence[Trashed]) -> None:
        """Show ``items`` (most recently deleted first); the first is selected."""
        self.tree.clear()
        italic = QFont(self.tree.font())
        italic.setItalic(True)
        for item in items:
            readable = item.messages is not None
            title = shown_title(item.title) if readable else UNREADABLE
            count = str(item.messages) if readable else "—"
            row = QTreeWidgetItem([title, count, when(item.entry)])
            row.setData(0, ENTRY_ROLE, item.entry)
            row.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            row.setToolTip(0, title)
            if not readable:
                row.setFont(0, italic)
            self.tree.addTopLevelItem(row)
        self._settle()

    def remove(self, entries: Sequence[TrashEntry]) -> None:
        """Take ``entries`` (deleted for good) off the list; the rest is as it was read."""
        gone = set(entries)
        for n in reversed(range(self.tree.topLevelItemCount())):
            row = self.tree.topLevelItem(n)
            if row is not None and row.data(0, ENTRY_ROLE) in gone:
                self.tree.takeTopLevelItem(n)
        self._settle()

    def _settle(self) -> None:
        """The list or the empty note, and the first row selected."""
        shown = self.tree.topLevelItemCount() > 0
        self.tree.setVisible(shown)
        self.empty.setVisible(not shown)
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
            self.tree.setFocus()
        self._update_buttons()

    def selected(self) -> list[TrashEntry]:
        """The selected entries, in the order shown."""
        rows = sorted(self.tree.selectedItems(), key=self.tree.indexOfTopLevelItem)
        return [row.data(0, ENTRY_ROLE) for row in rows]

    def _update_buttons(self) -> None:
        chosen = bool(self.tree.selectedItems())
        self.restore_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def _restore(self) -> None:
        entries = self.selected()
        if entries:
            self.restore_requested.emit(entries)
            super().accept()

    def _delete(self) -> None:
        entries = self.selected()
        if entries and self.confirm_delete(len(entries)):
            self.delete_requested.emit(entries)

    def _confirm_delete(self, count: int) -> bool:
        items = self.tree.selectedItems()
        if count == 1 and len(items) == 1:  # which one, not "this conversation"
            what = f"“{items[0].text(0)}”"
        else:
            what = "this conversation" if count == 1 else f"these {count} conversations"
        answer = QMessageBox.question(
            self,
            "Delete for good",
            f"Delete {what} for good? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes
