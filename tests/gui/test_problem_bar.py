"""Problems are told in a bar over the prompt that never takes the keyboard from the user."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import activated, disk_full, main_window, reply_done, run_scenario
from writer_desktop.app import tell_problems
from writer_desktop.core.settings import Settings
from writer_desktop.core.store import ConversationStore, StoreProblem
from writer_desktop.ui.main_window import MainWindow


def test_a_problem_while_typing_leaves_the_keyboard_in_the_prompt(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # A message box took the focus in mid-sentence (a draft's save failing on a full disk): the
    # next Space pressed its OK button, unread, and a character was lost.
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await activated(window)
            editor = window.composer.editor
            editor.setFocus()
            QTest.keyClicks(editor, "the quick")
            window.show_problem("Unsent text could not be saved. The disk is full.")
            QTest.keyClicks(window.focusWidget(), " brown fox")
            assert editor.toPlainText() == "the quick brown fox"
            assert window.focusWidget() is editor
            bar = window.problems
            assert bar is not None
            assert bar.isVisible()
            assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]
            # Told again: listed once, as the newest; another one below it.
            window.show_problem("Could not save: the disk is full.")
            window.show_problem("Unsent text could not be saved. The disk is full.")
            assert bar.texts == [
                "Could not save: the disk is full.",
                "Unsent text could not be saved. The disk is full.",
            ]
            assert bar.label.text().splitlines() == bar.texts
            QTest.mouseClick(bar.close_button, Qt.MouseButton.LeftButton)
            assert not bar.isVisible()
            assert window.focusWidget() is editor
            window.show_problem("Later.")
            assert bar.texts == ["Later."]  # a dismissed problem is not told again

    run_scenario(scenario())


def test_unreadable_files_are_told_with_where_they_were_kept(qtbot: QtBot, tmp_path: Path) -> None:
    folder = tmp_path / "conversations"
    window = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat), Settings())
    qtbot.addWidget(window)
    few = [
        StoreProblem(folder / "a.json", "it is not valid JSON (Expecting value: line 1, column 1)",
                     folder / "a.json.corrupt-20261126T100000Z"),
        StoreProblem(folder / "b.json", "Could not read b.json: Permission denied."),
    ]  # fmt: skip
    tell_problems(window, few, ["Settings: theme: expected one of light, dark, system"])
    bar = window.problems
    assert bar is not None
    assert bar.texts == [
        "a.json could not be read: it is not valid JSON (Expecting value: line 1, column 1). "
        "It was kept, unchanged, as a.json.corrupt-20261126T100000Z.",
        "b.json could not be read: Could not read b.json: Permission denied.",
        "Settings: theme: expected one of light, dark, system",
    ]
    assert bar.folder == folder
    assert not bar.folder_button.isHidden()
    bar.dismiss()
    many = [
        StoreProblem(folder / f"{i}.json", "it is empty", folder / f"{i}.json.c") for i in range(40)
    ]
    tell_problems(window, many, [])
    assert bar.texts == [  # one line, however many: the window stays the size it was
        "40 conversation files could not be read. They were kept, unchanged, as "
        "<name>.corrupt-<time>. The first: 0.json (it is empty)."
    ]


def test_a_failed_save_is_no_longer_told_once_the_conversation_is_saved(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bar kept saying "Could not save" through later saves that worked.
    fake.enqueue(Reply(text="Fine now."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            full = disk_full(store, monkeypatch, message="Could not save x.json: the disk is full.")
            window.composer.editor.setPlainText("Keep this")
            window.composer.button.click()
            bar = window.problems
            assert bar is not None
            assert bar.texts == ["Could not save x.json: the disk is full."]
            window.show_problem("Something else.")
            assert window.composer.text() == "Keep this"  # not sent, still there
            full["on"] = False
            window.composer.button.click()
            await reply_done(window)
            assert bar.texts == ["Something else."]  # what still holds stays
            assert bar.isVisible()

    run_scenario(scenario())


def test_a_conversation_gone_is_no_longer_told_once_another_opens(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # "This conversation no longer exists." stayed over the prompt through every conversation
    # opened afterwards, until closed by hand.
    from writer_desktop.core.models import Conversation, Message, Role

    gone, kept, other = (
        Conversation(title=t, messages=[Message(Role.USER, t)]) for t in ("a", "b", "c")
    )
    for conv in (gone, kept, other):
        store.save(conv)

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller.open_conversation(kept.id)
            (store.conversations_dir / f"{gone.id}.json").unlink()  # deleted outside the app
            for opened in (other.id, kept.id):  # another one, or the one still shown
                window.controller.open_conversation(gone.id)
                bar = window.problems
                assert bar is not None
                assert bar.texts == ["This conversation no longer exists."]
                window.controller.open_conversation(opened)
                assert window.controller.current_id == opened
                assert bar.texts == []
                assert not bar.isVisible()

    run_scenario(scenario())


def test_many_long_problems_scroll_within_the_bar_showing_the_newest(qtbot: QtBot) -> None:
    # Five long problems at a large text size filled half the window, the newest cut off and
    # out of reach: the bar did not scroll.
    from writer_desktop.ui.problem_bar import LINES, ProblemBar

    bar = ProblemBar()
    qtbot.addWidget(bar)
    bar.resize(420, 100)
    bar.show()
    words = "could not be saved because the disk is full, and it is kept until it can be. "
    for n in range(5):
        bar.add(f"Problem {n}: " + words * 3)
    line = bar.label.fontMetrics().lineSpacing()
    assert bar.scroller.height() <= LINES * line
    assert bar.label.height() > bar.scroller.height()  # more than shows: it scrolls
    scroll = bar.scroller.verticalScrollBar()
    qtbot.waitUntil(lambda: scroll.maximum() > 0 and scroll.value() == scroll.maximum())
    bar.withdraw(bar.texts[0])
    bar.add("Short.")
    assert bar.texts[-1] == "Short."
    for text in list(bar.texts):
        bar.withdraw(text)
    assert not bar.isVisible()
