"""Help ▸ Keyboard shortcuts and Help ▸ About: what the keys do, and which copy this is.

The shortcuts are read from the window's own actions (menus, search) at the time they are shown,
so a key added to a menu is listed without being written down twice; the keys that belong to one
widget (Enter in the prompt, Del in the list) and the global quick-prompt key are added to them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_desktop import __version__

WIDGET_KEYS = (  # keys that belong to one part of the window, not to a menu
    ("Enter", "Send the message (in the prompt)"),
    ("Shift+Enter", "New line in the prompt"),
    ("Esc", "Stop the reply that is streaming"),
    ("Up", "Edit your last message (in the empty prompt)"),
    ("PgUp / PgDown", "Scroll the conversation (in the prompt)"),
    ("Ctrl+Home / Ctrl+End", "First / latest message (in the conversation)"),
    ("Tab", "The next link or Copy button (in the conversation)"),
    ("Del", "Delete the selected conversations (in the list)"),
    ("Ctrl+Z", "Undo typing (in the prompt or a text box; elsewhere, Undo delete)"),
    ("Shift+F10", "The menu of a message or a conversation"),
)


class ShortcutsDialog(QDialog):
    """A table of key → what it does; ``global_key`` is the quick prompt's, if one is set."""

    def __init__(
        self, parent: QWidget | None, menu_keys: Sequence[tuple[str, str]], global_key: str
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = list(menu_keys) + list(WIDGET_KEYS)
        if global_key:
            rows.append((global_key, "The quick prompt, from any program"))
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "What they do"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, (keys, does) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(does))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 520)

    def rows(self) -> list[tuple[str, str]]:
        def cell(row: int, column: int) -> str:
            item = self.table.item(row, column)
            return item.text() if item is not None else ""

        return [(cell(r, 0), cell(r, 1)) for r in range(self.table.rowCount())]


def menu_keys(shortcuts: dict[str, str]) -> list[tuple[str, str]]:
    """``MainWindow.own_shortcuts()`` without the Alt+letter of menus and labels, in order of
    what they do; keys shown as the platform writes them."""
    keys: dict[str, list[str]] = {}
    for portable, does in shortcuts.items():
        if portable.startswith("Alt+") and len(portable) == 5:
            continue  # a menu's or a label's underlined letter
        native = QKeySequence(portable).toString(QKeySequence.SequenceFormat.NativeText)
        keys.setdefault(does, []).append(native)
    return sorted(((" / ".join(k), does) for does, k in keys.items()), key=lambda r: r[1])


class AboutDialog(QDialog):
    """Name, version, the Python and Qt underneath, and where the conversations are."""

    def __init__(self, parent: QWidget | None, data_folder: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Writer Desktop")
        self.data_folder = data_folder / "conversations"  # docs/data-format.md: the files
        title = QLabel(f"<b>Writer Desktop</b> {__version__}", self)
        python = ".".join(map(str, sys.version_info[:3]))
        details = QLabel(
            f"A desktop assistant for Writer's Palmyra models.\n"
            f"Python {python}, Qt {qVersion()}.\n\n"
            f"Your conversations are in:\n{self.data_folder}",
            self,
        )
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        details.setWordWrap(True)
        self.details = details
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.show_folder_button = buttons.addButton(
            "Show &folder", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.show_folder_button.clicked.connect(self.show_folder)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(details)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def show_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data_folder)))
