"""Rate limits and server errors in the chat view: a visible countdown, honest words, no retries
where retrying cannot help, and the key fix for a 401.

Most waits are held by a gate instead of slept, so a 45 s Retry-After can be read off the view
(and seen to tick) without waiting 45 s; one test lets a real HTTP-date wait run its course.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest

from tests.fake_writer.behaviours import Error, RateLimit, Reply, Stall, http_date
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
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.key_dialog import KeyDialog
from writer_desktop.ui.main_window import MainWindow


class Gate:
    """A retry sleep that records the delay and waits until the test opens it."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.open = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await self.open.wait()


def gated(window: MainWindow) -> Gate:
    gate = Gate()
    window.controller._client._sleep = gate
    return gate


def countdown(window: MainWindow) -> str | None:
    """The countdown line shown in the chat view, if any."""
    lines = [line for line in window.chat.toPlainText().splitlines() if "Retrying " in line]
    return lines[-1][lines[-1].index("Retrying ") :].strip() if lines else None


@pytest.mark.parametrize(
    ("make", "seconds"),
    [
        (lambda: RateLimit(retry_after="45"), 45),
        (lambda: RateLimit(retry_after_ms="30000"), 30),
        (lambda: RateLimit(retry_after=http_date(time.time() + 40)), None),
    ],
    ids=["seconds", "milliseconds", "http-date"],
)
def test_rate_limit_countdown_is_visible_and_ticks(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, make: object, seconds: int | None
) -> None:
    assert callable(make)
    fake.enqueue(make(), Reply(text="Worth the wait."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            gate = gated(window)
            await send(window, "Hi")
            await until(lambda: countdown(window) is not None, what="the countdown")
            first = countdown(window)
            assert first is not None
            assert first.endswith("— Rate limited: Quota exceeded")
            shown = int(first.split("Retrying in ")[1].split(" s")[0])
            if seconds is not None:
                assert shown == seconds
                assert gate.delays == [seconds]
            else:  # an HTTP date has whole seconds: 39-40 s from now
                assert 38 <= shown <= 40
                assert 38 <= gate.delays[0] <= 40
            if seconds == 45:  # one of them is enough to watch tick
                await until(lambda: countdown(window) != first, 2.5, "the countdown to tick")
                assert countdown(window) == first.replace(f"in {shown} s", f"in {shown - 1} s")
            assert window.composer.busy  # waiting counts as working: Stop is offered
            assert len(fake.chat_requests) == 1
            gate.open.set()
            await until(lambda: "Worth the wait." in window.chat.toPlainText(), what="reply")
            await reply_done(window)
            assert countdown(window) is None
            assert len(fake.chat_requests) == 2
            assert last_message(window).status == "complete"

    run_scenario(scenario())


def test_real_wait_for_an_http_date_counts_down_to_the_reply(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    """No gate: the client really sleeps until the date, and the view counts the seconds."""
    fake.enqueue(RateLimit(retry_after=http_date(time.time() + 3)), Reply(text="On time."))
    seen: list[str] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, real_sleep=True) as window:
            await send(window, "Hi")

            def done() -> bool:
                line = countdown(window)
                if line is not None and line not in seen:
                    seen.append(line)
                return "On time." in window.chat.toPlainText()

            await until(done, 6.0, "the reply after the wait")
            await reply_done(window)
            assert countdown(window) is None

    run_scenario(scenario())
    counting = [line for line in seen if line.startswith("Retrying in ")]
    numbers = [int(line.split("Retrying in ")[1].split(" s")[0]) for line in counting]
    assert all(line.endswith("— Rate limited: Quota exceeded") for line in seen)
    assert len(numbers) >= 2  # it ticked
    assert numbers == sorted(numbers, reverse=True)
    assert numbers[0] <= 3


def test_stop_during_the_countdown(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(RateLimit(retry_after="30"), Reply(text="never"))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            gated(window)
            await send(window, "Hi")
            await until(lambda: countdown(window) is not None, what="the countdown")
            QTest.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
            await reply_done(window, 2.0)
            assert countdown(window) is None
            message = saved(store, window.controller.current_id or "")["messages"][-1]
            assert (message["status"], message["content"]) == ("stopped", "")
            why = "Stopped while waiting to try again (Quota exceeded)."
            assert message["error"] == why  # an empty "Stopped" said nothing of the wait
            assert why in window.chat.toPlainText()
            await asyncio.sleep(0.1)
            assert len(fake.chat_requests) == 1  # the retry never went out

    run_scenario(scenario())
    fake.reset()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: RateLimit(retry_after="999999"), "about 12 days"),
        (
            lambda: RateLimit(retry_after=http_date(time.time() + 5 * 365.25 * 86400)),
            "about 5 years",
        ),
        (lambda: RateLimit(retry_after_ms="90000"), "about 2 minutes"),
    ],
    ids=["999999-seconds", "date-years-ahead", "ms-over-the-cap"],
)
def test_absurd_wait_is_said_in_words_not_counted_down(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, make: object, words: str
) -> None:
    assert callable(make)
    fake.enqueue(make(), Reply(text="never"))
    countdowns: list[str] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            gate = gated(window)
            await send(window, "Hi")

            def ended() -> bool:
                if (line := countdown(window)) is not None:
                    countdowns.append(line)
                return not window.composer.busy

            await until(ended, what="the reply to fail")
            expected = f"Quota exceeded. Writer asks to wait {words} before trying again."
            text = window.chat.toPlainText()
            assert f"Couldn't get a reply: {expected}" in text
            assert "Retry" in text  # the user may try anyway, when they choose
            assert gate.delays == []
            reply = last_message(window)
            assert (reply.status, reply.error_kind, reply.error) == (
                "error",
                "rate_limit",
                expected,
            )

    run_scenario(scenario())
    assert countdowns == []
    assert len(fake.chat_requests) == 1
    fake.reset()


@pytest.mark.parametrize(
    ("status", "reason"), [(408, "Request timed out"), (503, "Service unavailable")]
)
def test_server_errors_count_down_without_rate_limit_words(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, status: int, reason: str
) -> None:
    fake.enqueue(Error(status, headers={"Retry-After": "20"}), Reply(text="Recovered."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            gate = gated(window)
            await send(window, "Hi")
            await until(lambda: countdown(window) is not None, what="the countdown")
            assert countdown(window) == f"Retrying in 20 s — {reason}"
            assert gate.delays == [20]
            gate.open.set()
            await until(lambda: "Recovered." in window.chat.toPlainText(), what="the reply")
            await reply_done(window)
            assert len(fake.chat_requests) == 2

    run_scenario(scenario())


def test_server_errors_exhausted_offer_retry(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Error(500), Error(502), Error(503), Reply(text="Third time lucky."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Hi")
            await reply_done(window)
            await until(lambda: "Couldn't get a reply: Service unavailable" in _text(window))
            assert len(fake.chat_requests) == 3
            reply = last_message(window)
            window.chat.anchorClicked.emit(QUrl(f"wd-action:retry/{reply.id}"))
            await until(lambda: "Third time lucky." in _text(window), what="the retried reply")
            await reply_done(window)
            assert "Couldn't get a reply" not in _text(window)

    run_scenario(scenario())


def _text(window: MainWindow) -> str:
    return window.chat.toPlainText()


@pytest.mark.parametrize(
    ("status", "fix"),
    [(400, "Retry"), (401, "Update key"), (403, "Update key"), (404, "Choose another model")],
)
def test_client_errors_are_not_retried_and_offer_their_fix(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, status: int, fix: str
) -> None:
    fake.enqueue(Error(status, headers={"Retry-After": "1"}), Reply(text="never"))
    countdowns: list[str] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            gate = gated(window)
            await send(window, "Hi")

            def ended() -> bool:
                if (line := countdown(window)) is not None:
                    countdowns.append(line)
                return not window.composer.busy

            await until(ended, what="the reply to fail")
            await until(lambda: "Couldn't get a reply" in _text(window), what="the notice")
            assert fix in _text(window)
            assert gate.delays == []
            await asyncio.sleep(0.1)
            assert len(fake.chat_requests) == 1

    run_scenario(scenario())
    assert countdowns == []
    fake.reset()


def test_401_update_key_opens_the_key_dialog_and_the_new_key_is_used(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Error(401), Reply(text="Answered with the new key."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Hi")
            await reply_done(window)
            reply = last_message(window)
            assert reply.error_kind == "auth"
            window.chat.anchorClicked.emit(QUrl(f"wd-action:update-key/{reply.id}"))

            def dialog() -> KeyDialog | None:
                found = [d for d in window.findChildren(KeyDialog) if d.isVisible()]
                return found[0] if found else None

            await until(lambda: dialog() is not None, what="the key dialog")
            box = dialog()
            assert box is not None
            box.key_edit.setText("test-key")
            box.key_submitted.emit("test-key")

            # No keyring in this harness: the dialog offers to keep the key for this session
            # (or it closes at once, and is deleted, when the key is kept or the environment
            # has one).
            def checked() -> bool:
                return (
                    not shiboken6.isValid(box)
                    or not box.isVisible()
                    or ("session" in box.status.text().lower())
                )

            await until(checked, what="the key to be checked")
            if shiboken6.isValid(box) and box.isVisible():
                box.session_only_requested.emit("test-key")
            await until(lambda: "new API key is in use" in window.statusBar().currentMessage(),
                        what="the new key")  # fmt: skip
            models = [r for r in fake.requests if r.path == "/v1/models"]
            assert models[-1].headers["authorization"] == "Bearer test-key"
            # The reply refused for the old key is sent again: no need to type the question twice.
            await until(lambda: "Answered with the new key." in window.chat.toPlainText(),
                        what="the failed reply sent again")  # fmt: skip
            await reply_done(window)
            assert len(fake.chat_requests) == 2
            assert fake.chat_requests[-1].headers["authorization"] == "Bearer test-key"
            assert last_message(window).id == reply.id  # the same message, now answered
            assert last_message(window).status.value == "complete"

    run_scenario(scenario())


def test_countdown_says_now_once_the_wait_is_over(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    """After the wait the retried request may take a while: the view says it is retrying now,
    never 'Retrying in 0 s' for as long as that takes."""
    fake.enqueue(RateLimit(retry_after="1"), Stall(after_bytes=0, seconds=30))
    seen: list[str] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path, real_sleep=True) as window:
            await send(window, "Hi")

            def now() -> bool:
                if (line := countdown(window)) is not None and line not in seen:
                    seen.append(line)
                return line == "Retrying now — Rate limited: Quota exceeded"

            await until(now, 4.0, "Retrying now")
            await until(lambda: len(fake.chat_requests) == 2, what="the retry")
            await asyncio.sleep(1.2)  # a tick later it still says "now"
            assert countdown(window) == "Retrying now — Rate limited: Quota exceeded"
            QTest.mouseClick(window.composer.button, Qt.MouseButton.LeftButton)
            await reply_done(window, 2.0)
            assert countdown(window) is None

    run_scenario(scenario())
    assert seen[0] == "Retrying in 1 s — Rate limited: Quota exceeded"
    assert not any("in 0 s" in line for line in seen)
