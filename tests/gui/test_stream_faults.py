"""Cut, stalled, keep-alive-only and all-at-once replies through the real window.

Representative cut offsets (see ``tests/unit/test_stream_cuts.py`` for the byte-by-byte sweep)
go through a :class:`~tests.fault_proxy.FaultProxy`: the chat view shows the partial text with its
honest status, Retry replaces it without duplicating anything, and nothing leaks. During stalls
and keep-alives a 5 ms QTimer must keep firing (a responsiveness check with a generous bound, not
a benchmark), and Stop must end the reply at once, saved as stopped, with the server seeing the
disconnect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.conftest import FAKE_KEY
from tests.fake_writer.behaviours import KeepAliveOnly, Reply, Stall, WholeBody
from tests.fake_writer.server import FakeWriter
from tests.fault_proxy import Cut, Expected, FaultProxy, expected_reply, open_sockets
from tests.gui.harness import (
    last_message,
    main_window,
    reply_done,
    run_scenario,
    saved,
    send,
    until,
)
from writer_desktop.core.api import Timeouts
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.main_window import MainWindow

TEXT = "Hé 🎉"
CUT_REPLY = Reply(text=TEXT, split_seed=1)
RETRIED = "A fresh, whole answer."
LATENESS_BOUND = 0.5  # seconds: a frozen UI, not a slow one


@pytest.fixture
def proxy(fake: FakeWriter) -> Iterator[FaultProxy]:
    with FaultProxy(fake.port) as p:
        yield p


def reference_wire(fake: FakeWriter, proxy: FaultProxy) -> bytes:
    """The uncut response to ``CUT_REPLY`` as the proxy forwards it."""
    fake.enqueue(CUT_REPLY)
    body = {"model": "palmyra-x5", "messages": [{"role": "user", "content": "x"}], "stream": True,
            "max_tokens": 100, "stream_options": {"include_usage": True}}  # fmt: skip
    headers = {"Authorization": f"Bearer {FAKE_KEY}"}
    httpx.post(f"{proxy.base_url}/v1/chat", json=body, headers=headers, timeout=5).read()
    wire = proxy.responses[-1]
    proxy.clear()
    fake.reset()
    return wire


def first_offset(wire: bytes, wanted: Expected) -> int:
    return next(n for n in range(len(wire) + 1) if expected_reply(wire[:n]) == wanted)


class Lateness:
    """A 5 ms QTimer; ``worst`` is the longest it fired late while ``measuring``."""

    def __init__(self) -> None:
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)
        self.last = time.monotonic()
        self.worst = 0.0
        self.ticks = 0
        self.measuring = False

    def _tick(self) -> None:
        now = time.monotonic()
        if self.measuring:
            self.worst = max(self.worst, now - self.last - 0.005)
            self.ticks += 1
        self.last = now

    def start(self) -> None:
        self.timer.start()

    def measure(self) -> None:
        self.last = time.monotonic()
        self.worst, self.ticks, self.measuring = 0.0, 0, True

    def stop(self) -> None:
        self.timer.stop()


def other_tasks() -> list[asyncio.Task[Any]]:
    me = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not me]


async def no_leaks(fake: FakeWriter, proxy: FaultProxy | None, sockets: int) -> None:
    await until(lambda: not other_tasks(), 3, "tasks to end")
    if proxy is not None:
        await until(lambda: proxy.active_connections == 0, 3, "proxy connections to close")
    await until(lambda: fake.active_connections == 0, 3, "server connections to close")
    await until(lambda: open_sockets() <= sockets, 3, "sockets to close")


CASES = {  # name: (what arrives before the cut, how the reply ends up)
    "in-head": (Expected("error", "", False), "Couldn't get a reply"),
    "head-only": (Expected("interrupted", "", False), "Interrupted — connection lost"),
    "first-token": (Expected("interrupted", "Hé", False), "Interrupted — connection lost"),
    "finished-no-usage": (Expected("complete", TEXT, False), None),
}


@pytest.mark.parametrize("mode", ["reset", "close"])
@pytest.mark.parametrize("case", list(CASES))
def test_cut_reply_is_kept_marked_and_retry_replaces_it(
    fake: FakeWriter,
    proxy: FaultProxy,
    store: ConversationStore,
    tmp_path: Path,
    case: str,
    mode: Any,
) -> None:
    wire = reference_wire(fake, proxy)
    wanted, notice = CASES[case]
    cut = 40 if case == "in-head" else first_offset(wire, wanted)
    if case == "first-token":
        cut += 100  # well inside the next event: its bytes arrive but must not show
    assert expected_reply(wire[:cut]) == wanted

    async def cut_then_retry(window: MainWindow) -> None:
        proxy.cut = Cut(cut, mode)
        fake.enqueue(CUT_REPLY, CUT_REPLY, CUT_REPLY)
        await send(window, "Say it")
        await reply_done(window)
        reply = last_message(window)
        conv_id = window.controller.current_id or ""
        on_disk = saved(store, conv_id)["messages"][-1]
        assert (reply.status, reply.content) == (wanted.status, wanted.text)
        assert (on_disk["status"], on_disk["content"]) == (wanted.status, wanted.text)
        assert window.chat.message_text(reply.id) == wanted.text
        assert not window.composer.busy  # Send is back; the UI is not stuck
        assert window.composer.button.text() == "Send"
        shown = window.chat.toPlainText()
        if notice is None:  # cut after the finish: complete, nothing to retry
            assert "Interrupted" not in shown
            assert "Retry" not in shown
            assert shown.count(TEXT) == 1
            return
        await until(lambda: notice in window.chat.toPlainText(), what=notice)
        assert "Retry" in window.chat.toPlainText()
        assert len(fake.chat_requests) == (3 if wanted.status == "error" else 1)

        proxy.cut = None
        fake.reset()
        fake.enqueue(Reply(text=RETRIED))
        window.chat.anchorClicked.emit(QUrl(f"wd-action:retry/{reply.id}"))
        await until(lambda: RETRIED in window.chat.toPlainText(), what="the retried reply")
        await reply_done(window)
        shown = window.chat.toPlainText()
        assert shown.count(RETRIED) == 1
        assert "Hé" not in shown
        assert "Interrupted" not in shown
        assert "Couldn't get a reply" not in shown
        data = saved(store, conv_id)
        assert [(m["role"], m["content"], m["status"]) for m in data["messages"]] == [
            ("user", "Say it", "complete"),
            ("assistant", RETRIED, "complete"),
        ]
        versions = data["messages"][-1]["versions"]
        kept = [(v["message"]["content"], v["message"]["status"]) for v in versions]
        if wanted.text.strip():  # the partial text stays, an earlier version (‹ 1/2 ›)
            assert kept == [(wanted.text, wanted.status)]
        else:  # nothing to keep: the same reply, streamed again
            assert kept == []
            assert data["messages"][-1]["id"] == reply.id
        sent = fake.chat_requests[-1].json["messages"]
        assert [m["role"] for m in sent] == ["user"]  # the partial is not sent back

    async def scenario() -> None:
        sockets = open_sockets()
        async with main_window(fake, store, tmp_path, base_url=proxy.base_url) as window:
            await cut_then_retry(window)
        await no_leaks(fake, proxy, sockets)

    run_scenario(scenario())


async def watch_stall_then_stop(
    window: MainWindow,
    fake: FakeWriter,
    store: ConversationStore,
    lateness: Lateness,
    shown_first: str,
) -> dict[str, Any]:
    """Send, wait for the stall, measure timer lateness for 0.6 s, press Stop; the saved reply."""
    await send(window, "Go on")
    await until(lambda: window.composer.button.text() == "Stop", what="Stop button")
    await until(lambda: shown_first in window.chat.toPlainText(), what=repr(shown_first))
    await until(lambda: len(fake.chat_requests) == 1, what="the request")
    lateness.measure()
    await asyncio.sleep(0.6)
    lateness.measuring = False
    assert window.composer.busy  # still waiting: the stall is real
    QTest.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
    await reply_done(window, 2.0)
    await until(lambda: "Stopped" in window.chat.toPlainText(), what="Stopped")
    await until(lambda: fake.disconnects == 1, 3, "the server to see the disconnect")
    message: dict[str, Any] = saved(store, window.controller.current_id or "")["messages"][-1]
    return message


@pytest.mark.parametrize(
    ("behaviour", "shown_first"),
    [
        (Stall(after_bytes=1500, seconds=30, text="Words before the stall. " * 6), "Words"),
        (KeepAliveOnly(seconds=30, interval=0.02), "Waiting for Writer"),
        (KeepAliveOnly(seconds=30, interval=0.02, text="Text, then keep-alives."), "Text, then"),
    ],
    ids=["silent-stall", "keepalives-only", "text-then-keepalives"],
)
def test_stall_keeps_the_ui_responsive_and_stop_works(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, behaviour: Any, shown_first: str
) -> None:
    lateness = Lateness()

    async def scenario() -> None:
        sockets = open_sockets()
        async with main_window(fake, store, tmp_path) as window:
            fake.enqueue(behaviour)
            lateness.start()
            message = await watch_stall_then_stop(window, fake, store, lateness, shown_first)
            lateness.stop()
            assert message["status"] == "stopped"
            assert message["content"] == window.chat.message_text(message["id"])
            if not isinstance(behaviour, KeepAliveOnly) or behaviour.text:
                assert message["content"]
            assert "Writing" not in window.chat.toPlainText()
        await no_leaks(fake, None, sockets)

    run_scenario(scenario())
    assert lateness.ticks > 20
    assert lateness.worst < LATENESS_BOUND


def test_keepalives_only_give_up_after_the_idle_timeout(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    """No text for the idle timeout: the reply ends interrupted, in words, with Retry."""
    fake.enqueue(KeepAliveOnly(seconds=30, interval=0.02, text="Half"), Reply(text=RETRIED))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller._client.timeouts = Timeouts(idle=0.6)
            await send(window, "Go on")
            await reply_done(window, 5.0)
            reply = last_message(window)
            assert (reply.status, reply.content) == ("interrupted", "Half")
            message = "Writer kept the connection open but sent no text for 0.6 s"
            await until(lambda: message in window.chat.toPlainText(), what="the reason")
            await until(lambda: fake.disconnects == 1, 3, "the server to see the disconnect")
            window.chat.anchorClicked.emit(QUrl(f"wd-action:retry/{reply.id}"))
            await until(lambda: RETRIED in window.chat.toPlainText(), what="the retried reply")
            await reply_done(window)
            assert window.chat.toPlainText().count(RETRIED) == 1
            assert "Half" not in window.chat.toPlainText()

    run_scenario(scenario())


def test_a_silent_stall_times_out_in_words_not_as_a_crash(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, qtbot: QtBot
) -> None:
    """No byte at all for the idle timeout: httpx's read timeout (an anyio deadline) and the
    app's watchdog both run out; either way it is an interrupted reply, nothing unhandled."""
    stall = Stall(after_bytes=1500, seconds=30, text="Words before the stall. " * 6)
    fake.enqueue(stall, Stall(after_bytes=1500, seconds=30, text="Again words. " * 12))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller._client.timeouts = Timeouts(idle=0.6)
            reason = "No data from Writer for 0.6 s"
            await send(window, "Go on")
            await reply_done(window, 5.0)
            reply = last_message(window)
            assert (reply.status, reply.content[:5]) == ("interrupted", "Words")
            assert reply.error_kind == "stalled"  # said as such, not as a lost connection
            await until(lambda: reason in window.chat.toPlainText(), what="the reason")
            assert "Interrupted — Writer stopped sending." in window.chat.toPlainText()
            window.chat.anchorClicked.emit(QUrl(f"wd-action:retry/{reply.id}"))
            await until(lambda: "Again" in window.chat.toPlainText(), what="the retry")
            await reply_done(window, 5.0)
            reply = last_message(window)
            assert (reply.status, reply.content[:5]) == ("interrupted", "Again")
            await until(lambda: reason in window.chat.toPlainText(), what="the reason again")

    with qtbot.captureExceptions() as exceptions:
        run_scenario(scenario())
    assert [e[1] for e in exceptions] == []


def test_whole_body_in_one_write_keeps_the_ui_responsive(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    text = "".join(f"Paragraph {i}: *all* of it arrives in one write.\n\n" for i in range(400))
    lateness = Lateness()

    async def scenario() -> None:
        sockets = open_sockets()
        async with main_window(fake, store, tmp_path) as window:
            fake.enqueue(WholeBody(text=text))
            lateness.start()
            lateness.measure()
            await send(window, "Everything")
            await reply_done(window)
            await asyncio.sleep(0.2)  # the view's last paint
            lateness.stop()
            reply = last_message(window)
            assert (reply.status, reply.content) == ("complete", text)
            assert window.chat.message_text(reply.id) == text
            assert (
                saved(store, window.controller.current_id or "")["messages"][-1]["content"] == text
            )
            assert "Paragraph 399: all of it arrives" in window.chat.toPlainText()
        await no_leaks(fake, None, sockets)

    run_scenario(scenario())
    assert lateness.ticks > 5
    assert lateness.worst < LATENESS_BOUND
