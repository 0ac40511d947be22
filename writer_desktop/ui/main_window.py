"""The main window: sidebar | chat view over composer, menus, and the status bar.

All wiring between the children and the controller happens in :meth:`MainWindow._connect_signals`.
Geometry and the splitter are kept in a QSettings INI file chosen by the caller. Dialog classes
are imported where they are used: PySide6 builds a class (and its enums) on first import, and the
first frame needs none of them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QKeySequence,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractSlider,
    QApplication,
    QDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from writer_desktop.core.filenames import safe_stem
from writer_desktop.core.listing import Listing
from writer_desktop.core.models import Conversation, Role
from writer_desktop.core.settings import Settings
from writer_desktop.core.titles import shown_title

from .composer import Composer, model_choices
from .delete_undo import DeletedStack
from .menu_key import SHIFT_F10, open_context_menu
from .screen_fit import fitting
from .sidebar import Sidebar
from .theme import THEMES, ThemeSwitcher

if TYPE_CHECKING:  # the window is drawn before these are imported: see attach()
    from PySide6.QtWidgets import QMessageBox

    from writer_desktop.core.export import Format
    from writer_desktop.core.trash import TrashEntry

    from .chat_view import ChatView
    from .controller import Controller
    from .edit_dialog import EditDialog
    from .hotkey_service import HotkeyService
    from .problem_bar import ProblemBar
    from .settings_dialog import SettingsDialog
    from .trash_dialog import TrashDialog
    from .tray import Tray

UNDO_MS = 10_000
EXPORT_FILTERS = "Markdown (*.md);;JSON, importable (*.json)"
EXPORT_FOLDER, IMPORT_FOLDER = "export_folder", "import_folder"  # the dialogs' last folders


class MainWindow(QMainWindow):
    """Shows the controller's state and forwards what the user asks for.

    Built in two steps so that the window can be drawn before the slower half of the app is
    imported: the constructor makes every widget with the appearance settings in force;
    :meth:`attach` connects the controller (and the global shortcut and tray, if any).
    """

    controller: Controller  # set by attach(); nothing reaches it before (no signal is connected)
    chat: ChatView  # made in the constructor, or by attach() when ``defer_chat`` (see there)

    # A new key is wanted; the id of the reply that failed for the old one ("" from Settings),
    # which is sent again once the new key is in use.
    key_replacement_requested = Signal(str)
    closed = Signal()  # the window really closed (not hidden to the tray): the app ends

    def __init__(
        self,
        state: QSettings,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        theme: ThemeSwitcher | None = None,
        defer_chat: bool = False,
    ) -> None:
        """``defer_chat``: leave an empty placeholder where the conversation goes and make the
        chat view in :meth:`attach`. It shows nothing until a conversation is opened anyway,
        and it is the largest part of the window to import and build (about 25 ms), so the
        first frame does without it."""
        super().__init__(parent)
        self.setWindowTitle("Writer Desktop")
        self._state = state
        self._settings = settings
        self._theme = theme
        self._hotkeys: HotkeyService | None = None
        self.tray: Tray | None = None
        self._quitting = False
        self._ask_unsaved = True  # a quit whose replies could not be saved asks first
        # Set by the app: saves the drafts now, and says why they could not be (None: saved).
        self.save_drafts: Callable[[], str | None] | None = None
        self._cancelled_edits: dict[str, str] = {}  # message id: an edit cancelled, for the next
        self.has_closed = False  # closed for good (see :attr:`closed`)
        # File dialogs, replaceable in tests (a modal dialog would block them).
        self.ask_save_path: Callable[[str], tuple[str, str]] = self._ask_save_path
        self.ask_export_folder: Callable[[], tuple[str, Format]] = self._ask_export_folder
        self.ask_import_paths: Callable[[], list[str]] = self._ask_import_paths
        self.sidebar = Sidebar(self)
        self.composer = Composer(self)
        chat_area = QWidget(self)
        self._chat_layout = chat_layout = QVBoxLayout(chat_area)
        chat_layout.setContentsMargins(0, 6, 0, 0)
        self._chat_slot: QFrame | None = None
        if defer_chat:
            self._chat_slot = chat_slot(chat_area)
            chat_layout.addWidget(self._chat_slot, 1)
        else:
            self._make_chat()
        chat_layout.addWidget(self.composer)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(chat_area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 740])
        self.setCentralWidget(self.splitter)
        # What was deleted, beside Undo: a label of its own, since a menu's status tips wipe the
        # status bar's message and left the button alone.
        self.undo_label = QLabel(self)
        self.undo_label.setObjectName("undoLabel")
        self.undo_label.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_label.hide()
        self.statusBar().addPermanentWidget(self.undo_label)
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setAccessibleName("Undo delete")
        self.undo_button.setToolTip("Undo delete (Ctrl+Z)")
        self.undo_button.hide()
        self.statusBar().addPermanentWidget(self.undo_button)
        self._undo_timer = QTimer(self, singleShot=True, interval=UNDO_MS)
        self._undo_timer.timeout.connect(self._hide_undo)
        # Deleted this session, the latest last: Ctrl+Z brings them back in turn.
        self._deleted = DeletedStack()
        self._deleting: dict[str, tuple[str, int]] = {}  # id: (its title as listed, request)
        self._delete_request = 0  # numbers each delete asked; Del on a selection is one
        self.problems: ProblemBar | None = None  # made on the first problem
        self._build_menus()
        # The Menu key's twin for keyboards without one, in every widget of the window.
        menu_key = QShortcut(QKeySequence(SHIFT_F10), self)
        menu_key.activated.connect(lambda: open_context_menu(QApplication.focusWidget()))
        self._apply_appearance(settings)
        self.resize(fitting(QSize(1000, 700), self.screen()))
        self._restore_state()
        # Enter pressed before the app is ready (the controller attached and the key known) is
        # kept and acted on once it is: typing right after the window appears must not be lost.
        self._ready = False
        self._pending_send: str | None = None
        self.composer.submitted.connect(self._submit)

    def attach(
        self,
        controller: Controller,
        *,
        hotkeys: HotkeyService | None = None,
        tray: Tray | None = None,
    ) -> None:
        """Connect the controller: from now on the window shows its state and forwards input."""
        if self._chat_slot is not None:
            self._make_chat()
        self.controller = controller
        self._hotkeys = hotkeys
        self.tray = tray
        self._connect_signals()
        self._apply_settings(controller.settings)

    def _make_chat(self) -> None:
        """The chat view, in the placeholder's place if there is one."""
        from .chat_view import ChatView

        chat = ChatView(self._chat_layout.parentWidget())
        chat.set_text_scale(self._settings.text_scale)
        slot, self._chat_slot = self._chat_slot, None
        if slot is None:
            self._chat_layout.insertWidget(0, chat, 1)
        else:
            self._chat_layout.replaceWidget(slot, chat)
            slot.hide()
            slot.setParent(None)  # gone at once (Python owned, no longer referenced)
            chat.show()  # the layout would only queue it, the window being visible already
        self.chat = chat

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = QAction(
            "&New conversation", self, shortcut=QKeySequence(QKeySequence.StandardKey.New)
        )
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        self.settings_action = QAction("&Settings…", self, shortcut=QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.export_action = QAction("&Export conversation…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_all_action = QAction("Export &all…", self)
        self.import_action = QAction("&Import…", self)
        self.trash_action = QAction("Recently &deleted…", self)
        file_menu.addAction(self.new_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.export_all_action)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.trash_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        self.toggle_sidebar_action = QAction("Show &sidebar", self, checkable=True, checked=True)
        self.toggle_sidebar_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        view_menu.addAction(self.toggle_sidebar_action)
        view_menu.addSeparator()
        self.bigger_action = QAction("&Larger text", self)
        self.bigger_action.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
        self.smaller_action = QAction("S&maller text", self, shortcut=QKeySequence("Ctrl+-"))
        self.reset_size_action = QAction("&Actual size", self, shortcut=QKeySequence("Ctrl+0"))
        for action in (self.bigger_action, self.smaller_action, self.reset_size_action):
            view_menu.addAction(action)
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_actions = QActionGroup(self)
        for value, label in THEMES:
            action = QAction(label, self, checkable=True)
            action.setData(value)
            self.theme_actions.addAction(action)
            theme_menu.addAction(action)
        self._build_conversation_menu()
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("&Keyboard shortcuts", self)
        self.shortcuts_action.setShortcuts([QKeySequence("F1"), QKeySequence("Ctrl+/")])
        self.about_action = QAction("&About Writer Desktop", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def _build_conversation_menu(self) -> None:
        menu = self.conversation_menu = self.menuBar().addMenu("&Conversation")
        self.edit_last_action = QAction("&Edit last message…", self)
        self.edit_last_action.setToolTip("Edit your last message and resend it (Up when empty)")
        self.regenerate_action = QAction("&Regenerate last reply", self)
        self.regenerate_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        menu.addAction(self.edit_last_action)
        menu.addAction(self.regenerate_action)
        menu.addSeparator()
        # F2 anywhere in the window, not only in the list (Del stays the list's: it edits text)
        self.rename_action = QAction("Re&name…", self, shortcut=QKeySequence("F2"))
        self.delete_action = QAction("&Delete", self)
        # Ctrl+Z in the prompt stays the prompt's own undo (a text box takes its shortcuts first).
        self.undo_delete_action = QAction("&Undo delete", self, enabled=False)
        self.undo_delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        menu.addAction(self.rename_action)
        menu.addAction(self.delete_action)
        menu.addAction(self.undo_delete_action)
        menu.addSeparator()
        # From anywhere in the window, the prompt included, as tabs in a browser.
        self.next_action = QAction("Ne&xt conversation", self)
        self.next_action.setShortcuts([QKeySequence("Ctrl+PgDown"), QKeySequence("Ctrl+Tab")])
        self.previous_action = QAction("Pre&vious conversation", self)
        self.previous_action.setShortcuts(
            [QKeySequence("Ctrl+PgUp"), QKeySequence("Ctrl+Shift+Tab")]
        )
        menu.addAction(self.next_action)
        menu.addAction(self.previous_action)

    def _connect_signals(self) -> None:
        c = self.controller
        # user → controller
        self.sidebar.conversation_selected.connect(c.open_conversation)
        self.sidebar.new_requested.connect(self._new_conversation)
        self.sidebar.delete_requested.connect(self._delete)
        self.sidebar.deletes_requested.connect(self._delete_all)
        self.sidebar.rename_requested.connect(c.rename)
        self.next_action.triggered.connect(lambda: self.sidebar.step(+1))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action.triggered.connect(self.show_about)
        self.previous_action.triggered.connect(lambda: self.sidebar.step(-1))
        self.sidebar.pin_requested.connect(c.set_pinned)
        self.composer.options.system_prompt_changed.connect(
            lambda text: self.composer.options.show_prompt(c.set_system_prompt(text))
        )
        self.composer.options.params_changed.connect(c.set_params)
        self.settings_action.triggered.connect(self.open_settings)
        self.export_action.triggered.connect(self._export_current)
        self.export_all_action.triggered.connect(self._export_all)
        self.import_action.triggered.connect(self._import)
        self.sidebar.export_requested.connect(self.export_conversation)
        self.sidebar.export_many_requested.connect(self.export_conversations)
        self.theme_actions.triggered.connect(self._on_theme_chosen)
        self.composer.stop_requested.connect(c.stop)
        self.chat.escape_pressed.connect(self.composer.stop_if_busy)
        self.composer.model_chosen.connect(c.set_model)
        self.chat.retry_requested.connect(c.retry)
        self.chat.update_key_requested.connect(self.key_replacement_requested)
        self.chat.choose_model_requested.connect(self.composer.choose_model)
        self.chat.notice.connect(self.show_notice)
        self.bigger_action.triggered.connect(lambda: self._scale_text(+10))
        self.smaller_action.triggered.connect(lambda: self._scale_text(-10))
        self.reset_size_action.triggered.connect(lambda: self._scale_text(0))
        self.chat.continue_requested.connect(c.continue_reply)
        # A click on Retry or Continue in the chat took the focus: give it back to the prompt.
        self.chat.retry_requested.connect(self.composer.focus_editor)
        self.chat.continue_requested.connect(self.composer.focus_editor)
        self.chat.edit_requested.connect(self.edit_message)
        self.chat.regenerate_requested.connect(c.regenerate)
        self.chat.branch_requested.connect(c.branch_from)
        self.chat.version_requested.connect(c.switch_version)
        self.composer.edit_last_requested.connect(self._edit_last)
        self.composer.page_requested.connect(self._page_chat)
        self.edit_last_action.triggered.connect(self._edit_last)
        self.regenerate_action.triggered.connect(c.regenerate_last)
        self.new_action.triggered.connect(self._new_conversation)
        self.quit_action.triggered.connect(self.request_quit)
        self.toggle_sidebar_action.toggled.connect(self.sidebar.setVisible)
        self.undo_button.clicked.connect(self._undo_delete)
        self.undo_delete_action.triggered.connect(self._undo_delete)
        self.trash_action.triggered.connect(self.show_trash)
        self.rename_action.triggered.connect(self._rename_current)
        self.delete_action.triggered.connect(self._delete_current)
        self.composer.notice.connect(self.show_notice)
        # controller → widgets
        c.conversations_changed.connect(self._on_list)
        c.conversation_opened.connect(self._on_opened)
        c.version_shown.connect(self.chat.reveal)
        c.message_added.connect(self.chat.add_message)
        c.message_changed.connect(self.chat.update_message)
        c.reply_delta.connect(self.chat.append_delta)
        c.retry_scheduled.connect(self.chat.show_retry)
        c.busy_changed.connect(self._on_busy)
        c.deleted.connect(self._offer_undo)
        c.send_accepted.connect(self.composer.clear_text)
        c.models_loaded.connect(self._on_models)
        c.notice.connect(self.show_notice)
        c.problem.connect(self.show_problem)
        c.problem_in_folder.connect(self.show_problem)
        c.problem_solved.connect(self.withdraw_problem)
        c.settings_changed.connect(self._apply_settings)

    @property
    def ready(self) -> bool:
        """The controller is attached and the key known (see :meth:`set_ready`)."""
        return self._ready

    def set_ready(self) -> None:
        """The key is known: send what was submitted while the app was starting, if anything."""
        self._ready = True
        pending, self._pending_send = self._pending_send, None
        if pending is not None:
            self.controller.send(pending)

    def _submit(self, text: str) -> None:
        if self._ready:
            self.controller.send(text)
        elif text.strip():
            self._pending_send = text
            self.show_notice("Starting… your message will be sent in a moment.")

    # -- controller → widgets -----------------------------------------------------------------

    def _on_list(self, rows: Listing) -> None:
        self.sidebar.set_conversations(rows)
        shown = self.controller.current_id
        if shown is not None and shown != self.sidebar.current_id():
            # A row clicked could not be opened (its file set aside): the chat still shows this.
            self.sidebar.hold(shown)
        if self._deleted:  # back already (Recently deleted): not to undo again
            self._no_undo_for(self.sidebar.model.present(self._deleted.ids()))

    def _on_opened(self, conv: Conversation) -> None:
        self.composer.options.flush()  # an edit still pending belongs to the previous one
        self.sidebar.select(conv.id)
        self.chat.show_conversation(conv)
        self.composer.options.show_options(conv.system_prompt, conv.params)

    def _on_busy(self, conv_id: str, busy: bool) -> None:
        if conv_id == self.controller.current_id:
            self.composer.set_busy(busy)
        self.sidebar.model.set_streaming(conv_id, busy)

    def _on_models(self, models: Sequence[str], current: str) -> None:
        self.composer.set_models(model_choices(models, current), current)

    def show_notice(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_problem(self, text: str, folder: Path | None = None) -> None:
        """Told in a bar over the prompt, never a dialog: it must not take the keyboard from
        someone typing (``ui/problem_bar.py``), nor run a nested event loop in a reply task."""
        if self.problems is None:
            from .problem_bar import ProblemBar

            self.problems = ProblemBar(self._chat_layout.parentWidget())
            self._chat_layout.insertWidget(self._chat_layout.indexOf(self.composer), self.problems)
        self.problems.add(text, folder)

    def withdraw_problem(self, text: str) -> None:
        """``text``, told before, no longer holds."""
        if self.problems is not None:
            self.problems.withdraw(text)

    def _apply_settings(self, settings: Settings) -> None:
        """Put the settings the window owns in force (the controller applied the rest)."""
        self._apply_appearance(settings)
        if self._hotkeys is not None:
            self._hotkeys.apply(settings)
            if self.tray is not None:
                self.tray.set_quick_shortcut(self._hotkeys.sequence or "")

    def _apply_appearance(self, settings: Settings) -> None:
        self._settings = settings
        self.composer.set_text_scale(settings.text_scale)
        if self._chat_slot is None:
            self.chat.set_text_scale(settings.text_scale)
        if self._theme is not None:
            self._theme.apply(settings.theme)
        for action in self.theme_actions.actions():
            action.setChecked(action.data() == settings.theme)

    def bring_to_front(self) -> None:
        """Another launch asked for this window (single instance)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        self.composer.focus_editor()

    # -- user actions -------------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        """Show the settings dialog (non-blocking); OK applies and saves through the controller."""
        from .settings_dialog import SettingsDialog  # only when asked for

        c = self.controller
        dialog = SettingsDialog(
            c.settings, c.key_info, c.models,
            base_url_from_env=os.environ.get("WRITER_BASE_URL", "").strip(), parent=self,
            hotkey_mechanism=self._hotkeys.mechanism if self._hotkeys else None,
            hotkey_problem=self._hotkeys.problem if self._hotkeys else "",
            tray_available=self.tray is not None, taken_shortcuts=self.own_shortcuts(),
        )  # fmt: skip
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.settings_accepted.connect(c.apply_settings)
        # The key is replaced or removed at once, on top of the dialog, which stays open with
        # its other edits (closing it threw them away) and shows the key now in use.
        dialog.remove_key_requested.connect(self._remove_key)
        dialog.replace_key_requested.connect(self._replace_key)
        c.key_changed.connect(dialog.show_key)
        dialog.open()
        return dialog

    def show_shortcuts(self) -> QDialog:
        """Help ▸ Keyboard shortcuts: every key of the window, read from its actions."""
        from .help_dialogs import ShortcutsDialog, menu_keys

        quick = self._hotkeys.sequence if self._hotkeys is not None else ""
        dialog = ShortcutsDialog(self, menu_keys(self.own_shortcuts()), quick or "")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_about(self) -> QDialog:
        from .help_dialogs import AboutDialog

        dialog = AboutDialog(self, self.controller.data_folder)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def own_shortcuts(self) -> dict[str, str]:
        """The window's key combinations (portable text) and what each does: menu shortcuts,
        and Alt plus the underlined letter of its menus, labels and buttons."""
        from PySide6.QtWidgets import QAbstractButton

        found: dict[str, str] = {}
        for action in self.findChildren(QAction):
            name = action.text().replace("&", "").rstrip("…")
            for sequence in action.shortcuts():
                found.setdefault(sequence.toString(QKeySequence.SequenceFormat.PortableText), name)
        texts = [a.text() for a in self.menuBar().actions()]
        texts += [w.text() for w in self.findChildren(QLabel)]
        texts += [w.text() for w in self.findChildren(QAbstractButton)]
        for text in texts:
            plain = text.replace("&&", "")
            at = plain.find("&")
            if 0 <= at < len(plain) - 1:
                name = plain.replace("&", "").rstrip(":…")
                found.setdefault(f"Alt+{plain[at + 1].upper()}", name)
        return found

    def edit_message(self, message_id: str) -> EditDialog:
        """Ask for the new text of your message (non-blocking); Resend sends it, the old one and
        what followed it are kept as a version."""
        from .edit_dialog import EditDialog

        original = self.chat.message_text(message_id)
        dialog = EditDialog(self._cancelled_edits.pop(message_id, original), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resend.connect(lambda text: self._resend(message_id, text))

        def keep_cancelled() -> None:  # Esc is quick to press: the next Edit brings it back
            if dialog.text() != original.rstrip():
                self._cancelled_edits[message_id] = dialog.editor.text()

        dialog.rejected.connect(keep_cancelled)
        dialog.open()
        return dialog

    def _resend(self, message_id: str, text: str) -> None:
        if text != self.chat.message_text(message_id).rstrip():  # unchanged: nothing to resend
            self.controller.edit_message(message_id, text)

    def _page_chat(self, pages: int) -> None:
        """PageUp / PageDown in the prompt scroll the conversation, as in a terminal's chat."""
        bar = self.chat.verticalScrollBar()
        step = QAbstractSlider.SliderAction
        bar.triggerAction(step.SliderPageStepAdd if pages > 0 else step.SliderPageStepSub)

    def _edit_last(self) -> None:
        message_id = self.controller.last_message_id(Role.USER)
        if message_id is not None:
            self.edit_message(message_id)

    def export_conversation(self, conv_id: str) -> None:
        """Ask where, then write one conversation as Markdown (or JSON, by the chosen filter)."""
        conv = self.controller.current_conversation()
        title = conv.title if conv is not None and conv.id == conv_id else ""
        path, chosen = self.ask_save_path(safe_stem(title) + ".md")
        if path:
            target, fmt = export_target(path, chosen)
            # The file dialog asked before replacing the name it returned, not another one.
            self.controller.export([conv_id], target, fmt, replace=str(target) == path)

    def _export_current(self) -> None:
        conv_id = self.controller.current_id
        conv = self.controller.current_conversation()
        if conv_id is None or conv is None or not conv.messages:
            self.show_notice("There is nothing to export in this conversation yet.")
            return
        self.export_conversation(conv_id)

    def _export_all(self) -> None:
        folder, fmt = self.ask_export_folder()
        if folder:
            self.controller.export_all(Path(folder), fmt)

    def export_conversations(self, conv_ids: Sequence[str]) -> None:
        """Several selected conversations, each to its own file in a folder the user picks."""
        folder, fmt = self.ask_export_folder()
        if folder:
            self.controller.export(list(conv_ids), Path(folder), fmt)

    def _import(self) -> None:
        paths = self.ask_import_paths()
        if paths:
            self.controller.import_files([Path(p) for p in paths])

    def _ask_save_path(self, suggested: str) -> tuple[str, str]:
        from PySide6.QtWidgets import QFileDialog

        start = str(self._folder(EXPORT_FOLDER) / suggested)
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export conversation", start, EXPORT_FILTERS
        )
        if path:
            self._state.setValue(EXPORT_FOLDER, str(Path(path).parent))
        return path, chosen

    def _ask_export_folder(self) -> tuple[str, Format]:
        """A folder and a format; ``""`` if the user cancelled either question."""
        from PySide6.QtWidgets import QFileDialog

        start = str(self._folder(EXPORT_FOLDER))
        folder = QFileDialog.getExistingDirectory(self, "Export conversations to", start)
        if not folder:
            return "", "markdown"
        self._state.setValue(EXPORT_FOLDER, folder)
        box = export_format_box(self)
        box.exec()
        fmt = chosen_format(box)
        box.deleteLater()
        return (folder, fmt) if fmt is not None else ("", "markdown")

    def _ask_import_paths(self) -> list[str]:
        from PySide6.QtWidgets import QFileDialog

        paths, _ = QFileDialog.getOpenFileNames(
            self, "Import conversations", str(self._folder(IMPORT_FOLDER)),
            "Writer Desktop JSON (*.json)",
        )  # fmt: skip
        if paths:
            self._state.setValue(IMPORT_FOLDER, str(Path(paths[0]).parent))
        return paths

    def _folder(self, key: str) -> Path:
        """Where the file dialog for ``key`` was last left, if it is still there; else home."""
        value = self._state.value(key)
        folder = Path(value) if isinstance(value, str) and value else None
        return folder if folder is not None and folder.is_dir() else Path.home()

    def show_trash(self) -> TrashDialog:
        """File ▸ Recently deleted: restore conversations, or delete them for good."""
        from .trash_dialog import TrashDialog

        dialog = TrashDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.set_items(self.controller.trash_contents())

        dialog.restore_requested.connect(self.controller.restore_from_trash)
        # only those rows go: reading every trashed file again would take as long as opening
        dialog.delete_requested.connect(lambda entries: self._delete_for_good(dialog, entries))
        dialog.open()
        return dialog

    def _delete_for_good(self, dialog: TrashDialog, entries: list[TrashEntry]) -> None:
        removed = self.controller.delete_for_good(entries)
        dialog.remove(removed)
        # Ctrl+Z can no longer bring them back: it told "This conversation is not in the trash."
        self._no_undo_for({entry.id for entry in removed})

    def _listed_current(self) -> str | None:
        """The open conversation's id if it is in the list (it has messages), else None (and
        the user is told why nothing happens)."""
        conv_id = self.controller.current_id
        if conv_id is None or self.sidebar.model.row_of(conv_id) < 0:
            self.show_notice("A new conversation is named after its first message.")
            return None
        return conv_id

    def _rename_current(self) -> None:
        conv_id = self._listed_current()
        if conv_id is not None:
            self.sidebar.filter.clear()  # the row must be shown to be edited
            self.sidebar.select(conv_id)
            self.sidebar.view.setFocus()
            self.sidebar.view.edit(self.sidebar.view.currentIndex())

    def _delete_current(self) -> None:
        conv_id = self._listed_current()
        if conv_id is not None:
            self._delete(conv_id)

    def _delete(self, conv_id: str) -> None:
        """Delete; if it is the open one, the list moves on to the next (Del, Del, … works)."""
        self._delete_all([conv_id])

    def _delete_all(self, conv_ids: list[str]) -> None:
        """Delete ``conv_ids`` as one delete (Del on a selection): one Undo brings them back."""
        self._delete_request += 1
        for conv_id in conv_ids:
            title = self.sidebar.title_of(conv_id) or ""
            self._deleting[conv_id] = (title, self._delete_request)
        shown = self.controller.current_id
        then_open = None
        if shown in conv_ids:
            then_open = self.sidebar.neighbour_of(shown, going=set(conv_ids))
            # First: Undo opens the first it brings back, which is to be the one you were in.
            conv_ids = [shown, *(c for c in conv_ids if c != shown)]
        self.controller.delete(conv_ids, then_open=then_open)

    def _remove_key(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from writer_desktop.core.secrets import KeySource

        where = (
            "Stop using the Writer API key given for this session?"
            if self.controller.key_info.source is KeySource.SESSION
            else "Remove the Writer API key from the system keyring?"
        )
        answer = QMessageBox.question(
            QApplication.activeModalWidget() or self, "Remove API key",
            f"{where} You will be asked for a key the next time Writer Desktop needs one.",
        )  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.forget_key()

    def _replace_key(self) -> None:
        self.key_replacement_requested.emit("")

    def _scale_text(self, step: int) -> None:
        """Ctrl+= / Ctrl+- / Ctrl+0: the chat's text size, kept in the settings."""
        current = self.controller.settings.text_scale
        scale = 100 if step == 0 else max(50, min(300, current + step))
        if scale != current:
            self.controller.apply_settings(
                dataclasses.replace(self.controller.settings, text_scale=scale)
            )
        self.show_notice(f"Text size {scale} %")

    def _on_theme_chosen(self, action: QAction) -> None:
        theme = str(action.data())
        if theme != self.controller.settings.theme:
            self.controller.apply_settings(
                dataclasses.replace(self.controller.settings, theme=theme)  # type: ignore[arg-type]
            )

    def _new_conversation(self) -> None:
        self.controller.new_conversation()
        self.composer.focus_editor()

    def _offer_undo(self, conv_ids: list[str]) -> None:
        """The button shows for a while; Ctrl+Z (Conversation ▸ Undo delete) stays while a
        conversation deleted this session is not back, and brings them back latest first."""
        for conv_id in conv_ids:
            title, request = self._deleting.pop(conv_id, ("", -1))
            self._deleted.push(conv_id, title, request)
        self._show_undo()

    def _no_undo_for(self, conv_ids: set[str]) -> None:
        """Ctrl+Z is no longer to bring back ``conv_ids`` (back already, or deleted for good)."""
        if self._deleted.forget(conv_ids):
            self._show_undo(again=False)

    def _show_undo(self, *, again: bool = True) -> None:
        """Offer to undo the latest delete not undone yet (the button for a while, if
        ``again``); nothing when there is none."""
        if not self._deleted:
            self._undo_timer.stop()
            self._hide_undo()
            self.undo_delete_action.setEnabled(False)
            return
        count, title = self._deleted.latest()
        metrics = self.undo_label.fontMetrics()
        shown = metrics.elidedText(
            shown_title(title), Qt.TextElideMode.ElideRight, 16 * metrics.height()
        )
        if count > 1:
            self.undo_label.setText(f"Deleted {count} conversations")
        else:
            self.undo_label.setText(f"Deleted “{shown}”" if title else "Deleted")
        self.undo_delete_action.setEnabled(True)
        if again:
            self.undo_label.show()
            self.undo_button.show()
            self._undo_timer.start()

    def _undo_delete(self) -> None:
        conv_ids = self._deleted.pop()
        if not conv_ids:
            return
        self._show_undo(again=False)  # the button leaves; Ctrl+Z goes on with the one before
        self._hide_undo()
        self.controller.restore(conv_ids)

    def _hide_undo(self) -> None:
        self.undo_button.hide()
        self.undo_label.hide()

    # -- window state -------------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self._state.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self._state.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def request_quit(self, *, ask: bool = True) -> None:
        """Quit for real (File ▸ Quit, the tray's Quit), even when closing would only hide.
        Without ``ask`` (log-out, a signal) text that could not be saved is not asked about."""
        self._quitting = True
        self._ask_unsaved = self._ask_unsaved and ask
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._state.setValue("geometry", self.saveGeometry())
        self._state.setValue("splitter", self.splitter.saveState())
        self._state.sync()
        if self.tray is not None and self._settings.close_to_tray and not self._quitting:
            event.ignore()  # keep running in the tray, so the global shortcut keeps working
            self.hide()
            self.show_notice("Writer Desktop is still running in the tray.")
            return
        controller = getattr(self, "controller", None)
        if (
            self._ask_unsaved
            and controller is not None
            and (controller.must_settle() or self._drafts_failing())
        ):
            # Replies are stopped and saved first: a save that fails (the disk full) must be
            # told before the text it holds is lost.
            event.ignore()
            self._ask_unsaved = False  # once; the answer decides
            controller.spawn(self._quit_when_saved())
            return
        super().closeEvent(event)
        self.has_closed = True
        self.closed.emit()

    async def _quit_when_saved(self) -> None:
        """Stop the replies and save what could not be saved; while that fails, ask whether to
        try again (after freeing space), quit and lose it, or stay."""
        await self.controller.stop_replies()
        while (reason := self._not_saved()) is not None:
            answer = await ask_unsaved(self, *reason)
            if answer == "cancel":
                self._quitting = False
                self._ask_unsaved = True
                return
            if answer == "quit":
                break
        self._quitting = True
        self.close()

    def _drafts_failing(self) -> bool:
        """Whether the drafts (text typed and not sent) cannot be saved now."""
        return self.save_drafts is not None and self.save_drafts() is not None

    def _not_saved(self) -> tuple[str, list[str]] | None:
        """Try to save what could not be; why it still cannot, and what is not saved."""
        reason = self.controller.save_unsaved()
        what = [f"the reply in “{title}”" for title in self.controller.unsaved_titles()]
        drafts = self.save_drafts() if self.save_drafts is not None else None
        if drafts is not None:
            reason = reason or drafts
            what.append("text you typed and did not send")
        return (reason, what) if reason is not None else None


async def ask_unsaved(parent: QWidget, reason: str, what: Sequence[str] = ()) -> str:
    """ "retry", "quit" or "cancel" (also Esc), asked without a nested event loop; ``what`` is
    not saved, and ``reason`` says why."""
    import asyncio

    from PySide6.QtWidgets import QMessageBox

    lost = " and ".join(what) if what else "text that could not be saved"
    text = f"Quitting now would lose {lost}."
    box = QMessageBox(QMessageBox.Icon.Warning, "Not saved", text, parent=parent)
    box.setInformativeText(reason)  # what failed, and what to do ("Free some space and try again.")
    box.setObjectName("unsavedBox")
    retry = box.addButton("&Try again", QMessageBox.ButtonRole.AcceptRole)
    quit_anyway = box.addButton("&Quit without saving", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(retry)
    done: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def answered() -> None:
        clicked = box.clickedButton()
        if not done.done():
            done.set_result("retry" if clicked is retry else "quit" if clicked is quit_anyway
                            else "cancel")  # fmt: skip

    box.finished.connect(answered)
    box.open()
    try:
        return await done
    finally:
        box.deleteLater()


def chat_slot(parent: QWidget) -> QFrame:
    """What stands where the chat view will be: the same frame on the same background."""
    slot = QFrame(parent)
    slot.setObjectName("chatSlot")
    slot.setFrameStyle(QFrame.Shape.StyledPanel | QFrame.Shadow.Sunken)
    slot.setBackgroundRole(QPalette.ColorRole.Base)
    slot.setAutoFillBackground(True)
    return slot


def export_format_box(parent: QWidget) -> QMessageBox:
    """Markdown, JSON or Cancel (Esc and closing the box cancel: nothing is written)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, "Export", "Export as Markdown, for reading, or "
                      "as JSON files that can be imported again?", parent=parent)  # fmt: skip
    markdown = box.addButton("&Markdown", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("&JSON", QMessageBox.ButtonRole.AcceptRole).setObjectName("json")
    box.addButton(QMessageBox.StandardButton.Cancel)
    markdown.setObjectName("markdown")
    box.setDefaultButton(markdown)
    return box


def chosen_format(box: QMessageBox) -> Format | None:
    """What :func:`export_format_box` was answered; None for Cancel, Esc or closing it."""
    name = box.clickedButton().objectName() if box.clickedButton() is not None else ""
    return "markdown" if name == "markdown" else "json" if name == "json" else None


def export_target(path: str, chosen_filter: str) -> tuple[Path, Format]:
    """The file and format for a path and filter from the save dialog: the format is the
    filter's (or, with none, the name's), and a name without an extension, or with the other
    format's, gets the chosen format's; an extension of the user's own choosing stays."""
    from writer_desktop.core.export import EXTENSIONS

    target = Path(path)
    suffix = target.suffix.lower()
    if chosen_filter:
        fmt: Format = "json" if chosen_filter.startswith("JSON") else "markdown"
    else:
        fmt = "json" if suffix == ".json" else "markdown"
    own = (".md", ".markdown") if fmt == "markdown" else (".json",)
    if suffix in ("", ".md", ".markdown", ".json") and suffix not in own:  # none, or the other's
        target = target.with_suffix(EXTENSIONS[fmt])
    return target, fmt
