"""Send, stream, stop, retry and errors, through the real window and the fake Writer server."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from tests.fake_writer.behaviours import CutAfter, Error, RateLimit, Reply, Trickle
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import (
    disk_full,
    last_message,
    main_window,
    reply_done,
    run_scenario,
    saved,
    send,
    until,
)
from tests.gui.test_safety import anchors
from writer_desktop.core.atomic import atomic_write
from writer_desktop.core.errors import DiskFull
from writer_desktop.core.models import Conversation
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.controller import FALLBACK_MODELS, TITLE_LENGTH, title_from
from writer_desktop.ui.render import ERROR_BG


def test_send_streams_reply_and_saves_it(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Hello from **Writer**."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Say hello")
            await until(lambda: "Hello from Writer." in window.chat.toPlainText(), what="reply")
            await reply_done(window)
            assert window.composer.editor.toPlainText() == ""  # cleared once accepted
            conv_id = window.controller.current_id
            assert conv_id is not None
            data = saved(store, conv_id)
            assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
            assert data["messages"][1]["content"] == "Hello from **Writer**."
            assert data["messages"][1]["status"] == "complete"
            assert data["title"] == "Say hello"
            assert window.sidebar.model.rowCount() == 1
            assert "tokens" in window.chat.toPlainText()  # usage shown
            assert fake.chat_requests[-1].json["messages"][-1]["content"] == "Say hello"

    run_scenario(scenario())


def test_stop_keeps_partial_reply_marked_stopped(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Tell me a long story")
            await until(lambda: window.composer.button.text() == "Stop")
            await until(lambda: len(last_message(window).content) > 20, what="some text")
            QTest.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
            await reply_done(window)
            message = saved(store, window.controller.current_id or "")["messages"][-1]
            assert message["status"] == "stopped"
            assert message["content"]
            assert message["content"] == window.chat.message_text(message["id"])
            assert "Stopped" in window.chat.toPlainText()
            assert window.composer.button.text() == "Send"

    run_scenario(scenario())


def test_cut_shows_interrupted_and_retry_does_not_duplicate(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(CutAfter(2000, mode="reset", text="partial " * 400), Reply(text="Fresh answer."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Explain")
            await reply_done(window)
            await until(lambda: "Interrupted — connection lost" in window.chat.toPlainText())
            reply = last_message(window)
            assert reply.status == "interrupted"
            assert reply.content.startswith("partial")
            assert window.chat.message_text(reply.id) == reply.content
            window.chat.anchorClicked.emit(QUrl(f"wd-action:retry/{reply.id}"))
            await until(lambda: "Fresh answer." in window.chat.toPlainText(), what="retried reply")
            await reply_done(window)
            text = window.chat.toPlainText()
            assert "part" not in text
            assert text.count("Fresh answer.") == 1
            data = saved(store, window.controller.current_id or "")
            assert [m["content"] for m in data["messages"]] == ["Explain", "Fresh answer."]
            assert data["messages"][1]["status"] == "complete"
            assert len(fake.chat_requests) == 2

    run_scenario(scenario())


def test_a_retry_keeps_the_partial_reply_as_an_earlier_version(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # A retry replaced the partial text once its own arrived: a retry cut short in turn left a
    # shorter answer than the one it replaced, and the longer one was gone for good.
    fake.enqueue(
        CutAfter(2000, mode="reset", text="partial " * 400),
        Error(400, "The request was malformed"),  # Writer still failing: nothing new to show
        Reply(text="Fresh answer."),
    )

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Explain")
            await reply_done(window)
            reply = last_message(window)
            partial = reply.content
            assert (reply.status, partial[:7]) == ("interrupted", "partial")
            conv_id = window.controller.current_id or ""
            window.chat.anchorClicked.emit(QUrl(f"wd-action:retry/{reply.id}"))
            await until(lambda: "malformed" in window.chat.toPlainText(), what="the new error")
            await reply_done(window)
            retried = last_message(window)
            assert (retried.content, retried.status) == ("", "error")
            assert "2/2" in window.chat.toPlainText()  # the partial one is ‹ 1/2 ›
            [version] = saved(store, conv_id)["messages"][-1]["versions"]
            assert (version["message"]["content"], version["message"]["status"]) == (
                partial,
                "interrupted",
            )
            # Nothing came this time: the next retry streams into the same place again.
            window.chat.anchorClicked.emit(QUrl(f"wd-action:retry/{retried.id}"))
            await until(lambda: "Fresh answer." in window.chat.toPlainText(), what="the retry")
            await reply_done(window)
            text = window.chat.toPlainText()
            assert "partial" not in text
            assert "malformed" not in text
            on_disk = saved(store, conv_id)["messages"][-1]
            assert (on_disk["id"], on_disk["content"]) == (retried.id, "Fresh answer.")
            assert [v["message"]["content"] for v in on_disk["versions"]] == [partial]
            window.chat.anchorClicked.emit(QUrl(f"wd-action:version/{retried.id}/-1"))
            await until(lambda: "partial partial" in window.chat.toPlainText(), what="‹ 1/2")

    run_scenario(scenario())


def test_auth_error_is_a_notice_not_model_text(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Error(401))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Hi")
            await reply_done(window)
            reply = last_message(window)
            assert reply.status == "error"
            assert reply.content == ""  # the error never becomes the model's words
            assert reply.error
            await until(lambda: "Couldn't get a reply" in window.chat.toPlainText())
            html = window.chat.toHtml()
            assert ERROR_BG in html
            assert "Writer Desktop:" in window.chat.toPlainText()
            data = saved(store, window.controller.current_id or "")["messages"][-1]
            assert (data["status"], data["content"]) == ("error", "")

    run_scenario(scenario())


def test_rate_limit_shows_countdown_then_reply(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(RateLimit(retry_after="2"), Reply(text="Made it."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, real_sleep=True) as window:
            await send(window, "Hi")
            await until(lambda: "Retrying in 2 s" in window.chat.toPlainText(), what="countdown")
            await until(lambda: "Retrying in 1 s" in window.chat.toPlainText(), 2.5, "tick")
            await until(lambda: "Made it." in window.chat.toPlainText(), 4.0, "reply")
            assert "Retrying" not in window.chat.toPlainText()

    run_scenario(scenario())


def test_new_send_in_same_conversation_stops_the_running_reply(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002), Reply(text="Second."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "First")
            await until(lambda: len(last_message(window).content) > 10, what="first reply text")
            window.controller.send("Second")  # the controller's rule; Enter waits (below)
            await until(lambda: "Second." in window.chat.toPlainText(), what="second reply")
            await reply_done(window)
            data = saved(store, window.controller.current_id or "")
            statuses = [(m["role"], m["status"]) for m in data["messages"]]
            assert statuses == [
                ("user", "complete"),
                ("assistant", "stopped"),
                ("user", "complete"),
                ("assistant", "complete"),
            ]

    run_scenario(scenario())


def test_enter_while_a_reply_streams_keeps_the_text_and_says_why(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002), Reply(text="Second."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "First")
            await until(lambda: len(last_message(window).content) > 10, what="first reply text")
            await send(window, "Second")  # Enter: it would cut the reply off
            assert window.composer.text() == "Second"
            assert "still answering" in window.statusBar().currentMessage()
            assert window.composer.busy
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Escape)
            await reply_done(window)
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Return)
            await until(lambda: "Second." in window.chat.toPlainText(), what="second reply")
            await reply_done(window)
            data = saved(store, window.controller.current_id or "")
            assert [m["content"] for m in data["messages"] if m["role"] == "user"] == [
                "First",
                "Second",
            ]

    run_scenario(scenario())


def test_model_picker_lists_server_models_and_sets_the_model(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="ok"))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            picker = window.composer.models
            await until(lambda: picker.findText("palmyra-med") >= 0, what="model list")
            picker.setCurrentIndex(picker.findText("palmyra-fin"))
            picker.activated.emit(picker.currentIndex())
            await send(window, "Hi")
            await reply_done(window)
            assert fake.chat_requests[-1].json["model"] == "palmyra-fin"
            assert saved(store, window.controller.current_id or "")["model"] == "palmyra-fin"

    run_scenario(scenario())


def test_escape_stops_and_switching_back_mid_stream_loses_no_text(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Long one")
            streaming_id = window.controller.current_id or ""
            await until(lambda: len(last_message(window).content) > 20, what="some text")
            window.new_action.trigger()  # look elsewhere while it streams
            await asyncio.sleep(0.1)
            window.controller.open_conversation(streaming_id)
            assert window.composer.button.text() == "Stop"
            await asyncio.sleep(0.1)
            QTest.keyClick(window.composer.editor, Qt.Key.Key_Escape)
            await reply_done(window)
            message = saved(store, streaming_id)["messages"][-1]
            assert message["status"] == "stopped"
            assert window.chat.message_text(message["id"]) == message["content"]

    run_scenario(scenario())


def test_escape_in_the_conversation_stops_the_reply_too(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # A reader who clicked into the reply (to scroll or select) has the focus there, not in the
    # message box: Esc did nothing.
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Long one")
            await until(lambda: len(last_message(window).content) > 20, what="some text")
            window.chat.setFocus()
            QTest.keyClick(window.chat, Qt.Key.Key_Escape)
            await reply_done(window)
            assert last_message(window).status == "stopped"
            QTest.keyClick(window.chat, Qt.Key.Key_Escape)  # nothing streams: nothing happens
            assert last_message(window).status == "stopped"

    run_scenario(scenario())


def test_deleting_a_streaming_conversation_stops_it_first(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Doomed")
            conv_id = window.controller.current_id or ""
            await until(lambda: len(last_message(window).content) > 5, what="some text")
            window.sidebar.delete_requested.emit(conv_id)
            await until(lambda: store.list() == [], what="deletion")
            await asyncio.sleep(0.2)  # nothing writes the file back
            assert not (store.conversations_dir / f"{conv_id}.json").exists()
            assert [e.id for e in store.trashed()] == [conv_id]

    run_scenario(scenario())


def test_length_cut_offers_continue_which_keeps_the_draft(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="Half an ans", finish_reason="length"), Reply(text="wer."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Answer")
            await reply_done(window)
            await until(lambda: "Cut off at the length limit." in window.chat.toPlainText())
            QTest.keyClicks(window.composer.editor, "my draft")
            cut = last_message(window)
            window.chat.setFocus()  # as the click on the link does
            window.chat.anchorClicked.emit(QUrl(f"wd-action:continue/{cut.id}"))
            assert window.focusWidget() is window.composer.editor  # typing goes on there
            await until(lambda: "wer." in window.chat.toPlainText(), what="continuation")
            await reply_done(window)
            assert window.composer.editor.toPlainText() == "my draft"
            # The cut reply is no longer the last: it still says so, without a Continue link.
            links = anchors(window.chat.document())
            assert f"wd-action:continue/{cut.id}" not in links
            assert window.chat.toPlainText().count("Cut off at the length limit.") == 1
            sent = fake.chat_requests[-1].json["messages"]
            assert sent[-2] == {"role": "assistant", "content": "Half an ans"}
            assert sent[-1]["role"] == "user"
            assert "continue" in sent[-1]["content"].lower()

    run_scenario(scenario())


def test_a_refused_send_is_told_by_title_and_withdrawn_once_saves_work_again(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Could not save 0a7f….json: the disk is full." stayed in the bar after space was freed
    # and other conversations were saved, though nothing of that one was left unsaved.
    fake.enqueue(Reply(text="Saved fine."))
    full = {"on": True}

    def write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
        if full["on"]:
            raise DiskFull(f"Could not save {path.name}: the disk is full.")
        atomic_write(path, data, mode=mode)

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller.rename(window.controller.current_id or "", "Budget")
            monkeypatch.setattr("writer_desktop.core.store.atomic_write", write)
            await send(window, "Keep me")
            assert window.composer.editor.toPlainText() == "Keep me"
            assert window.problems is not None
            assert window.problems.texts == ["Could not save “Budget”: the disk is full."]
            full["on"] = False  # space again; another conversation is saved
            window.new_action.trigger()
            window.composer.editor.clear()
            await send(window, "Elsewhere")
            await reply_done(window)
            assert window.problems.texts == []

    run_scenario(scenario())


def test_refused_send_keeps_the_text_and_says_why(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(conv: object) -> None:
        raise DiskFull("Could not save: the disk is full.")

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            monkeypatch.setattr(store, "save", disk_full)
            await send(window, "Keep me")
            assert window.composer.editor.toPlainText() == "Keep me"
            assert not window.composer.busy
            assert window.problems is not None
            assert window.problems.isVisible()
            assert window.problems.texts == ["Could not save: the disk is full."]
            assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]
            assert fake.chat_requests == []
            assert window.chat.toPlainText() == ""
            conv = window.controller.current_conversation()
            assert conv is not None
            assert (conv.messages, conv.title) == ([], "")  # the question and its reply undone

    run_scenario(scenario())


def test_a_question_and_its_reply_are_saved_in_one_rewrite(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At send the conversation is rewritten once, with the question and its reply streaming
    (a rewrite of a 2,000-message conversation takes ~45 ms): a crash then leaves both on disk,
    the reply to be marked interrupted. The next rewrite is the reply's end."""
    fake.enqueue(Trickle(text="One two three four five six.", delay_per_token=0.05))
    rewrites: list[list[tuple[str, str]]] = []
    real_save = store.save

    def counting(conv: Conversation) -> None:
        rewrites.append([(m.role.value, m.status.value) for m in conv.messages])
        real_save(conv)

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            monkeypatch.setattr(store, "save", counting)
            await send(window, "Count to six")
            await until(lambda: window.composer.button.text() == "Stop", what="streaming")
            on_disk = saved(store, window.controller.current_id or "")["messages"]
            assert [(m["role"], m["status"]) for m in on_disk] == [
                ("user", "complete"),
                ("assistant", "streaming"),
            ]
            await reply_done(window)

    run_scenario(scenario())
    assert rewrites == [
        [("user", "complete"), ("assistant", "streaming")],  # at send
        [("user", "complete"), ("assistant", "complete")],  # at the end
    ]


def test_offline_model_list_falls_back_to_built_in(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, base_url=f"http://127.0.0.1:{port}") as w:
            await until(lambda: "Offline" in w.statusBar().currentMessage(), what="notice")
            picker = w.composer.models
            assert [picker.itemText(i) for i in range(picker.count())] == list(FALLBACK_MODELS)

    run_scenario(scenario())


def test_offline_start_uses_the_last_known_model_list(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    from writer_desktop.core.model_cache import ModelCache

    ModelCache(store.cache_dir / "models.json").save(["palmyra-x5", "palmyra-x6-preview"])
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, base_url=f"http://127.0.0.1:{port}") as w:
            await until(lambda: "last known" in w.statusBar().currentMessage(), what="notice")
            picker = w.composer.models
            assert [picker.itemText(i) for i in range(picker.count())] == [
                "palmyra-x5",
                "palmyra-x6-preview",
            ]

    run_scenario(scenario())


def test_a_reply_whose_last_save_failed_is_saved_once_space_is_back(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.enqueue(Reply(text="Worth keeping."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            full = disk_full(store, monkeypatch, at_reply_end=True)
            await send(window, "Keep this")
            await reply_done(window)
            conv_id = window.controller.current_id
            assert conv_id is not None
            assert "retrying" in window.statusBar().currentMessage()
            assert saved(store, conv_id)["messages"][-1]["status"] != "complete"
            bar = window.problems  # told where it stays: the status bar's notice goes
            assert bar is not None
            [told] = bar.texts
            assert told.startswith("The reply in “Keep this” is not saved yet.")
            full["on"] = False
            await until(lambda: saved(store, conv_id)["messages"][-1]["status"] == "complete",
                        seconds=10, what="the background save")  # fmt: skip
            assert saved(store, conv_id)["messages"][-1]["content"] == "Worth keeping."
            assert window.statusBar().currentMessage() == "Saved."
            assert bar.texts == []  # saved by the reply's own retries: withdrawn too
            assert not bar.isVisible()

    run_scenario(scenario())


def test_a_title_from_a_long_first_line_keeps_its_last_emoji_whole() -> None:
    family = "👨\u200d👩\u200d👧\u200d👦"  # one emoji: three ZWJs
    prompt = "x" * (TITLE_LENGTH - 4) + family + " and the rest of the line\nsecond line"
    assert title_from(prompt) == "x" * (TITLE_LENGTH - 4) + "…"
    assert title_from("Plan " + family + " trip") == "Plan " + family + " trip"


def test_a_conversation_changed_by_another_program_is_kept_and_told(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # A sync tool's or an editor's change to the open conversation was overwritten at the next
    # send, silently.
    fake.enqueue(Reply(text="First answer."), Reply(text="Second answer."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Plan the trip")
            await reply_done(window)
            conv_id = window.controller.current_id or ""
            path = store.conversations_dir / f"{conv_id}.json"
            data = json.loads(path.read_text(encoding="utf-8"))
            data["messages"][1]["content"] = "Edited on my laptop."
            theirs = json.dumps(data).encode("utf-8")
            path.write_bytes(theirs)
            later = path.stat().st_mtime_ns + 2_000_000_000
            os.utime(path, ns=(later, later))
            await send(window, "And the hotels?")
            await reply_done(window)
            [kept] = store.conversations_dir.glob(f"{conv_id}.json.changed-*")
            assert kept.read_bytes() == theirs
            told = "\n".join(window.problems.texts) if window.problems is not None else ""
            assert "“Plan the trip” was changed by another program while it was open here" in told
            assert kept.name in told
            assert window.problems is not None
            assert window.problems.folder == store.conversations_dir
            contents = [m["content"] for m in saved(store, conv_id)["messages"]]
            assert contents == [
                "Plan the trip",
                "First answer.",
                "And the hotels?",
                "Second answer.",
            ]

    run_scenario(scenario())
