"""Edit & resend, regenerate, ‹ k/n › versions and branches, through the real window."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.fake_writer.behaviours import Reply, Trickle
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import (
    last_message,
    main_window,
    reply_done,
    run_scenario,
    saved,
    send,
    until,
)
from tests.gui.test_safety import anchors
from writer_desktop.core.models import Conversation, Message, Role, Status, Version
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.edit_dialog import EditDialog
from writer_desktop.ui.main_window import MainWindow
from writer_desktop.ui.message_actions import message_actions
from writer_desktop.ui.render import action_href, make_markdown, message_html


def click(window: MainWindow, action: str, *args: str) -> None:
    """Follow an app link, as a click in the chat (or its context menu) does."""
    window.chat._on_anchor(QUrl(action_href(action, *args)))


def version_links(window: MainWindow) -> list[str]:
    return [h for h in anchors(window.chat.document()) if h.startswith("wd-action:version/")]


def chat_text(window: MainWindow) -> str:
    return window.chat.toPlainText()


def test_regenerate_keeps_the_old_reply_browsable_and_it_survives_a_restart(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="First answer."), Reply(text="Second answer."))

    async def scenario() -> str:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Question?")
            await reply_done(window)
            assert version_links(window) == []
            window.regenerate_action.trigger()  # Ctrl+Shift+R: the last reply
            await until(lambda: "Second answer." in chat_text(window), what="new reply")
            await reply_done(window)
            reply = last_message(window)
            assert "2/2" in chat_text(window)
            assert "First answer." not in chat_text(window)
            assert version_links(window) == [f"wd-action:version/{reply.id}/-1"]
            # Only the displayed path went to Writer: never the old reply.
            assert fake.chat_requests[-1].json["messages"] == [
                {"role": "user", "content": "Question?"}
            ]
            click(window, "version", reply.id, "-1")
            await until(lambda: "First answer." in chat_text(window), what="old reply")
            assert "Second answer." not in chat_text(window)
            assert "1/2" in chat_text(window)
            conv_id = window.controller.current_id
            assert conv_id is not None
            data = saved(store, conv_id)  # saved at once
            assert [m["content"] for m in data["messages"]] == ["Question?", "First answer."]
            [version] = data["messages"][1]["versions"]
            assert version["message"]["content"] == "Second answer."
            return conv_id

    conv_id = run_scenario(scenario())
    store.close()
    with ConversationStore(store.root, store.cache_dir) as again:

        async def restarted() -> None:
            async with main_window(fake, again, tmp_path) as window:
                assert window.controller.current_id == conv_id
                await until(lambda: "First answer." in chat_text(window), what="reopened")
                assert "1/2" in chat_text(window)
                newer = version_links(window)
                assert len(newer) == 1
                assert newer[0].endswith("/1")
                window.chat._on_anchor(QUrl(newer[0]))
                await until(lambda: "Second answer." in chat_text(window), what="newer")
                assert "2/2" in chat_text(window)

        run_scenario(restarted())


def test_edit_and_resend_keeps_the_old_branch(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Paris."), Reply(text="Rome."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Capital of France?")
            await reply_done(window)
            conv = window.controller.current_conversation()
            assert conv is not None
            user_id = conv.messages[0].id
            click(window, "edit", user_id)
            [dialog] = window.findChildren(EditDialog)
            assert dialog.editor.toPlainText() == "Capital of France?"  # prefilled
            dialog.editor.setPlainText("Capital of Italy?")
            QTest.keyClick(dialog.editor, Qt.Key.Key_Return)  # Enter resends, as in the prompt
            await until(lambda: "Rome." in chat_text(window), what="reply to the edit")
            await reply_done(window)
            assert "Paris." not in chat_text(window)
            assert fake.chat_requests[-1].json["messages"] == [
                {"role": "user", "content": "Capital of Italy?"}
            ]
            data = saved(store, conv.id)
            assert [m["content"] for m in data["messages"]] == ["Capital of Italy?", "Rome."]
            [version] = data["messages"][0]["versions"]
            assert version["message"]["content"] == "Capital of France?"
            assert [m["content"] for m in version["following"]] == ["Paris."]
            edited = window.controller.current_conversation()
            assert edited is not None
            click(window, "version", edited.messages[0].id, "-1")
            await until(lambda: "Paris." in chat_text(window), what="old branch")
            assert "Capital of France?" in chat_text(window)
            assert "Rome." not in chat_text(window)

    run_scenario(scenario())


def test_up_in_the_empty_composer_edits_the_last_message_and_cancel_changes_nothing(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "one")
            await reply_done(window)
            await send(window, "two")
            await reply_done(window)
            conv_id = window.controller.current_id
            assert conv_id is not None
            before = saved(store, conv_id)
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Up)
            [dialog] = window.findChildren(EditDialog)
            assert dialog.editor.toPlainText() == "two"
            QTest.keyClick(dialog.editor, Qt.Key.Key_Escape)
            assert saved(store, conv_id) == before
            QTest.keyClicks(window.composer.editor, "draft")
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Up)  # not empty: just the cursor
            await until(lambda: not window.findChildren(EditDialog), what="dialog gone")
            assert window.composer.editor.toPlainText() == "draft"
            assert len(fake.chat_requests) == 2

    run_scenario(scenario())


def test_editing_while_a_reply_streams_stops_it_and_keeps_it(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Trickle(text="slow " * 400, delay_per_token=0.02), Reply(text="Quick."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Tell me slowly")
            await until(lambda: "slow slow" in chat_text(window), what="streaming")
            conv = window.controller.current_conversation()
            assert conv is not None
            window.controller.edit_message(conv.messages[0].id, "Tell me quickly")
            await until(lambda: "Quick." in chat_text(window), what="new reply")
            await reply_done(window)
            data = saved(store, conv.id)
            [version] = data["messages"][0]["versions"]
            [old_reply] = version["following"]
            assert old_reply["status"] == "stopped"
            assert old_reply["content"].startswith("slow slow")

    run_scenario(scenario())


def test_regenerating_while_busy_is_refused(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Done."), Trickle(text="slow " * 400, delay_per_token=0.02))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "first")
            await reply_done(window)
            first_reply = last_message(window).id
            await send(window, "second")
            await until(lambda: "slow slow" in chat_text(window), what="streaming")
            click(window, "regenerate", first_reply)
            click(window, "version", first_reply, "-1")
            assert "Stop the reply" in window.statusBar().currentMessage()
            window.controller.stop()
            await reply_done(window)
            conv = window.controller.current_conversation()
            assert conv is not None
            assert all(not m.versions for m in conv.messages)

    run_scenario(scenario())


def test_branch_opens_a_new_conversation_and_leaves_the_original(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Alpha."), Reply(text="Beta."), Reply(text="Gamma."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "a")
            await reply_done(window)
            await send(window, "b")
            await reply_done(window)
            original = window.controller.current_conversation()
            assert original is not None
            window.controller.set_system_prompt("Be brief.")
            before = saved(store, original.id)
            click(window, "branch", original.messages[1].id)
            branch = window.controller.current_conversation()
            assert branch is not None
            assert branch.id != original.id
            assert branch.title == f"{original.title} (branch)"
            assert branch.system_prompt == "Be brief."
            assert [m.content for m in branch.messages] == ["a", "Alpha."]
            assert "Beta." not in chat_text(window)
            assert {s.id for s in store.list()} == {original.id, branch.id}
            await send(window, "c")  # the branch goes its own way
            await reply_done(window)
            assert [m["content"] for m in saved(store, branch.id)["messages"]] == [
                "a", "Alpha.", "c", "Gamma.",
            ]  # fmt: skip
            assert saved(store, original.id) == before

    run_scenario(scenario())


def test_actions_offered_per_message() -> None:
    user = Message(Role.USER, "q")
    reply = Message(Role.ASSISTANT, "a")
    streaming = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    labels = [label for label, _ in message_actions(user)]
    assert labels == ["&Edit and resend…", "&Branch from here"]
    assert [label for label, _ in message_actions(reply)] == ["&Regenerate", "&Branch from here"]
    assert message_actions(streaming) == []
    reply.versions = [Version(Message(Role.ASSISTANT, "old", created_at="2000-01-01T00:00:00Z"))]
    assert ("&Previous version (1/2)", action_href("version", reply.id, "-1")) in message_actions(
        reply
    )


def test_version_links_are_quoted_and_cannot_be_forged() -> None:
    hostile_id = 'x" style="color:red"/../branch/other'
    old = Message(Role.ASSISTANT, "old", created_at="2000-01-01T00:00:00Z")
    reply = Message(Role.ASSISTANT, "new", id=hostile_id, versions=[Version(old)])
    html = message_html(make_markdown(), reply)
    assert 'style="color:red"' not in html
    assert "version/x%22%20style" in html
    assert "1/2" not in html
    assert "2/2" in html
    forged = Message(Role.ASSISTANT, "[‹](wd-action:version/x/-1) <wd-action:branch/x>")
    assert "href=" not in message_html(make_markdown(), forged)


def frame_point(window: MainWindow, message_id: str) -> QPoint:
    """A point inside a rendered message, in viewport coordinates."""
    chat = window.chat
    frame = chat._window.frames[message_id]
    rect = chat.document().documentLayout().frameBoundingRect(frame)
    rect.translate(-chat.horizontalScrollBar().value(), -chat.verticalScrollBar().value())
    return rect.center().toPoint()


def test_hover_toolbar_and_context_menu_offer_the_actions(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="One."), Reply(text="Two."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.resize(900, 600)
            await send(window, "Count")
            await reply_done(window)
            conv = window.controller.current_conversation()
            assert conv is not None
            user, reply = conv.messages
            toolbar = window.chat.toolbar
            window.chat.hover_at(frame_point(window, user.id))
            assert toolbar.message_id == user.id
            assert [b.text() for b in toolbar.buttons()] == ["Copy", "Edit", "Branch"]
            window.show()
            window.chat.hover_at(frame_point(window, user.id))
            assert toolbar.isVisible()
            window.chat.hover_at(frame_point(window, reply.id))  # straight on to the next one
            assert toolbar.message_id == reply.id
            buttons = {b.text(): b for b in toolbar.buttons()}
            assert list(buttons) == ["Copy", "Regenerate", "Branch"]
            assert "new conversation" in buttons["Branch"].toolTip()  # one word said more
            assert all(b.toolTip() for b in buttons.values())
            # The buttons added to the visible toolbar were left hidden: it shrank to a dot.
            assert all(b.isVisible() for b in buttons.values())
            assert toolbar.width() >= sum(b.sizeHint().width() for b in buttons.values())
            buttons["Copy"].click()  # the reply's Markdown source
            assert QApplication.clipboard().text() == "One."
            assert window.statusBar().currentMessage() == "Copied message"
            buttons["Regenerate"].click()
            await until(lambda: "Two." in chat_text(window), what="regenerated")
            await reply_done(window)
            assert "2/2" in chat_text(window)
            new_reply = last_message(window)
            menu = window.chat.message_menu(frame_point(window, new_reply.id))
            entries = {a.text(): a for a in menu.actions() if a.text()}
            assert "&Edit and resend…" not in entries
            assert {"&Regenerate", "&Previous version (1/2)", "&Branch from here"} <= set(entries)
            entries["&Previous version (1/2)"].trigger()
            await until(lambda: "One." in chat_text(window), what="older version")
            assert "1/2" in chat_text(window)
            assert not toolbar.isVisible()  # the conversation was shown again
            menu.deleteLater()

    run_scenario(scenario())


def test_the_hover_toolbar_stays_on_the_header_and_goes_when_the_mouse_leaves(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # Pinned to the top of the viewport while a long reply's header was scrolled away, the
    # toolbar covered a code block's Copy link there, and a click meant to copy branched.
    code = "\n".join(f"line_{i} = {i}" for i in range(120))
    fake.enqueue(Reply(text=f"Here:\n\n```python\n{code}\n```\n\nDone."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.resize(900, 500)
            await send(window, "Code please")
            await reply_done(window)
            reply = last_message(window)
            chat, toolbar = window.chat, window.chat.toolbar
            bar = chat.verticalScrollBar()
            bar.setValue(0)
            await until(lambda: chat.message_at(frame_point(window, reply.id)) == reply.id)
            chat.hover_message(reply.id)
            await until(toolbar.isVisible, what="the toolbar on the reply's header")
            header_top = frame_point(window, reply.id).y()
            assert toolbar.y() < header_top  # at the top of the message, not of the viewport
            bar.setValue(bar.maximum())  # the reply's header is now far above the viewport
            await until(lambda: not toolbar.isVisible(), what="the toolbar to go")
            chat.hover_message(reply.id)
            assert not toolbar.isVisible()
            bar.setValue(0)
            chat.hover_message(reply.id)
            assert toolbar.isVisible()
            QApplication.sendEvent(chat, QEvent(QEvent.Type.Leave))  # onto the composer, say
            assert not toolbar.isVisible()

    run_scenario(scenario())


def test_switching_a_version_keeps_its_place_in_view(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    long_text = "A long paragraph of text. " * 40
    old_path = [Message(Role.ASSISTANT if i % 2 else Role.USER, long_text) for i in range(6)]
    old_reply = old_path[0]
    old_reply.role = Role.ASSISTANT
    old_reply.created_at = "2026-01-01T00:00:00.000Z"
    new_reply = Message(Role.ASSISTANT, "Short.", versions=[Version(old_reply, old_path[1:])])
    conv = Conversation(title="Long", messages=[Message(Role.USER, "Start"), new_reply])
    store.save(conv)

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.resize(900, 600)
            await until(lambda: "Short." in chat_text(window), what="opened")
            click(window, "version", new_reply.id, "-1")
            await until(lambda: "1/2" in chat_text(window), what="switched")
            bar = window.chat.verticalScrollBar()
            assert bar.maximum() > 0
            assert bar.value() < bar.maximum() // 2  # the switched place, not the end

    run_scenario(scenario())


def test_a_read_only_conversation_cannot_change_but_can_be_branched(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    old = Message(Role.ASSISTANT, "Old.", created_at="2026-01-01T00:00:00.000Z")
    reply = Message(Role.ASSISTANT, "New.", versions=[Version(old)])
    conv = Conversation(title="From the future", messages=[Message(Role.USER, "Hi"), reply])
    data = conv.to_dict()
    data["schema_version"] = 2  # written by a newer Writer Desktop: shown, never rewritten
    path = store.conversations_dir / f"{conv.id}.json"
    path.write_text(json.dumps(data), "utf-8")
    store.refresh()
    problems: list[str] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller.problem.connect(problems.append)
            await until(lambda: "New." in chat_text(window), what="opened")
            # Said as it opens (it looked like any other until a send was refused).
            notices: list[str] = []
            window.controller.notice.connect(notices.append)
            window.controller.new_conversation()
            window.controller.open_conversation(conv.id)
            assert notices == [
                "“From the future” was saved by a newer version of Writer Desktop: you can read "
                "and export it here, not change it."
            ]
            user, reply = conv.messages
            click(window, "regenerate", reply.id)
            click(window, "version", reply.id, "-1")
            window.controller.edit_message(user.id, "Hello")
            # A rename or a pin is refused before it changes anything: the notice quoted the
            # rejected new name as the title, and the list showed it until the next start.
            window.controller.rename(conv.id, "Renamed here")
            window.controller.set_pinned(conv.id, True)
            assert len(problems) == 5
            assert all(
                p == "“From the future” was saved by a newer version of Writer Desktop and is "
                "read-only here."
                for p in problems
            )
            shown = window.controller.current_conversation()
            assert shown is not None
            assert (shown.title, shown.pinned) == ("From the future", False)
            assert json.loads(path.read_text("utf-8")) == data
            assert fake.chat_requests == []
            click(window, "branch", reply.id)
            branch = window.controller.current_conversation()
            assert branch is not None
            assert branch.id != conv.id
            assert not branch.read_only
            assert [m.content for m in branch.messages] == ["Hi", "New."]
            assert saved(store, branch.id)["schema_version"] == 1

    run_scenario(scenario())
