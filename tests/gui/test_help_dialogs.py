"""Help ▸ Keyboard shortcuts lists every key of the window; Help ▸ About says which copy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import activated, main_window, run_scenario, until
from writer_desktop import __version__
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.help_dialogs import AboutDialog, ShortcutsDialog


def test_the_shortcuts_are_the_windows_own_and_f1_shows_them(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # There was no list of the keys anywhere in the app, only in the README.
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await activated(window)
            QTest.keyClick(window.composer.editor, Qt.Key.Key_F1)
            await until(lambda: window.findChild(ShortcutsDialog) is not None, what="the list")
            dialog = window.findChild(ShortcutsDialog)
            assert isinstance(dialog, ShortcutsDialog)
            rows = dict((does, keys) for keys, does in dialog.rows())
            assert rows["New conversation"] == "Ctrl+N"
            assert rows["Next conversation"] == "Ctrl+PgDown / Ctrl+Tab"
            assert rows["Regenerate last reply"] == "Ctrl+Shift+R"
            assert rows["Send the message (in the prompt)"] == "Enter"
            undo = "Undo typing (in the prompt or a text box; elsewhere, Undo delete)"
            assert rows[undo] == "Ctrl+Z"  # Ctrl+Z in the prompt undoes typing, not a delete
            assert "Keyboard shortcuts" in rows  # itself: F1
            assert not any(keys.startswith("Alt+") and len(keys) == 5 for keys in rows.values())
            QTest.keyClick(dialog, Qt.Key.Key_Escape)
            await until(lambda: not dialog.isVisible(), what="closed by Esc")

    run_scenario(scenario())


def test_about_names_the_version_and_the_data_folder(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.about_action.trigger()
            dialog = window.findChild(AboutDialog)
            assert isinstance(dialog, AboutDialog)
            assert dialog.data_folder == store.conversations_dir  # where the files are
            assert str(store.conversations_dir) in dialog.details.text()
            assert __version__ in dialog.findChildren(type(dialog.details))[0].text()
            dialog.close()

    run_scenario(scenario())
