"""File ▸ Recently deleted: every conversation in the trash can be restored or deleted for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, run_scenario, until
from tests.gui.test_sidebar import seed, titles
from writer_desktop.core.models import new_id
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.trash import TrashEntry, stamp
from writer_desktop.ui.main_window import MainWindow
from writer_desktop.ui.trash_dialog import TrashDialog, when


def shown(dialog: TrashDialog) -> list[tuple[str, str]]:
    tree = dialog.tree
    return [
        (tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1))  # type: ignore[union-attr]
        for i in range(tree.topLevelItemCount())
    ]


def delete(window: MainWindow, store: ConversationStore, *conv_ids: str) -> None:
    """Delete ``conv_ids`` one minute apart, in that order (the trash lists by the minute)."""
    for conv_id in conv_ids:
        window.controller.delete([conv_id])
    now = datetime.now(UTC)
    for age, conv_id in enumerate(reversed(conv_ids)):
        [entry] = [e for e in store.trashed() if e.id == conv_id]
        entry.path.rename(trashed_name(store, conv_id, now - timedelta(minutes=age)))


def trashed_name(store: ConversationStore, conv_id: str, deleted: datetime) -> Path:
    return store.trash_dir / f"{conv_id}.deleted-{stamp(deleted)}.json"


def test_restore_brings_back_an_older_delete_that_undo_no_longer_reaches(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    first, second, _kept = seed(store, "First", "Second", "Kept")
    a_day_ago = datetime.now(UTC) - timedelta(days=1)
    trashed_name(store, new_id(), a_day_ago).write_bytes(b"not json")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            delete(window, store, first, second)  # Undo now only reaches "Second"
            dialog = window.show_trash()
            await until(dialog.isVisible, what="dialog")
            assert shown(dialog) == [("Second", "1"), ("First", "1"), ("(cannot be read)", "—")]
            assert dialog.tree.currentItem() is dialog.tree.topLevelItem(0)
            second_row = dialog.tree.topLevelItem(1)
            assert second_row is not None
            dialog.tree.setCurrentItem(second_row)
            QTest.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
            await until(lambda: not dialog.isVisible(), what="dialog closed")
            assert sorted(titles(window)) == ["First", "Kept"]
            assert window.controller.current_id == first
            assert "about First" in window.chat.toPlainText()
            assert [e.id for e in store.trashed()][:1] == [second]  # and the unreadable one

    run_scenario(scenario())


def test_several_are_restored_at_once_with_enter(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    ids = seed(store, "One", "Two", "Three")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            delete(window, store, *ids)
            assert titles(window) == []
            window.trash_action.trigger()
            dialog = window.findChild(TrashDialog)
            assert dialog is not None
            await until(dialog.isVisible, what="dialog")
            dialog.tree.selectAll()
            QTest.keyClick(dialog.tree, Qt.Key.Key_Return)
            await until(lambda: not dialog.isVisible(), what="dialog closed")
            assert sorted(titles(window)) == ["One", "Three", "Two"]
            assert store.trashed() == []
            assert window.controller.current_id == ids[-1]  # the last deleted, first listed
            assert window.statusBar().currentMessage() == "Restored 3 conversations."

    run_scenario(scenario())


def test_delete_for_good_asks_first_and_removes_the_file(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    kept, gone = seed(store, "Kept", "Gone")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            delete(window, store, kept, gone)
            dialog = window.show_trash()
            await until(dialog.isVisible, what="dialog")
            questions: list[str] = []

            def question(_parent: object, _title: str, text: str, *_: object) -> object:
                questions.append(text)
                return QMessageBox.StandardButton.Cancel

            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(QMessageBox, "question", question)
                assert not dialog._confirm_delete(1)
                dialog.tree.selectAll()
                assert not dialog._confirm_delete(2)
                first = dialog.tree.topLevelItem(0)
                assert first is not None
                dialog.tree.setCurrentItem(first)  # one selected again, as before
            # It named no conversation: "Delete this conversation for good?"
            assert questions == [
                "Delete “Gone” for good? This cannot be undone.",
                "Delete these 2 conversations for good? This cannot be undone.",
            ]
            asked: list[int] = []
            answer = False

            def confirm(count: int) -> bool:
                asked.append(count)
                return answer

            dialog.confirm_delete = confirm
            QTest.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
            assert asked == [1]
            assert len(store.trashed()) == 2  # the user said no
            answer = True
            QTest.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
            assert [e.id for e in store.trashed()] == [kept]
            assert shown(dialog) == [("Kept", "1")]
            assert dialog.isVisible()
            dialog.tree.clearSelection()
            assert not dialog.restore_button.isEnabled()
            assert not dialog.delete_button.isEnabled()
            dialog.tree.selectAll()
            QTest.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
            assert store.trashed() == []
            assert dialog.empty.isVisible()
            assert not dialog.tree.isVisible()
            assert not dialog.restore_button.isEnabled()
            dialog.reject()
            assert titles(window) == []

    run_scenario(scenario())


def test_restoring_what_is_gone_from_the_trash_says_so(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    (conv_id,) = seed(store, "Twice")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            delete(window, store, conv_id)
            dialog = window.show_trash()
            await until(dialog.isVisible, what="dialog")
            window.controller.restore([conv_id])  # the Undo button, meanwhile
            problems: list[str] = []
            window.controller.problem.connect(problems.append)
            QTest.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
            assert problems == ["This conversation is not in the trash."]
            assert titles(window) == ["Twice"]

    run_scenario(scenario())


def test_restoring_over_the_same_id_brings_back_a_copy(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    (conv_id,) = seed(store, "Exported")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            exported = store.load(conv_id)
            delete(window, store, conv_id)
            exported.title = "Imported again"
            store.save(exported)  # an import of the export: the same id is back
            window.controller.sync_store()
            dialog = window.show_trash()
            await until(dialog.isVisible, what="dialog")
            QTest.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
            assert sorted(titles(window)) == ["Exported", "Imported again"]
            assert window.controller.current_id not in (None, conv_id)
            assert "as a copy" in window.statusBar().currentMessage()

    run_scenario(scenario())


def test_deletion_time_is_local() -> None:
    entry = TrashEntry("x", datetime(2026, 1, 2, 3, 4, tzinfo=UTC), Path("x"))
    assert when(entry) == entry.deleted_at.astimezone().strftime("%Y-%m-%d %H:%M")


def test_ctrl_z_skips_what_was_deleted_for_good(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # Ctrl+Z reached a conversation deleted for good meanwhile: "This conversation is not in
    # the trash.", which named none and stayed in the problem bar.
    first, second, third = seed(store, "First", "Second", "Third")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            for conv_id in (first, second, third):
                window.sidebar.delete_requested.emit(conv_id)
            assert window.undo_label.text() == "Deleted “Third”"
            dialog = window.show_trash()
            await until(dialog.isVisible, what="dialog")
            dialog.confirm_delete = lambda _count: True
            for i in range(dialog.tree.topLevelItemCount()):
                item = dialog.tree.topLevelItem(i)
                assert item is not None
                item.setSelected(item.text(0) == "Third")
            QTest.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
            dialog.reject()
            assert window.undo_label.text() == "Deleted “Second”"
            window.undo_delete_action.trigger()
            assert titles(window) == ["Second"]
            window.undo_delete_action.trigger()
            assert sorted(titles(window)) == ["First", "Second"]
            assert not window.undo_delete_action.isEnabled()
            assert window.problems is None or window.problems.texts == []

    run_scenario(scenario())
