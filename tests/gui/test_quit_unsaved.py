"""Quitting while a reply's text could not be saved (the disk full) asks before losing it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QMessageBox

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import (
    BlockedDrafts,
    disk_full,
    main_window,
    reply_done,
    run_scenario,
    saved,
    send,
    until,
)
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.main_window import MainWindow


async def reply_not_saved(
    window: MainWindow, store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> dict[str, bool]:
    """A reply ("Worth keeping.", enqueued by the caller) whose saves fail at its end."""
    full = disk_full(store, monkeypatch, at_reply_end=True)
    await send(window, "Keep this")
    await reply_done(window)
    return full


async def unsaved_box(window: MainWindow, why: str = "the disk is full") -> QMessageBox:
    def shown() -> QMessageBox | None:
        box = window.findChild(QMessageBox, "unsavedBox")
        return box if box is not None and box.isVisible() else None

    await until(lambda: shown() is not None, what="the not-saved question")
    box = shown()
    assert box is not None
    assert why in box.informativeText()
    return box


def button(box: QMessageBox, text: str) -> QAbstractButton:
    [found] = [b for b in box.buttons() if b.text().replace("&", "") == text]
    return found


def test_quit_asks_until_the_reply_is_saved(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.enqueue(Reply(text="Worth keeping."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            full = await reply_not_saved(window, store, monkeypatch)
            conv_id = window.controller.current_id
            assert conv_id is not None
            window.request_quit()
            box = await unsaved_box(window)
            assert box.text() == "Quitting now would lose the reply in “Keep this”."
            button(box, "Try again").click()  # still full: asked again
            box = await unsaved_box(window)
            assert not window.has_closed
            full["on"] = False  # the user freed some space
            button(box, "Try again").click()
            await until(lambda: window.has_closed, what="the window closed once saved")
            assert saved(store, conv_id)["messages"][-1]["content"] == "Worth keeping."

    run_scenario(scenario())


def test_cancel_stays_and_quit_without_saving_quits(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.enqueue(Reply(text="Worth keeping."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await reply_not_saved(window, store, monkeypatch)
            window.request_quit()
            button(await unsaved_box(window), "Cancel").click()
            await until(lambda: window.findChild(QMessageBox, "unsavedBox") is None, what="gone")
            assert not window.has_closed
            assert window.isVisible()
            window.close()  # the title bar's close asks again
            button(await unsaved_box(window), "Quit without saving").click()
            await until(lambda: window.has_closed, what="the window closed")

    run_scenario(scenario())


def test_a_quit_from_a_signal_never_waits_for_an_answer(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.enqueue(Reply(text="Worth keeping."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await reply_not_saved(window, store, monkeypatch)
            window.request_quit(ask=False)  # log-out: nobody may be there to answer
            assert window.has_closed

    run_scenario(scenario())


def test_quit_asks_when_typed_text_could_not_be_saved(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    # The drafts file could not be written (a full disk): the quit lost the text unasked.
    blocked = BlockedDrafts(tmp_path)

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, drafts=blocked.drafts) as window:
            QTest.keyClicks(window.composer.editor, "half a thought")
            window.request_quit()
            box = await unsaved_box(window, "Could not save drafts.json")
            assert box.text() == "Quitting now would lose text you typed and did not send."
            blocked.unblock()
            button(box, "Try again").click()
            await until(lambda: window.has_closed, what="the window closed once saved")
        assert "half a thought" in blocked.drafts.path.read_text()

    run_scenario(scenario())
