"""Unsent text stays with its conversation: across switches, a restart, and a failing disk."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import BlockedDrafts, main_window, reply_done, run_scenario, send, until
from writer_desktop.core.drafts import DRAFTS_NAME, NEW, QUICK, Drafts
from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.draft_keeper import DraftKeeper
from writer_desktop.ui.main_window import MainWindow
from writer_desktop.ui.quick_bridge import QuickBridge
from writer_desktop.ui.quick_prompt import QuickPrompt


def on_disk(store: ConversationStore) -> dict[str, str]:
    path = store.root / DRAFTS_NAME
    drafts: dict[str, str] = json.loads(path.read_text())["drafts"] if path.exists() else {}
    return drafts


def saved_conversation(store: ConversationStore, title: str) -> str:
    conv = Conversation(
        title=title, messages=[Message(Role.USER, "hi"), Message(Role.ASSISTANT, "hello")]
    )
    store.save(conv)
    return conv.id


def shown(
    window: MainWindow, conv_id: str, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole
) -> str:
    model = window.sidebar.model
    return str(model.index(model.row_of(conv_id)).data(role))


def type_text(window: MainWindow, text: str) -> None:
    QTest.keyClicks(window.composer.editor, text)


def test_each_conversation_keeps_its_own_unsent_text(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    a = saved_conversation(store, "A")
    b = saved_conversation(store, "B")

    async def scenario() -> None:
        drafts = Drafts(store.root / DRAFTS_NAME)
        async with main_window(fake, store, tmp_path, drafts=drafts) as window:
            window.controller.open_conversation(a)
            type_text(window, "half a question for A")
            window.controller.open_conversation(b)
            assert window.composer.text() == ""  # B has nothing written
            type_text(window, "and one for B")
            assert shown(window, a) == "✎ A"  # the list says where unsent text waits
            assert "Unsent text" in shown(window, a, Qt.ItemDataRole.ToolTipRole)
            assert shown(window, b) == "B"  # not the open one, as its first letter is typed
            window.controller.open_conversation(a)
            assert window.composer.text() == "half a question for A"
            assert (shown(window, a), shown(window, b)) == ("A", "✎ B")
            # the cursor is at the end: typing goes on where it stopped
            type_text(window, "?")
            assert window.composer.text() == "half a question for A?"
            # on disk within about a second, without quitting
            await until(lambda: on_disk(store).get(b) == "and one for B", what="drafts saved")
            await until(lambda: on_disk(store).get(a) == "half a question for A?")

    run_scenario(scenario())


def test_sending_clears_the_draft_and_the_new_conversations_text_comes_back_after_a_restart(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Sure."))

    async def scenario() -> None:
        async with main_window(
            fake, store, tmp_path, drafts=Drafts(store.root / DRAFTS_NAME)
        ) as window:
            await send(window, "Sent at once")
            await reply_done(window)
            conv_id = window.controller.current_id
            assert conv_id is not None
            type_text(window, "a follow-up I have not sent")
            window.controller.new_conversation()
            type_text(window, "the start of something new")
            await until(lambda: on_disk(store).get(NEW) == "the start of something new")
        assert on_disk(store) == {
            conv_id: "a follow-up I have not sent",
            NEW: "the start of something new",
        }  # nothing that was sent is kept as a draft
        # the next start (the new conversation had no file) opens a new one with its text
        async with main_window(fake, store, tmp_path, drafts=restarted(store)) as window:
            assert window.controller.current_conversation().messages == []  # type: ignore[union-attr]
            assert window.composer.text() == "the start of something new"
            window.controller.open_conversation(conv_id)
            assert window.composer.text() == "a follow-up I have not sent"
            # the first message of a new conversation takes its draft away
            window.controller.new_conversation()
            assert window.composer.text() == "the start of something new"
            fake.enqueue(Reply(text="Done."))
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
            await reply_done(window)
            assert window.composer.text() == ""
            await until(lambda: NEW not in on_disk(store), what="the new draft gone")
            assert on_disk(store) == {conv_id: "a follow-up I have not sent"}

    run_scenario(scenario())


def test_a_new_conversation_being_written_at_quit_is_reopened_over_the_last_one(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Sure."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, drafts=restarted(store)) as window:
            await send(window, "An older conversation")
            await reply_done(window)
            older = window.controller.current_id  # remembered at this quit
        async with main_window(fake, store, tmp_path, drafts=restarted(store)) as window:
            assert window.controller.current_id == older
            window.controller.new_conversation()
            type_text(window, "half a thought")
            await until(lambda: on_disk(store).get(NEW) == "half a thought")
        async with main_window(fake, store, tmp_path, drafts=restarted(store)) as window:
            assert window.controller.current_id != older
            assert window.composer.text() == "half a thought"

    run_scenario(scenario())


def restarted(store: ConversationStore) -> Drafts:
    drafts = Drafts(store.root / DRAFTS_NAME)
    assert drafts.load() is None
    return drafts


def test_drafts_of_deleted_conversations_go_at_the_next_start(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    kept = saved_conversation(store, "kept")
    trashed = saved_conversation(store, "in the trash")
    store.delete(trashed)  # restorable for 30 days: so is its draft
    long_ago = "5d1c0e2f-0000-4000-8000-00000000dead"  # deleted long ago
    drafts = {kept: "mine", trashed: "still wanted", long_ago: "orphan", NEW: "n"}
    (store.root / DRAFTS_NAME).write_text(json.dumps({"version": 1, "drafts": drafts}))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, drafts=restarted(store)) as window:
            window.controller.sync_store()
            await until(lambda: long_ago not in on_disk(store), what="pruned")
            assert on_disk(store) == {kept: "mine", trashed: "still wanted", NEW: "n"}
            window.controller.restore([trashed])
            assert window.composer.text() == "still wanted"

    run_scenario(scenario())


def test_a_failing_disk_is_reported_once_and_the_text_stays(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    blocked = BlockedDrafts(tmp_path)
    drafts = blocked.drafts

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, drafts=drafts) as window:
            keeper = window.findChild(DraftKeeper)
            assert keeper is not None
            problems: list[str] = []
            keeper.problem.connect(problems.append)
            type_text(window, "still here")
            await until(lambda: problems, what="the problem reported")
            type_text(window, ", and more")
            keeper.save_now()
            keeper.save_now()
            assert len(problems) == 1
            assert "could not be saved" in problems[0]
            assert window.composer.text() == "still here, and more"
            assert drafts.get(NEW) == "still here, and more"
            bar = window.problems
            assert bar is not None
            assert bar.texts == problems
            blocked.unblock()  # the next save works, and the bar stops saying it failed
            keeper.save_now()
            assert json.loads(drafts.path.read_text())["drafts"][NEW] == drafts.get(NEW)
            assert bar.texts == []
            assert not bar.isVisible()

    run_scenario(scenario())


def test_text_typed_just_before_the_app_ends_is_saved_without_the_window_closing(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    """The app can end without its window closing (the display went away): the controller's
    shutdown saves what the timer has not saved yet."""
    a = saved_conversation(store, "A")

    async def scenario() -> None:
        drafts = Drafts(store.root / DRAFTS_NAME)
        async with main_window(fake, store, tmp_path, drafts=drafts) as window:
            window.controller.open_conversation(a)
            type_text(window, "the last words typed")
            assert a not in on_disk(store)  # the timer has not fired yet
            await window.controller.shutdown()
            assert on_disk(store)[a] == "the last words typed"

    run_scenario(scenario())


def quick(window: MainWindow) -> tuple[QuickPrompt, QuickBridge]:
    """The quick prompt wired to the window's controller and drafts, as the app wires it."""
    prompt = QuickPrompt()
    return prompt, QuickBridge(window.controller, prompt, window, window.findChild(DraftKeeper))


def test_the_quick_prompts_unsent_text_comes_back_after_a_crash(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # It was kept nowhere: a crash (or a quit) lost what was typed in the quick prompt.
    fake.enqueue(Reply(text="Done."))

    async def scenario() -> None:
        drafts = Drafts(store.root / DRAFTS_NAME)
        async with main_window(fake, store, tmp_path, drafts=drafts) as window:
            prompt, bridge = quick(window)
            bridge.show()
            QTest.keyClicks(prompt.editor, "half a thought")
            await until(lambda: on_disk(store).get(QUICK) == "half a thought", what="saved")
            prompt.close()
        async with main_window(fake, store, tmp_path, drafts=restarted(store)) as window:
            assert window.sidebar.model.rowCount() == 0  # it is no conversation's draft
            prompt, bridge = quick(window)
            bridge.show("from the command line")  # writer-desktop quick "…"
            assert prompt.editor.toPlainText() == "half a thought\nfrom the command line"
            QTest.keyClick(prompt.editor, Qt.Key.Key_Return)
            assert QUICK not in on_disk(store)  # at once: a crash now must not bring it back
            await until(lambda: "Done." in prompt.answer.toPlainText(), what="the answer")
            prompt.close()

    run_scenario(scenario())


def test_text_deleted_in_the_quick_prompt_does_not_come_back(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # Cleared and closed, then shown again within a second (the hotkey, or `quick "new"`): the
    # copy kept for a crash, a second behind the box, came back above the new text.
    async def scenario() -> None:
        drafts = Drafts(store.root / DRAFTS_NAME)
        async with main_window(fake, store, tmp_path, drafts=drafts) as window:
            prompt, bridge = quick(window)
            bridge.show()
            QTest.keyClicks(prompt.editor, "old draft")
            await until(lambda: on_disk(store).get(QUICK) == "old draft", what="saved")
            prompt.editor.selectAll()
            QTest.keyClick(prompt.editor, Qt.Key.Key_Backspace)
            QTest.keyClick(prompt.editor, Qt.Key.Key_Escape)
            assert on_disk(store).get(QUICK) == "old draft"  # not saved yet: within the second
            bridge.show("new text")
            assert prompt.editor.toPlainText() == "new text"
            prompt.close()

    run_scenario(scenario())


def test_text_typed_in_the_quick_prompt_stays_above_a_new_one(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # Typed, hidden with Esc, then `writer-desktop quick "…"`: the typed text was replaced,
    # unseen (drafts.json then held only the new one). A question sent is replaced as before.
    fake.enqueue(Reply(text="Done."))

    async def scenario() -> None:
        drafts = Drafts(store.root / DRAFTS_NAME)
        async with main_window(fake, store, tmp_path, drafts=drafts) as window:
            prompt, bridge = quick(window)
            bridge.show()
            QTest.keyClicks(prompt.editor, "typed draft")
            QTest.keyClick(prompt.editor, Qt.Key.Key_Escape)
            bridge.show("from the command line")
            assert prompt.editor.toPlainText() == "typed draft\nfrom the command line"
            assert not prompt.editor.textCursor().hasSelection()  # a key adds, replaces nothing
            QTest.keyClick(prompt.editor, Qt.Key.Key_Return)  # sent, and still shown above
            await until(lambda: "Done." in prompt.answer.toPlainText(), what="the answer")
            QTest.keyClick(prompt.editor, Qt.Key.Key_Escape)
            bridge.show("a new question")
            assert prompt.editor.toPlainText() == "a new question"
            assert prompt.editor.textCursor().selectedText() == "a new question"
            prompt.close()

    run_scenario(scenario())
