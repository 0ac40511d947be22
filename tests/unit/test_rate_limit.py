"""429, 408 and 5xx with every form of Retry-After, then the 4xx that must never be retried.

Through the real ``WriterClient`` + ``stream_reply`` into a real store, against the fake server;
waits are recorded rather than slept. Waits up to the cap (60 s) are honoured exactly; longer ones
are not waited for and the saved reply says, in words, how long Writer asked for.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FAKE_KEY
from tests.fake_writer.behaviours import Error, RateLimit, Reply, http_date
from tests.fake_writer.server import FakeWriter
from writer_desktop.core.api import RetryPolicy, Timeouts, WriterClient
from writer_desktop.core.errors import (
    AuthError,
    BadRequest,
    RateLimited,
    RetryableStatus,
    ServerError,
    human_duration,
)
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.reply import ReplyEvent, stream_reply
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.stream import RetryScheduled

YEAR = 365.25 * 86400


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(fake: FakeWriter, sleeps: Sleeps) -> AsyncIterator[WriterClient]:
    async with httpx.AsyncClient() as http:
        yield WriterClient(http, api_key=FAKE_KEY, base_url=fake.base_url, sleep=sleeps,
                           timeouts=Timeouts(idle=5), retry=RetryPolicy())  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as s:
        yield s


async def ask(client: WriterClient, store: ConversationStore) -> tuple[Message, list[ReplyEvent]]:
    conv = Conversation(title="t", model="palmyra-x5")
    conv.messages.append(Message(Role.USER, "Hi"))
    reply = Message(Role.ASSISTANT, "", model="palmyra-x5")
    conv.messages.append(reply)
    events: list[ReplyEvent] = []
    await stream_reply(client, store, conv, reply, events.append)
    data = json.loads((store.conversations_dir / f"{conv.id}.json").read_text())
    on_disk = data["messages"][-1]
    assert (on_disk["status"], on_disk["content"], on_disk.get("error")) == (
        reply.status.value,
        reply.content,
        reply.error,
    )
    return reply, events


def retries(events: list[ReplyEvent]) -> list[RetryScheduled]:
    return [e for e in events if isinstance(e, RetryScheduled)]


# -- waits within the cap are honoured -----------------------------------------------------------

HONOURED: dict[str, tuple[Callable[[], Error], float, float]] = {
    "seconds": (lambda: RateLimit(retry_after="3"), 3.0, 3.0),
    "seconds-at-the-cap": (lambda: RateLimit(retry_after="60"), 60.0, 60.0),
    "fractional-seconds": (lambda: RateLimit(retry_after="1.5"), 1.5, 1.5),
    "milliseconds": (lambda: RateLimit(retry_after_ms="2500"), 2.5, 2.5),
    "milliseconds-win-over-seconds": (
        lambda: RateLimit(retry_after="30", retry_after_ms="200"),
        0.2,
        0.2,
    ),
    "http-date": (lambda: RateLimit(retry_after=http_date(time.time() + 20)), 18.0, 20.5),
    "http-date-in-the-past": (lambda: RateLimit(retry_after=http_date(time.time() - 60)), 0, 0),
}


@pytest.mark.parametrize("name", list(HONOURED))
async def test_429_wait_is_honoured_then_the_reply_streams(
    client: WriterClient, store: ConversationStore, fake: FakeWriter, sleeps: Sleeps, name: str
) -> None:
    make, low, high = HONOURED[name]
    fake.enqueue(make(), Reply(text="Made it."))
    reply, events = await ask(client, store)
    assert (reply.status, reply.content) == (Status.COMPLETE, "Made it.")
    assert len(sleeps.delays) == 1
    assert low <= sleeps.delays[0] <= high
    [retry] = retries(events)
    assert (retry.status, retry.reason, retry.delay) == (429, "Quota exceeded", sleeps.delays[0])
    assert len(fake.chat_requests) == 2


# -- absurd waits are not waited for, and said in words ------------------------------------------

ABSURD: dict[str, tuple[Callable[[], Error], str]] = {
    "999999-seconds": (lambda: RateLimit(retry_after="999999"), "about 12 days"),
    "61-seconds": (lambda: RateLimit(retry_after="61"), "61 seconds"),
    "date-years-ahead": (
        lambda: RateLimit(retry_after=http_date(time.time() + 3 * YEAR)),
        "about 3 years",
    ),
    "milliseconds-of-a-week": (
        lambda: RateLimit(retry_after_ms=str(7 * 86400 * 1000)),
        "about 7 days",
    ),
    "astronomical": (lambda: RateLimit(retry_after="1" + "0" * 30), "more than a century"),
}


@pytest.mark.parametrize("name", list(ABSURD))
async def test_absurd_429_wait_is_reported_not_waited(
    client: WriterClient, store: ConversationStore, fake: FakeWriter, sleeps: Sleeps, name: str
) -> None:
    make, words = ABSURD[name]
    fake.enqueue(make(), Reply(text="never"))
    reply, events = await ask(client, store)
    assert reply.status is Status.ERROR
    assert reply.error_kind == "rate_limit"
    assert reply.error == f"Quota exceeded. Writer asks to wait {words} before trying again."
    assert reply.content == ""
    assert sleeps.delays == []
    assert retries(events) == []
    assert len(fake.chat_requests) == 1
    fake.reset()


@pytest.mark.parametrize("value", ["soon", "inf", "-inf", "nan", "1e999", ""])
async def test_meaningless_retry_after_falls_back_to_backoff(
    client: WriterClient, store: ConversationStore, fake: FakeWriter, sleeps: Sleeps, value: str
) -> None:
    fake.enqueue(Error(429, headers={"Retry-After": value}), Reply(text="ok"))
    reply, _ = await ask(client, store)
    assert reply.status is Status.COMPLETE
    assert len(sleeps.delays) == 1
    assert 0.75 <= sleeps.delays[0] <= 1.0  # the first backoff step


async def test_429_three_times_gives_up_and_says_how_long(
    client: WriterClient, store: ConversationStore, fake: FakeWriter, sleeps: Sleeps
) -> None:
    fake.enqueue(*[RateLimit(retry_after="2")] * 3, Reply(text="too late"))
    reply, events = await ask(client, store)
    assert reply.status is Status.ERROR
    assert reply.error == "Quota exceeded. Writer asks to wait 2 seconds before trying again."
    assert sleeps.delays == [2.0, 2.0]
    assert [r.attempt for r in retries(events)] == [1, 2]
    assert len(fake.chat_requests) == 3
    fake.reset()


# -- 408 and 5xx -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503, 504])
async def test_transient_status_honours_retry_after(
    client: WriterClient, store: ConversationStore, fake: FakeWriter, sleeps: Sleeps, status: int
) -> None:
    fake.enqueue(Error(status, headers={"Retry-After": "7"}), Reply(text="Back."))
    reply, events = await ask(client, store)
    assert (reply.status, reply.content) == (Status.COMPLETE, "Back.")
    assert sleeps.delays == [7.0]
    assert retries(events)[0].status == status
    assert len(fake.chat_requests) == 2


@pytest.mark.parametrize("status", [408, 503])
async def test_transient_status_with_absurd_retry_after_is_not_waited(
    client: WriterClient, store: ConversationStore, fake: FakeWriter, sleeps: Sleeps, status: int
) -> None:
    fake.enqueue(Error(status, headers={"Retry-After": "999999"}))
    reply, _ = await ask(client, store)
    assert reply.status is Status.ERROR
    assert reply.error is not None
    assert reply.error.endswith("Writer asks to wait about 12 days before trying again.")
    assert sleeps.delays == []
    assert len(fake.chat_requests) == 1


async def test_5xx_exhausted_is_an_error_with_retry(
    client: WriterClient, store: ConversationStore, fake: FakeWriter, sleeps: Sleeps
) -> None:
    fake.enqueue(Error(500), Error(502), Error(503), Reply(text="never"))
    reply, events = await ask(client, store)
    assert reply.status is Status.ERROR
    assert reply.error_kind == "server"  # the view offers Retry
    assert reply.error == "Service unavailable"  # no Retry-After: no wait is promised
    assert len(retries(events)) == 2
    assert len(sleeps.delays) == 2
    assert len(fake.chat_requests) == 3
    fake.reset()


# -- the 4xx that are never retried, even when they carry a Retry-After --------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "bad_request"),
        (401, "auth"),
        (403, "forbidden"),
        (404, "model"),
        (405, "api"),
        (413, "api"),
        (422, "bad_request"),
    ],
)
async def test_client_errors_are_never_retried(
    client: WriterClient,
    store: ConversationStore,
    fake: FakeWriter,
    sleeps: Sleeps,
    status: int,
    kind: str,
) -> None:
    fake.enqueue(Error(status, headers={"Retry-After": "1"}), Reply(text="never"))
    reply, events = await ask(client, store)
    assert reply.status is Status.ERROR
    assert reply.error_kind == kind
    assert reply.error is not None
    assert "wait" not in reply.error  # nothing is promised for an error that retrying won't fix
    assert retries(events) == []
    assert sleeps.delays == []
    assert len(fake.chat_requests) == 1
    fake.reset()


# -- the words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "1 second"),
        (1, "1 second"),
        (45, "45 seconds"),
        (89, "89 seconds"),
        (150, "about 2 minutes"),
        (3 * 3600, "about 3 hours"),
        (999999, "about 12 days"),
        (400 * 86400, "about 400 days"),
        (3 * YEAR, "about 3 years"),
        (200 * YEAR, "more than a century"),
        (float("inf"), "more than a century"),
    ],
)
def test_human_duration(seconds: float, words: str) -> None:
    assert human_duration(seconds) == words


def test_only_retryable_errors_promise_a_wait() -> None:
    assert RateLimited(429, "Slow down", retry_after=90).user_message == (
        "Slow down. Writer asks to wait about 2 minutes before trying again."
    )
    assert ServerError(503, "Down.", retry_after=5).user_message == (
        "Down. Writer asks to wait 5 seconds before trying again."
    )
    assert RetryableStatus(408, "Late!", retry_after=0.2).user_message == "Late!"  # under 1 s
    assert RateLimited(429, "Slow down").user_message == "Slow down"
    assert BadRequest(400, "No", retry_after=5).user_message == "No"
    assert AuthError(401, "Invalid token", retry_after=5).user_message == "Invalid token"
