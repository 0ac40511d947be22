"""Running GUI scenarios: real widgets, a real store in a temp folder, the fake Writer server.

pytest-asyncio's loop is not Qt's, so each scenario is a coroutine run to completion on a fresh
qasync :class:`~writer_desktop.ui.event_loop.EventLoop` via ``writer_desktop.ui.event_loop.run``
(which also shuts down async generators and closes the loop, leaving nothing behind).
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from tests.conftest import FAKE_KEY
from tests.fake_writer.server import FakeWriter
from writer_desktop.core.api import RetryPolicy, Timeouts, WriterClient
from writer_desktop.core.drafts import DRAFTS_NAME, Drafts
from writer_desktop.core.errors import DiskFull
from writer_desktop.core.logs import Redactor
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.secrets import KeyStore
from writer_desktop.core.settings import Settings
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.event_loop import run
from writer_desktop.ui.main_window import MainWindow

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from writer_desktop.ui.chat_view import ChatView

KEY = FAKE_KEY
T = TypeVar("T")


def run_scenario(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return run(coro)
    finally:
        # Collect the finished loop's Qt objects (qasync's timer object sits in reference cycles)
        # here, on the GUI thread: a collection started by another thread (the fake server's)
        # would destroy them there, leaving their Qt timers registered, and Qt would crash later.
        gc.collect()


async def until(predicate: Callable[[], object], seconds: float = 5.0, what: str = "") -> None:
    """Let the loop run until ``predicate()`` is true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.01)


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def make_client(
    http: httpx.AsyncClient, base_url: str, *, real_sleep: bool = False
) -> WriterClient:
    return WriterClient(
        http,
        api_key=KEY,
        base_url=base_url,
        timeouts=Timeouts(idle=5),
        retry=RetryPolicy(base_delay=0.01),
        sleep=asyncio.sleep if real_sleep else no_sleep,
    )


@asynccontextmanager
async def main_window(
    fake: FakeWriter,
    store: ConversationStore,
    tmp_path: Path,
    *,
    real_sleep: bool = False,
    base_url: str | None = None,
    drafts: Drafts | None = None,
    keys: KeyStore | None = None,
) -> AsyncIterator[MainWindow]:
    """The app's own :func:`open_main_window`, with a key from the (fake) environment, or
    looked up in ``keys``."""
    from writer_desktop.app import open_main_window

    async with httpx.AsyncClient() as http:
        client = make_client(http, base_url or fake.base_url, real_sleep=real_sleep)
        keys = keys or KeyStore(object(), environ={"WRITER_API_KEY": KEY})
        state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
        window = await open_main_window(
            store, client, keys, Settings(), Redactor(), state, drafts=drafts
        )
        assert window is not None
        try:
            yield window
        finally:
            window.close()
            await window.controller.shutdown()
            window.deleteLater()
            await asyncio.sleep(0)


async def activated(window: MainWindow) -> None:
    """Show ``window`` and wait until it is active: a window's shortcuts (and the keyboard
    focus) reach the active window only."""
    window.show()
    window.activateWindow()
    await until(window.isActiveWindow, what="the window active (keyboard focus)")


async def send(window: MainWindow, text: str) -> None:
    """Type ``text`` into the composer and press Enter, as a user would."""
    editor = window.composer.editor
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    await asyncio.sleep(0)


async def reply_done(window: MainWindow, seconds: float = 5.0) -> None:
    await until(lambda: not window.composer.busy, seconds, "the reply to end")


def saved(store: ConversationStore, conv_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((store.conversations_dir / f"{conv_id}.json").read_text())
    return data


def disk_full(
    store: ConversationStore,
    monkeypatch: pytest.MonkeyPatch,
    *,
    at_reply_end: bool = False,
    message: str = "Could not save: the disk is full.",
) -> dict[str, bool]:
    """Make ``store.save`` fail as on a full disk while ``["on"]`` (set it False to free
    space); with ``at_reply_end``, only saves of a finished reply fail (the disk filled up just
    as it ended)."""
    real_save = store.save
    full = {"on": True}

    def save(conv: Conversation) -> None:
        replies = (m for m in conv.messages if m.role is Role.ASSISTANT)
        ended = any(m.status is Status.COMPLETE for m in replies)
        if full["on"] and (ended or not at_reply_end):
            raise DiskFull(message)
        real_save(conv)

    monkeypatch.setattr(store, "save", save)
    return full


class BlockedDrafts:
    """Drafts whose every save fails (their folder is a file) until :meth:`unblock`."""

    def __init__(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "not-a-folder"
        self.folder.write_text("")
        self.drafts = Drafts(self.folder / DRAFTS_NAME)

    def unblock(self) -> None:
        """Space again: the next save works."""
        self.folder.unlink()
        self.folder.mkdir()


def last_message(window: MainWindow) -> Message:
    conv = window.controller.current_conversation()
    assert conv is not None
    return conv.messages[-1]


def chat_showing(qtbot: QtBot, conv: Conversation, size: tuple[int, int] = (600, 500)) -> ChatView:
    """A chat view on its own, shown, with ``conv`` in it."""
    from writer_desktop.ui.chat_view import ChatView

    view = ChatView()
    view.resize(*size)
    qtbot.addWidget(view)
    view.show()
    view.show_conversation(conv)
    return view
