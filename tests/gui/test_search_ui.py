"""Search wired into the window: Ctrl+Shift+F finds across conversations, a hit opens the
conversation at the message with the words highlighted by the find bar (Ctrl+F)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, reply_done, run_scenario, send, until
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.search_service import SearchService
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.find_bar import FindBar
from writer_desktop.ui.search_ui import SearchUi


def test_search_opens_the_hit_and_find_highlights_it(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(
        Reply(text="Bananas are berries, botanically."), Reply(text="Cherries are drupes.")
    )
    service = SearchService(tmp_path / "search.sqlite3", ReadOnlyStore(store.conversations_dir))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            ui = SearchUi(window, service)
            service.start()
            try:
                await send(window, "tell me about bananas")
                await reply_done(window)
                banana = window.controller.current_id
                window.new_action.trigger()
                await send(window, "and cherries?")
                await reply_done(window)
                assert window.controller.current_id != banana
                window.show()
                ui.search_action.trigger()
                assert ui.panel.isVisible()
                QTest.keyClicks(ui.panel.field, "botanically")
                await until(lambda: ui.panel.model.rowCount() == 1, what="search hit")
                hit = ui.panel.model.hit(0)
                assert hit is not None
                assert hit.conversation_id == banana
                QTest.keyClick(ui.panel.field, Qt.Key.Key_Return)
                await until(lambda: window.controller.current_id == banana, what="opened")
                assert ui.find_bar.isVisible()
                assert ui.find_bar.field.text() == "botanically"
                assert len(ui.find_bar.matches) == 1
                ui.find_bar.close_bar()
                # Ctrl+F on its own searches the open conversation
                ui.find_action.trigger()
                assert ui.find_bar.isVisible()
                # a deleted conversation leaves the index, and the list of hits by itself
                assert ui.panel.isVisible()
                assert ui.panel.model.rowCount() == 1
                window.controller.delete([banana])
                await until(lambda: ui.panel.model.rowCount() == 0, what="hit gone")
                ui.find_bar.close_bar()
                shown = window.controller.current_id
                ui.open_result(banana, None)  # a hit listed before it went: said, nothing opened
                assert window.controller.current_id == shown
                assert not ui.find_bar.isVisible()
            finally:
                service.close()

    run_scenario(scenario())


def test_nothing_is_built_or_started_until_search_is_asked_for(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    """Idle memory: no search panel, find bar or worker thread in a session that never searches;
    the changes made meanwhile are in the index once it is asked."""
    fake.enqueue(Reply(text="Bananas are berries, botanically."))
    service = SearchService(tmp_path / "search.sqlite3", ReadOnlyStore(store.conversations_dir))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            ui = SearchUi(window, service)
            try:
                await send(window, "tell me about bananas")
                await reply_done(window)
                # opening a conversation refreshes a find bar only if there is one
                window.controller.open_conversation(window.controller.current_id or "")
                assert window.findChild(QWidget, "searchPanel") is None
                assert window.findChild(FindBar) is None
                assert service.worker is None
                window.show()
                ui.search_action.trigger()
                assert window.findChild(QWidget, "searchPanel") is ui.panel
                assert service.worker is not None  # started as the field shows, before typing
                QTest.keyClicks(ui.panel.field, "botanically")
                await until(lambda: ui.panel.model.rowCount() == 1, what="search hit")
                assert window.findChild(FindBar) is None
                ui.find_action.trigger()
                assert ui.find_bar.isVisible()
            finally:
                service.close()

    run_scenario(scenario())


def test_show_message_renders_around_a_message_far_above(qtbot: QtBot) -> None:
    from writer_desktop.core.models import Conversation, Message, Role
    from writer_desktop.ui.chat_view import ChatView

    view = ChatView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    conv = Conversation(title="long")
    conv.messages = [
        Message(Role.USER if i % 2 == 0 else Role.ASSISTANT, f"message number {i} " * 20)
        for i in range(600)
    ]
    view.show_conversation(conv)
    target = conv.messages[3].id
    assert target not in view._window.frames  # only the end is rendered at first
    view.show_message(target)
    assert target in view._window.frames
    assert "message number 3 " in view.toPlainText()
    top = view.verticalScrollBar().value()
    frame = view._window.frames[target]
    frame_top = view.document().documentLayout().frameBoundingRect(frame).top()
    assert abs(frame_top - top) < 20  # the message is at the top of the view


def test_find_starts_at_the_first_match_in_view_not_the_top(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # A long reply with code and a table, read at its end: Ctrl+F must not jump back to the
    # first match at the top (it took its start from the viewport's top-left pixel, which lies
    # in the margin, outside every message: the document's start).
    parts = []
    for i in range(40):
        parts.append(f"Lorem paragraph {i}, with some words around it to fill a line or two.")
        if i % 10 == 5:
            parts.append("```python\nlorem = [n for n in range(10)]\nprint(lorem)\n```")
            parts.append("| lorem | ipsum |\n|---|---|\n| 1 | 2 |")
    fake.enqueue(Reply(text="\n\n".join(parts)))
    service = SearchService(tmp_path / "search.sqlite3", ReadOnlyStore(store.conversations_dir))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.resize(900, 500)
            ui = SearchUi(window, service)
            await send(window, "A long one")
            await reply_done(window)
            chat = window.chat
            bar = chat.verticalScrollBar()
            await until(lambda: bar.maximum() > 1000, what="a long reply")
            bar.setValue(bar.maximum())
            ui.find_action.trigger()
            QTest.keyClicks(ui.find_bar.field, "Lorem")
            find = ui.find_bar
            await until(lambda: len(find.matches) > 40, what="the matches")
            assert find.current > len(find.matches) // 2, find.count.text()
            rect = chat.cursorRect(find.matches[find.current])
            assert 0 <= rect.top() < chat.viewport().height()
            assert bar.value() > bar.maximum() // 2  # the view stayed near where it was

    run_scenario(scenario())


def test_a_closed_find_bar_marks_nothing_in_the_next_conversation(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # It kept its text once closed and searched every conversation opened afterwards: the word
    # lit up with no bar on screen, and a long conversation opened scrolled to it, not at its end.
    long_reply = "\n\n".join(f"Paragraph {i} of a long café reply." for i in range(60))
    fake.enqueue(Reply(text="A short café reply."), Reply(text=long_reply))
    service = SearchService(tmp_path / "search.sqlite3", ReadOnlyStore(store.conversations_dir))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.resize(900, 500)
            ui = SearchUi(window, service)
            await send(window, "first")
            await reply_done(window)
            short_id = window.controller.current_id or ""
            window.new_action.trigger()
            await send(window, "second")
            await reply_done(window)
            long_id = window.controller.current_id
            window.controller.open_conversation(short_id)
            ui.find_action.trigger()
            ui.find_bar.field.setText("café")  # as typed (QTest cannot type é)
            await until(lambda: len(ui.find_bar.matches) == 1, what="the match")
            QTest.keyClick(ui.find_bar.field, Qt.Key.Key_Escape)
            assert window.chat.extraSelections() == []
            window.controller.open_conversation(long_id or "")
            await until(lambda: window.chat.verticalScrollBar().maximum() > 500, what="laid out")
            assert window.chat.extraSelections() == []
            bar = window.chat.verticalScrollBar()
            assert bar.value() == bar.maximum()  # opened at its end, as always
            # Open, it searches the conversation opened next, from its own top of the view.
            ui.find_action.trigger()
            assert ui.find_bar.field.text() == "café"
            assert len(ui.find_bar.matches) == 60

    run_scenario(scenario())


def test_a_hit_in_the_open_conversation_is_the_current_match(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # The second of two hits in the conversation already open became "1 of 2": the view was
    # scrolled to the message's top margin, where Qt reports the document's start.
    fake.enqueue(Reply(text="The first crème reply."), Reply(text="The second crème reply."))
    service = SearchService(tmp_path / "search.sqlite3", ReadOnlyStore(store.conversations_dir))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            ui = SearchUi(window, service)
            service.start()
            try:
                await send(window, "one")
                await reply_done(window)
                await send(window, "two")
                await reply_done(window)
                conv = window.controller.current_conversation()
                assert conv is not None
                second = conv.messages[-1].id
                window.show()
                ui.search_action.trigger()
                ui.panel.field.setText("crème")  # as typed
                await until(lambda: ui.panel.model.rowCount() == 2, what="two hits")
                hits = [ui.panel.model.hit(i) for i in range(2)]
                hit = next(h for h in hits if h is not None and h.message_id == second)
                ui.open_result(hit.conversation_id, hit.message_id)
                assert ui.find_bar.count.text() == "2 of 2"
            finally:
                service.close()

    run_scenario(scenario())


def test_find_covers_a_conversation_longer_than_the_rendered_window(qtbot: QtBot) -> None:
    # Beyond 200 messages the chat view renders a window around what is on screen, and Find
    # saw only that: "Message 150:" in a 400-message conversation was "No matches", and
    # "needle" said "9 of 40" when the conversation held 1,600.
    from writer_desktop.core.models import Conversation, Message, Role
    from writer_desktop.ui.chat_find import ChatFindScope
    from writer_desktop.ui.chat_view import ChatView

    host = QWidget()
    qtbot.addWidget(host)
    view = ChatView(host)
    view.resize(700, 500)
    bar = FindBar(view, host, scope=ChatFindScope(view))
    host.show()
    conv = Conversation(title="long")
    roles = (Role.USER, Role.ASSISTANT)
    conv.messages = [Message(roles[i % 2], f"Message {i}: a **needle** here.") for i in range(600)]
    view.show_conversation(conv)
    assert conv.messages[150].id not in view._window.frames
    bar.open()
    QTest.keyClicks(bar.field, "Message 150:")
    assert bar.count.text() == "1 of 1"
    assert bar.matches[bar.current].selectedText() == "Message 150:"
    assert conv.messages[150].id in view._window.frames
    rect = view.cursorRect(bar.matches[bar.current])
    assert 0 <= rect.top() < view.viewport().height()  # scrolled to it
    bar.field.setText("needle")
    assert bar.count.text().endswith(" of 600")
    shown = int(bar.count.text().split()[0])
    assert bar.matches[bar.current].block().text().startswith(f"Message {shown - 1}:")
    bar.field.setText("Message 599")
    assert bar.count.text() == "1 of 1"
    QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.count.text() == "1 of 1"
    bar.field.setText("Writer")  # the headers' words count outside the window too
    assert bar.count.text().endswith(" of 300")
    for _ in range(3):  # backwards from the first rendered match: into the messages above
        QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.count.text().endswith(" of 300")
    at = int(bar.count.text().split()[0])
    assert bar.matches[bar.current].selectedText() == "Writer"
    line = view.document().findBlock(bar.matches[bar.current].selectionEnd() + 2).text()
    assert line.startswith(f"Message {2 * at - 1}:"), (at, line)
