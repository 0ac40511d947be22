"""The conversation list: open, filter, rename in place, delete with Undo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QMenu
from pytestqt.qtbot import QtBot

from tests.fake_writer.behaviours import Trickle
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import activated, main_window, reply_done, run_scenario, send, until
from writer_desktop.app import LAST_CONVERSATION
from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.store import INDEX_NAME, ConversationStore
from writer_desktop.ui.focus_list import muted
from writer_desktop.ui.main_window import MainWindow
from writer_desktop.ui.sidebar import ID_ROLE


def seed(store: ConversationStore, *titles: str) -> list[str]:
    ids = []
    for day, title in enumerate(titles, start=1):  # distinct times: a stable newest-first order
        conv = Conversation(
            title=title, model="palmyra-x5", created_at=f"2026-01-{day:02}T00:00:00Z"
        )
        conv.messages.append(Message(Role.USER, f"about {title}"))
        store.save(conv)
        ids.append(conv.id)
    return ids


def titles(window: MainWindow) -> list[str]:
    proxy = window.sidebar.proxy
    return [str(proxy.index(r, 0).data()) for r in range(proxy.rowCount())]


def test_list_opens_newest_and_selection_opens_others(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    older, newer = seed(store, "Older", "Newer")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            assert titles(window) == ["Newer", "Older"]
            assert window.controller.current_id == newer
            assert "about Newer" in window.chat.toPlainText()
            view = window.sidebar.view
            view.setCurrentIndex(window.sidebar.proxy.index(1, 0))
            assert window.controller.current_id == older
            assert "about Older" in window.chat.toPlainText()
            QTest.keyClicks(window.sidebar.filter, "new")
            assert titles(window) == ["Newer"]

    run_scenario(scenario())


def test_the_filter_box_leads_into_the_list_from_the_keyboard(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    pie, _bread, tart = seed(store, "Apple pie", "Banana bread", "Apple tart")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await activated(window)
            field, view = window.sidebar.filter, window.sidebar.view
            field.setFocus()
            QTest.keyClicks(field, "apple")
            assert titles(window) == ["Apple tart", "Apple pie"]
            QTest.keyClick(field, Qt.Key.Key_Return)  # opens the first listed
            assert window.controller.current_id == tart
            field.setFocus()
            QTest.keyClick(field, Qt.Key.Key_Down)  # into the list, where it is
            assert view.hasFocus()
            QTest.keyClick(view, Qt.Key.Key_Down)
            assert window.controller.current_id == pie

    run_scenario(scenario())


def test_the_filter_box_has_a_clear_button_once_it_holds_text(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QToolButton

    from writer_desktop.ui.sidebar import Sidebar

    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.show()
    field = sidebar.filter
    QTest.keyClicks(field, "pie")  # turned on with the first text (it costs ~6 ms at start-up)
    assert field.isClearButtonEnabled()
    button = field.findChild(QToolButton)  # Qt's own clear button, shown over text
    assert button is not None
    qtbot.waitUntil(button.isVisible)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert field.text() == ""
    assert sidebar.proxy.filterRegularExpression().pattern() == ""


def test_the_filter_ignores_accents_and_says_when_nothing_matches(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # "cafe" found no "Café" (search did), a title with a zero-width space was not found by
    # what it shows, and a filter that matched nothing left an empty list, unexplained.
    seed(store, "Café au lait", "Zero\u200bwidth", "ﬁsh and chips", "Tea")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            sidebar = window.sidebar
            for typed, found in (
                ("cafe", ["Café au lait"]),
                ("CAFÉ", ["Café au lait"]),
                ("zerowidth", ["Zero\u200bwidth"]),
                ("fish", ["ﬁsh and chips"]),
            ):
                sidebar.filter.setText(typed)
                assert [
                    sidebar.proxy.index(i, 0).data() for i in range(sidebar.proxy.rowCount())
                ] == found, typed
                assert not sidebar.no_match.isVisible()
            sidebar.filter.setText("coffee")
            assert sidebar.proxy.rowCount() == 0
            assert sidebar.no_match.isVisible()
            assert "No conversation title has “coffee”" in sidebar.no_match.text()
            assert "Ctrl+Shift+F" in sidebar.no_match.text()
            sidebar.filter.clear()
            assert sidebar.proxy.rowCount() == 4
            assert not sidebar.no_match.isVisible()

    run_scenario(scenario())


def test_a_blank_title_shows_as_untitled(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    seed(store, "   ", "Named")  # a row of spaces was an empty, unclickable-looking line

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            assert titles(window) == ["Named", "Untitled"]  # as in its export and the CLI

    run_scenario(scenario())


def retitle(view: QAbstractItemView, old: str, new: str) -> None:
    """In the title being edited in place (which shows ``old``), type ``new`` and Enter."""
    assert view.state() == QAbstractItemView.State.EditingState
    editor = view.viewport().findChild(QLineEdit)
    assert editor is not None
    assert editor.text() == old
    QTest.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(editor, new)
    QTest.keyClick(editor, Qt.Key.Key_Return)


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("Quarterly plan", "Quarterly plan"),
        ("   ", "about Draft"),  # blank: the title its first prompt gave, not "Untitled"
    ],
)
def test_rename_with_f2_saves_the_title(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, typed: str, title: str
) -> None:
    [conv_id] = seed(store, "Draft")  # its first prompt is "about Draft"

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            view = window.sidebar.view
            view.setFocus()
            view.setCurrentIndex(window.sidebar.proxy.index(0, 0))
            QTest.keyClick(view, Qt.Key.Key_F2)
            retitle(view, "Draft", typed)
            await until(lambda: titles(window) == [title], what="renamed row")
            assert store.load(conv_id).title == title
            assert window.focusWidget() is view  # still in the list, not thrown to the prompt

    run_scenario(scenario())


def test_rename_and_delete_from_the_conversation_menu_anywhere_in_the_window(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    older, newer = seed(store, "Older", "Newer")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.composer.editor.setFocus()  # typing, not in the list
            assert window.rename_action.shortcut() == QKeySequence("F2")
            window.rename_action.trigger()
            retitle(window.sidebar.view, "Newer", "Renamed")
            await until(lambda: store.load(newer).title == "Renamed", what="renamed")
            window.delete_action.trigger()
            assert titles(window) == ["Older"]
            assert window.undo_button.isVisible()
            window.new_action.trigger()
            window.rename_action.trigger()  # nothing to rename yet: said so
            assert "named after its first message" in window.statusBar().currentMessage()
            assert older in {s.id for s in store.list()}

    run_scenario(scenario())


def test_delete_key_trashes_and_undo_restores(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    keep, doomed = seed(store, "Keep", "Doomed")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            view = window.sidebar.view
            view.setFocus()
            view.setCurrentIndex(window.sidebar.proxy.index(0, 0))
            assert view.currentIndex().data(ID_ROLE) == doomed
            QTest.keyClick(view, Qt.Key.Key_Delete)
            assert titles(window) == ["Keep"]
            assert not (store.conversations_dir / f"{doomed}.json").exists()
            assert [e.id for e in store.trashed()] == [doomed]
            assert window.undo_button.isVisible()
            assert window.undo_label.text() == "Deleted “Doomed”"
            window.statusBar().showMessage("A menu's status tip")  # wiped the message before
            window.statusBar().clearMessage()
            assert window.undo_label.isVisible()
            assert window.controller.current_id not in (doomed, None)
            QTest.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
            assert sorted(titles(window)) == ["Doomed", "Keep"]
            assert (store.conversations_dir / f"{doomed}.json").exists()
            assert window.controller.current_id == doomed
            assert not window.undo_button.isVisible()
            assert keep in {s.id for s in store.list()}

    run_scenario(scenario())


def open_title(window: MainWindow) -> str:
    conv = window.controller.current_conversation()
    return conv.title if conv is not None else ""


def test_del_moves_on_to_the_next_conversation_and_ctrl_z_brings_it_back(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # Deleting the open conversation opened an empty new one and left the list with no current
    # row (Down went to the top); the only Undo was a button, gone after 10 s, no shortcut.
    seed(store, "One", "Two", "Three", "Four")  # listed newest first: Four, Three, Two, One

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await activated(window)
            view = window.sidebar.view
            view.setFocus()
            view.setCurrentIndex(window.sidebar.proxy.index(1, 0))  # Three
            QTest.keyClick(view, Qt.Key.Key_Delete)
            assert titles(window) == ["Four", "Two", "One"]
            assert view.currentIndex().data(Qt.ItemDataRole.DisplayRole) == "Two"
            assert open_title(window) == "Two"
            QTest.keyClick(view, Qt.Key.Key_Delete)  # and again
            assert titles(window) == ["Four", "One"]
            assert open_title(window) == "One"
            QTest.keyClick(view, Qt.Key.Key_Delete)  # the last one: the list moves up
            assert titles(window) == ["Four"]
            assert open_title(window) == "Four"
            assert window.undo_delete_action.isEnabled()
            QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
            assert titles(window) == ["Four", "One"]
            assert open_title(window) == "One"
            # Again and again: the deletes before it, latest first (only the last came back).
            assert window.undo_delete_action.isEnabled()
            assert window.undo_label.text() == "Deleted “Two”"
            QTest.keyClick(window.sidebar.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
            assert titles(window) == ["Four", "Two", "One"]
            assert open_title(window) == "Two"
            QTest.keyClick(window.sidebar.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
            assert titles(window) == ["Four", "Three", "Two", "One"]
            assert not window.undo_delete_action.isEnabled()  # each delete, once
            # In the prompt, Ctrl+Z undoes typing, not a delete.
            view.setCurrentIndex(window.sidebar.proxy.index(1, 0))  # Three
            QTest.keyClick(view, Qt.Key.Key_Delete)
            editor = window.composer.editor
            editor.setFocus()
            QTest.keyClicks(editor, "abc")
            QTest.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
            assert editor.toPlainText() == ""
            assert titles(window) == ["Four", "Two", "One"]

    run_scenario(scenario())


def test_del_deletes_every_selected_conversation(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # With a Shift+click selection, Del deleted only the current one and left the rest, unsaid.
    from PySide6.QtCore import QItemSelectionModel

    seed(store, "One", "Two", "Three", "Four", "Five")  # listed: Five, Four, Three, Two, One

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            view = window.sidebar.view
            proxy = window.sidebar.proxy
            view.setCurrentIndex(proxy.index(1, 0))  # Four
            flags = QItemSelectionModel.SelectionFlag
            for row in (2, 3):  # and Three, Two (Shift+click)
                view.selectionModel().select(proxy.index(row, 0), flags.Select)
            QTest.keyClick(view, Qt.Key.Key_Delete)
            assert titles(window) == ["Five", "One"]
            assert open_title(window) in ("Five", "One")  # moved on to one that stays
            # One Del, one delete: the notice named only the last, and Undo brought back one.
            assert window.undo_label.text() == "Deleted 3 conversations"
            view.setCurrentIndex(proxy.index(0, 0))  # Five
            QTest.keyClick(view, Qt.Key.Key_Delete)
            assert titles(window) == ["One"]
            assert window.undo_label.text() == "Deleted “Five”"
            window.undo_delete_action.trigger()
            assert titles(window) == ["Five", "One"]
            assert window.undo_delete_action.isEnabled()
            assert window.undo_label.text() == "Deleted 3 conversations"
            window.undo_delete_action.trigger()
            assert sorted(titles(window)) == ["Five", "Four", "One", "Three", "Two"]
            assert not window.undo_delete_action.isEnabled()

    run_scenario(scenario())


def test_ctrl_z_outlasts_the_undo_button_until_the_conversation_is_back(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    first, second = seed(store, "First", "Second")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.sidebar.delete_requested.emit(second)
            window._undo_timer.timeout.emit()  # the 10 s are up: the button goes
            assert not window.undo_button.isVisible()
            assert window.undo_delete_action.isEnabled()  # Ctrl+Z still brings it back
            window.undo_delete_action.trigger()
            assert sorted(titles(window)) == ["First", "Second"]
            assert not window.undo_delete_action.isEnabled()
            # Brought back another way (Recently deleted), there is nothing left to undo.
            window.sidebar.delete_requested.emit(first)
            [entry] = [e for e in store.trashed() if e.id == first]
            window.controller.restore_from_trash([entry])
            assert sorted(titles(window)) == ["First", "Second"]
            assert not window.undo_delete_action.isEnabled()

    run_scenario(scenario())


def test_shift_f10_opens_the_current_rows_menu(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    seed(store, "Only")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await activated(window)
            view = window.sidebar.view
            view.setFocus()
            view.setCurrentIndex(window.sidebar.proxy.index(0, 0))
            QTest.keyClick(view, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
            await until(lambda: window.sidebar.findChild(QMenu) is not None, what="the menu")
            menu = window.sidebar.findChild(QMenu)
            assert menu is not None
            assert [a.text() for a in menu.actions()][-1] == "&Delete"
            menu.close()

    run_scenario(scenario())


def test_new_conversation_and_sidebar_toggle(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    seed(store, "Existing")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            first = window.controller.current_id
            window.new_action.trigger()
            assert window.controller.current_id != first
            assert window.chat.toPlainText() == ""
            assert window.sidebar.view.currentIndex().isValid() is False
            window.toggle_sidebar_action.trigger()  # View ▸ Show sidebar
            assert not window.sidebar.isVisible()
            window.toggle_sidebar_action.trigger()
            assert window.sidebar.isVisible()

    run_scenario(scenario())


def test_the_last_conversation_is_reopened_after_the_listing_cache_was_deleted(
    fake: FakeWriter, tmp_path: Path
) -> None:
    # The cache is "always safe to delete", but the start asked only the cache for the
    # conversation to reopen: the user's place was lost for a new, empty conversation.
    data, cache = tmp_path / "data", tmp_path / "cache"
    with ConversationStore(data, cache) as first:
        older, _newer = seed(first, "Older", "Newer")
    (cache / INDEX_NAME).unlink()
    QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat).setValue(
        LAST_CONVERSATION, older
    )
    store = ConversationStore(data, cache).open(sync=False)  # as a start does

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            assert window.controller.current_id == older
            assert "about Older" in window.chat.toPlainText()
            await until(lambda: titles(window) == ["Newer", "Older"], what="the whole list")

    try:
        run_scenario(scenario())
    finally:
        store.close()


def test_tab_follows_the_order_on_screen(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    seed(store, "One")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            s, c = window.sidebar, window.composer
            chains = [[s.new_button, s.filter, s.view], [c.editor, c.models, c.options_button]]
            chains[1].append(c.button)
            for chain in chains:
                chain[0].setFocus()
                await until(chain[0].hasFocus, what="focus")
                for widget in chain[1:]:
                    QTest.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
                    assert window.focusWidget() is widget
            # Options opened from the keyboard: the focus goes into the panel, whose fields
            # come next in the Tab order (they came after Send); closed, back to the prompt.
            o = c.options
            c.options_button.setFocus()
            await until(c.options_button.hasFocus, what="focus")
            QTest.keyClick(c.options_button, Qt.Key.Key_Space)
            assert window.focusWidget() is o.system_prompt
            for widget in (o.temperature, o.max_tokens, c.button):
                QTest.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
                assert window.focusWidget() is widget or widget.isAncestorOf(window.focusWidget())
            c.options_button.click()
            assert window.focusWidget() is c.editor
            for field in (o.system_prompt, o.temperature):  # Esc in the panel closes it too
                c.options_button.click()
                field.setFocus()
                await until(field.hasFocus, what="focus in the panel")
                QTest.keyClick(window.focusWidget(), Qt.Key.Key_Escape)
                assert not o.isVisible()
                assert not c.options_button.isChecked()
                assert window.focusWidget() is c.editor

    run_scenario(scenario())


def test_the_window_lists_its_own_shortcuts_for_the_settings_warning(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            own = window.own_shortcuts()
            assert own["Ctrl+Q"] == "Quit"
            assert own["F2"] == "Rename"
            assert own["Alt+M"] == "Model"  # a label's underlined letter
            assert own["Alt+F"] == "File"  # a menu's

    run_scenario(scenario())


def test_the_selection_is_muted_while_the_focus_is_outside_the_list(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    """A keyboard user sees whether Tab took them into the list: Fusion draws no focus frame."""
    seed(store, "Draft")

    def selection_colour(view: QAbstractItemView) -> QColor:
        index = view.model().index(0, 0)
        rect = view.visualRect(index)
        image = view.viewport().grab().toImage()
        return image.pixelColor(rect.right() - 3, rect.center().y())

    def near(a: QColor, b: QColor) -> bool:  # Fusion shades a selection a little
        return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) < 6

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.activateWindow()
            view = window.sidebar.view
            palette = view.palette()
            highlight = palette.color(QPalette.ColorRole.Highlight)
            view.setFocus()
            view.setCurrentIndex(window.sidebar.proxy.index(0, 0))
            await until(view.hasFocus, what="the list focused")
            assert near(selection_colour(view), highlight)
            window.composer.focus_editor()
            await until(lambda: not view.hasFocus(), what="the focus in the prompt")
            muted_colour = selection_colour(view)
            assert near(muted_colour, muted(highlight, palette.color(QPalette.ColorRole.Base)))
            assert not near(muted_colour, highlight)
            view.setFocus()
            await until(lambda: near(selection_colour(view), highlight), what="highlight again")

    run_scenario(scenario())


def test_rows_stay_as_wide_as_the_list_after_a_delete(qtbot: QtBot) -> None:
    # Qt sized every row after one of them: after deleting the last row that was the long title,
    # shown cut without "…" and with a scroll bar sideways.
    from writer_desktop.core.listing import Listing
    from writer_desktop.ui.sidebar import Sidebar

    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.resize(260, 400)
    sidebar.show()
    long = "A conversation title long enough to need far more room than the list has"
    rows = [("c", "bbb short", 0, 2, "m"), ("b", long, 0, 2, "m"), ("a", "aaa short", 0, 2, "m")]
    sidebar.set_conversations(Listing(rows))
    sidebar.select("a")
    sidebar.set_conversations(Listing(rows[:2]))  # "a" deleted: the list moves on to "b"
    sidebar.select("b")
    qtbot.wait(20)
    view = sidebar.view
    assert not view.horizontalScrollBar().isVisible()
    assert view.visualRect(sidebar.proxy.index(1, 0)).width() == view.viewport().width()


def test_a_conversation_found_unreadable_on_click_leaves_the_list_on_the_open_one(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # The row went, the highlight jumped to another row, and the chat still showed the first:
    # a message typed then went to a conversation other than the one highlighted.
    first, broken, _other = seed(store, "First", "Broken", "Other")  # listed: Other, Broken, First

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller.open_conversation(first)
            await until(lambda: window.controller.current_id == first, what="First open")
            (store.conversations_dir / f"{broken}.json").write_bytes(b"{damaged")
            view = window.sidebar.view
            row = view.visualRect(window.sidebar.proxy.index(1, 0))  # Broken
            left = Qt.MouseButton.LeftButton
            QTest.mousePress(view.viewport(), left, pos=row.center())
            await until(lambda: "Broken" not in titles(window), what="set aside")
            await asyncio.sleep(0.05)  # a hand lets go of the button a little later
            QTest.mouseRelease(view.viewport(), left, pos=row.center())
            await asyncio.sleep(0.05)
            assert window.controller.current_id == first
            assert window.sidebar.current_id() == first  # the highlight is where the chat is
            assert [i.data(ID_ROLE) for i in view.selectionModel().selectedIndexes()] == [first]
            said = "\n".join(window.problems.texts) if window.problems is not None else ""
            assert "“Broken”" in said
            assert f"{broken}.json.corrupt-" in said
            assert window.problems is not None
            assert window.problems.folder == store.conversations_dir  # Show folder, as at start
            assert not window.problems.folder_button.isHidden()

    run_scenario(scenario())


def test_ctrl_pgdown_and_ctrl_pgup_step_through_the_conversations_from_the_prompt(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # No key went to the next or previous conversation: the mouse, or Tab to the list and back.
    seed(store, "One", "Two", "Three")  # listed: Three, Two, One

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await activated(window)
            await until(lambda: open_title(window) == "Three", what="the newest open")
            editor = window.composer.editor
            editor.setFocus()
            ctrl = Qt.KeyboardModifier.ControlModifier
            QTest.keyClick(editor, Qt.Key.Key_PageDown, ctrl)
            assert open_title(window) == "Two"
            QTest.keyClick(editor, Qt.Key.Key_Tab, ctrl)
            assert open_title(window) == "One"
            QTest.keyClick(editor, Qt.Key.Key_PageDown, ctrl)  # the last: stays
            assert open_title(window) == "One"
            QTest.keyClick(editor, Qt.Key.Key_PageUp, ctrl)
            assert open_title(window) == "Two"
            assert window.sidebar.current_id() == window.controller.current_id
            assert editor.hasFocus()  # typing goes on in the prompt
            window.sidebar.filter.setText("one")  # as filtered: only One is listed
            QTest.keyClick(editor, Qt.Key.Key_PageUp, ctrl)
            assert open_title(window) == "One"

    run_scenario(scenario())


def test_page_up_and_down_in_the_prompt_scroll_the_conversation(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # The prompt has the focus nearly always, and PageUp did nothing there: Tab four times first.
    conv = Conversation(title="Long", model="palmyra-x5")
    for n in range(60):
        conv.messages.append(Message(Role.USER if n % 2 == 0 else Role.ASSISTANT, f"line {n}"))
    store.save(conv)

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await activated(window)
            await until(lambda: window.controller.current_id == conv.id, what="it open")
            bar = window.chat.verticalScrollBar()
            await until(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), what="end")
            editor = window.composer.editor
            editor.setFocus()
            end = bar.value()
            QTest.keyClick(editor, Qt.Key.Key_PageUp)
            assert bar.value() == end - bar.pageStep()
            QTest.keyClick(editor, Qt.Key.Key_PageDown)
            assert bar.value() == end
            editor.setPlainText("\n".join(f"my line {n}" for n in range(80)))  # it scrolls
            QTest.keyClick(editor, Qt.Key.Key_PageUp)
            assert bar.value() == end  # PageUp is the prompt's own then
            assert editor.hasFocus()

    run_scenario(scenario())


def test_a_conversation_with_a_reply_streaming_is_marked_in_the_list(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # A reply streaming in a conversation not shown looked like any other in the list.
    fake.enqueue(Trickle(n=400, delay_per_token=0.005))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Tell me a story")
            writing = window.controller.current_id or ""
            await until(lambda: "● Tell me a story" in titles(window), what="marked while written")
            window.new_action.trigger()  # look elsewhere meanwhile
            model = window.sidebar.model
            tip = model.data(model.index(model.row_of(writing)), Qt.ItemDataRole.ToolTipRole)
            assert "A reply is being written (●)" in str(tip)
            window.controller.open_conversation(writing)
            await reply_done(window, seconds=10)
            await until(lambda: titles(window) == ["Tell me a story"], what="unmarked at the end")

    run_scenario(scenario())


def test_del_on_hundreds_is_one_step_and_undo_too(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each conversation was deleted on its own: the whole list was published again and both
    # folders synced per conversation, so Del on 10,000 selected froze the window for minutes;
    # restoring listed the whole trash per conversation (3,000 took a minute).
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    from writer_desktop.core import atomic, trash
    from writer_desktop.core import store as store_module

    names = [f"c{n:03}" for n in range(300)]
    for n, title in enumerate(names):  # listed newest first: c299 … c000
        at = f"2026-01-01T{n // 60:02}:{n % 60:02}:00Z"
        store.save(Conversation(title=title, created_at=at, messages=[Message(Role.USER, "x")]))
    synced: list[Path] = []
    listed: list[Path] = []
    real_sync, real_entries = atomic.fsync_dir, trash.entries

    def fsync_dir(folder: Path) -> None:
        synced.append(folder)
        real_sync(folder)

    def entries(folder: Path) -> list[trash.TrashEntry]:
        listed.append(folder)
        return real_entries(folder)

    monkeypatch.setattr(store_module, "fsync_dir", fsync_dir)
    monkeypatch.setattr(trash, "entries", entries)

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            view, proxy = window.sidebar.view, window.sidebar.proxy
            view.setCurrentIndex(proxy.index(7, 0))  # open it, then select from 5 to the end
            await until(lambda: window.controller.current_id == proxy.index(7, 0).data(ID_ROLE))
            chosen = QItemSelection(proxy.index(5, 0), proxy.index(299, 0))
            view.selectionModel().select(chosen, QItemSelectionModel.SelectionFlag.Select)
            published: list[int] = []
            window.controller.conversations_changed.connect(lambda rows: published.append(1))
            synced.clear()
            QTest.keyClick(view, Qt.Key.Key_Delete)
            assert len(titles(window)) == 5
            assert published == [1]
            assert sorted(map(str, synced)) == sorted(
                map(str, [store.trash_dir, store.conversations_dir])
            )
            assert window.undo_label.text() == "Deleted 295 conversations"
            assert open_title(window) == names[-5]  # the nearest that stays (above them)
            listed.clear()
            window.undo_delete_action.trigger()
            assert len(titles(window)) == 300
            # Back where you were: Undo opened the first of them in list order instead.
            assert open_title(window) == names[292]
            assert len(listed) == 1
            assert published == [1, 1]
            assert not window.undo_delete_action.isEnabled()

    run_scenario(scenario())
