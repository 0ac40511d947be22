"""Cut a reply's connection after every byte of it, three ways, and check what is kept.

A :class:`~tests.fault_proxy.FaultProxy` between the client and the fake Writer server drops the
connection after N bytes of the response — the HTTP head, chunk framing and SSE body included —
with a TCP reset or a clean close; the fake server itself ends the chunked body cleanly after N
body bytes (``CutAfter(mode="end")``). For every N, the reply streamed by the real
``WriterClient`` + ``stream_reply`` into a real ``ConversationStore`` must equal what an
independent decoding of the bytes the client got says (``expected_reply``): the text of every
whole event kept and saved, ``complete`` only when the ``finish_reason`` arrived, ``interrupted``
when it did not, ``error`` (after the allowed retries) when not even the head arrived. Nothing may
leak: no asyncio task, no socket in this process, no connection at the proxy.

Every offset of the default reply (about 2 kB on the wire) takes about 30 s for the two proxy
cuts, too long for every run: by default the sweep tries every offset where the expected outcome
changes (with three bytes either side), the first and last bytes of the HTTP head, the last 64
bytes, and every ``STRIDE``-th offset in between. ``WRITER_DESKTOP_EVERY_OFFSET=1`` tries every
single offset, for all three cut kinds and every wire shape.

The saves are real (atomic write, rename, index) except ``fsync``, which is a no-op here: thousands
of fsyncs would make the sweep take minutes and durability is tested elsewhere (test_store*).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from tests.conftest import FAKE_KEY
from tests.fake_writer.behaviours import CutAfter, KeepAliveOnly, Reply, Stall, WholeBody
from tests.fake_writer.server import FakeWriter
from tests.fault_proxy import Cut, Expected, FaultProxy, dechunk, expected_reply, open_sockets
from writer_desktop.core.api import RetryPolicy, Timeouts, WriterClient
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.reply import stream_reply
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.stream import TextDelta

TEXT = "Hé 🎉"  # two tokens, so a cut can fall between them; multi-byte characters
DEFAULT = Reply(text=TEXT, split_seed=1)  # "\n", two keep-alives, a usage chunk, ~80 pieces
STRIDE = 7
VARIANTS = {  # (behaviour, stride): other wire shapes, sampled more thinly
    "crlf-done-usage-on-last": (
        Reply(text=TEXT, split_seed=2, line_ending="\r\n", done_marker=True, usage_on_last=True),
        29,
    ),
    "cr-no-keepalives": (Reply(text=TEXT, split_seed=3, line_ending="\r", keepalives=False), 29),
    "whole-body-one-write": (WholeBody(text=TEXT), 29),
}
EVERY_OFFSET = os.environ.get("WRITER_DESKTOP_EVERY_OFFSET") == "1"


def offsets_to_try(wire: bytes, stride: int) -> list[int]:
    """Where to cut ``wire``: see the module's docstring."""
    end = len(wire)
    if EVERY_OFFSET:
        return list(range(end + 1))
    head = wire.index(b"\r\n\r\n") + 4
    picked = {*range(0, end + 1, stride), *range(8), *range(head - 8, head + 8)}
    picked.update(range(end - 64, end + 1))
    picked.update(near_changes([expected_reply(wire[:n]) for n in range(end + 1)]))
    return sorted(picked)


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def proxy(fake: FakeWriter) -> Iterator[FaultProxy]:
    with FaultProxy(fake.port) as p:
        yield p


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as s:
        yield s


def client_for(http: httpx.AsyncClient, base_url: str, idle: float = 5.0) -> WriterClient:
    timeouts, retry = Timeouts(idle=idle), RetryPolicy(base_delay=0.01)
    return WriterClient(
        http, api_key=FAKE_KEY, base_url=base_url, sleep=no_sleep, timeouts=timeouts, retry=retry
    )


class Runner:
    """Streams replies into one stored conversation, each in place of the last."""

    def __init__(self, client: WriterClient, store: ConversationStore) -> None:
        self.client = client
        self.store = store
        self.conv = Conversation(title="cuts", model="palmyra-x5")
        self.conv.messages.append(Message(Role.USER, "Say it"))
        self.texts: list[str] = []

    async def reply(self) -> Message:
        reply = Message(Role.ASSISTANT, "", model="palmyra-x5")
        self.conv.messages[1:] = [reply]
        self.texts = []

        def notify(event: object) -> None:
            if isinstance(event, TextDelta):
                self.texts.append(event.text)

        return await stream_reply(self.client, self.store, self.conv, reply, notify)

    def on_disk(self) -> dict[str, Any]:
        path = self.store.conversations_dir / f"{self.conv.id}.json"
        message: dict[str, Any] = json.loads(path.read_text())["messages"][-1]
        return message


def near_changes(wants: list[Expected]) -> set[int]:
    """Indexes within three of a change in the expected outcome."""
    near: set[int] = set()
    for n in range(1, len(wants)):
        if wants[n] != wants[n - 1]:
            near.update(range(max(0, n - 3), min(len(wants), n + 4)))
    return near


def framed(body: bytes) -> bytes:
    """``body`` as a complete chunked 200 response."""
    chunk = f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b""
    return b"HTTP/1.1 200 OK\r\n\r\n" + chunk + b"0\r\n\r\n"


def check(reply: Message, runner: Runner, want: Expected, where: str) -> None:
    saved = runner.on_disk()
    got = (reply.status.value, reply.content, saved["status"], saved["content"])
    assert got == (want.status, want.text, want.status, want.text), where
    assert "".join(runner.texts) == want.text, where  # what the view was sent, no more, no less
    assert (reply.usage is not None) == (want.usage and want.status == "complete"), where
    if want.status != "complete":
        assert reply.error, where
        assert reply.finish_reason is None, where


def assert_no_tasks_left(where: str) -> None:
    others = asyncio.all_tasks() - {asyncio.current_task()}
    assert not others, f"{where}: tasks left behind: {others}"


async def settle(fake: FakeWriter, proxy: FaultProxy | None, sockets: int) -> None:
    """Every connection closed: the proxy's, the server's, and this process's sockets."""
    if proxy is not None:
        assert await proxy.wait_for_async(lambda: proxy.active_connections == 0)
    assert await fake.wait_for_async(lambda: fake.active_connections == 0)
    if sockets >= 0:
        assert await fake.wait_for_async(lambda: open_sockets() <= sockets), (
            f"{open_sockets() - sockets} socket(s) leaked"
        )


async def full_response(runner: Runner, proxy: FaultProxy, fake: FakeWriter, b: Any) -> bytes:
    """The whole response for behaviour ``b`` (nothing cut), checked to be a complete reply."""
    proxy.cut = None
    proxy.clear()
    fake.enqueue(b)
    reply = await runner.reply()
    wire = proxy.responses[-1]
    want = expected_reply(wire)
    assert want == Expected("complete", TEXT, want.usage)
    check(reply, runner, want, "uncut")
    return wire


async def sweep(
    runner: Runner,
    proxy: FaultProxy,
    fake: FakeWriter,
    behaviour: Any,
    mode: Literal["reset", "close"],
    offsets: range | list[int],
) -> dict[str, int]:
    """Cut the response to ``behaviour`` after each of ``offsets`` bytes; tally the outcomes."""
    outcomes: dict[str, int] = {}
    for n in offsets:
        fake.reset()
        proxy.clear()
        proxy.cut = Cut(n, mode)
        fake.enqueue(behaviour, behaviour, behaviour)  # enough for every retry
        reply = await runner.reply()
        responses = proxy.responses
        want = expected_reply(responses[-1])
        where = f"{mode} after {n} bytes"
        check(reply, runner, want, where)
        # Retried only while no response head arrived; never once reply bytes did.
        attempts = runner.client.retry.max_attempts if want.status == "error" else 1
        assert len(fake.chat_requests) == len(responses) == attempts, where
        assert proxy.active_connections <= 1, where  # at most the idle pooled one
        outcomes[want.status] = outcomes.get(want.status, 0) + 1
    proxy.cut = None
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["reset", "close"])
async def test_proxy_cut_after_every_byte_of_a_reply(
    fake: FakeWriter, proxy: FaultProxy, store: ConversationStore, no_fsync: None, mode: Any
) -> None:
    sockets = open_sockets()
    async with httpx.AsyncClient() as http:
        runner = Runner(client_for(http, proxy.base_url), store)
        wire = await full_response(runner, proxy, fake, DEFAULT)
        offsets = offsets_to_try(wire, STRIDE)
        outcomes = await sweep(runner, proxy, fake, DEFAULT, mode, offsets)
        assert proxy.cuts == len(offsets) + 2 * outcomes["error"]  # retries are cut too
    # Every outcome occurred: no head (error), partial text (interrupted), finished (complete).
    assert set(outcomes) == {"error", "interrupted", "complete"}
    assert_no_tasks_left(mode)
    await settle(fake, proxy, sockets)


@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("mode", ["reset", "close"])
async def test_proxy_cuts_other_wire_shapes(
    fake: FakeWriter,
    proxy: FaultProxy,
    store: ConversationStore,
    no_fsync: None,
    mode: Any,
    name: str,
) -> None:
    behaviour, stride = VARIANTS[name]
    sockets = open_sockets()
    async with httpx.AsyncClient() as http:
        runner = Runner(client_for(http, proxy.base_url), store)
        wire = await full_response(runner, proxy, fake, behaviour)
        outcomes = await sweep(runner, proxy, fake, behaviour, mode, offsets_to_try(wire, stride))
    assert set(outcomes) == {"error", "interrupted", "complete"}
    assert_no_tasks_left(name)
    await settle(fake, proxy, sockets)


@pytest.mark.slow
async def test_server_ends_the_body_cleanly_after_every_byte(
    fake: FakeWriter, proxy: FaultProxy, store: ConversationStore, no_fsync: None
) -> None:
    """A clean end of the HTTP body (the last chunk) with no finish_reason, after N body bytes:
    interrupted, never complete, unless the finish chunk was whole."""
    sockets = open_sockets()
    async with httpx.AsyncClient() as http:
        runner = Runner(client_for(http, proxy.base_url), store)  # the proxy only records
        wire = await full_response(runner, proxy, fake, DEFAULT)
        body = dechunk(wire[wire.index(b"\r\n\r\n") + 4 :])
        outcomes: dict[str, int] = {}
        wants = [expected_reply(framed(body[:n]), clean_end=True) for n in range(len(body) + 1)]
        tried = list(range(len(body) + 1))
        if not EVERY_OFFSET:
            tried = sorted({*tried[::STRIDE], len(body), *near_changes(wants)})
        for n in tried:
            fake.reset()
            proxy.clear()
            fake.enqueue(CutAfter(n, mode="end", text=TEXT, split_seed=1))
            reply = await runner.reply()
            got = proxy.responses[-1]
            assert got.endswith(b"0\r\n\r\n")  # a clean end, every time
            assert len(dechunk(got[got.index(b"\r\n\r\n") + 4 :])) == n
            want = expected_reply(got, clean_end=True)
            assert want == wants[n]
            check(reply, runner, want, f"end after {n} body bytes")
            assert len(fake.chat_requests) == 1
            outcomes[want.status] = outcomes.get(want.status, 0) + 1
        assert proxy.active_connections <= 1
    assert set(outcomes) == {"interrupted", "complete"}
    assert_no_tasks_left("end")
    await settle(fake, proxy, sockets)


# -- stalls, keep-alives, the whole body at once, Stop -----------------------------------------


async def test_keepalives_only_trip_the_idle_timeout_on_text(
    fake: FakeWriter, http: httpx.AsyncClient, store: ConversationStore
) -> None:
    """Keep-alive comments restart httpx's read timeout with every byte; the reply must still
    give up after ``idle`` seconds without text, and say why."""
    fake.enqueue(KeepAliveOnly(seconds=30, interval=0.05))
    runner = Runner(client_for(http, fake.base_url, idle=0.5), store)
    reply = await asyncio.wait_for(runner.reply(), 10)
    assert reply.status is Status.INTERRUPTED
    assert reply.error == (
        "Writer kept the connection open but sent no text for 0.5 s; the reply was cut off."
    )
    assert runner.on_disk()["status"] == "interrupted"
    assert await fake.wait_for_async(lambda: fake.disconnects == 1)  # the server saw us leave
    assert len(fake.chat_requests) == 1


async def test_keepalives_after_some_text_keep_it_and_time_out(
    fake: FakeWriter, http: httpx.AsyncClient, store: ConversationStore
) -> None:
    """Text, then keep-alives forever: the text is kept, the reply ends interrupted."""
    text = "Partial answer that stops here."
    fake.enqueue(KeepAliveOnly(seconds=30, interval=0.05, text=text))
    runner = Runner(client_for(http, fake.base_url, idle=0.5), store)
    reply = await asyncio.wait_for(runner.reply(), 10)
    assert (reply.status, reply.content) == (Status.INTERRUPTED, text)
    assert "sent no text for 0.5 s" in (reply.error or "")
    assert runner.on_disk()["content"] == text


async def test_silent_stall_after_some_text_times_out(
    fake: FakeWriter, http: httpx.AsyncClient, store: ConversationStore
) -> None:
    text = "Some words before the stall. " * 8
    fake.enqueue(Stall(after_bytes=1500, seconds=30, then="resume", text=text))
    runner = Runner(client_for(http, fake.base_url, idle=0.5), store)
    reply = await asyncio.wait_for(runner.reply(), 10)
    assert reply.status is Status.INTERRUPTED
    assert reply.content
    assert text.startswith(reply.content)
    assert reply.error == "No data from Writer for 0.5 s; the reply was cut off."
    assert runner.on_disk()["content"] == reply.content


async def test_text_arriving_slowly_is_not_cut(
    fake: FakeWriter, http: httpx.AsyncClient, store: ConversationStore
) -> None:
    """The watchdog measures silence between texts, not the length of the reply."""
    from tests.fake_writer.behaviours import Trickle

    fake.enqueue(Trickle(n=16, delay_per_token=0.05))  # 0.8 s in all, a token every 50 ms
    runner = Runner(client_for(http, fake.base_url, idle=0.4), store)
    reply = await runner.reply()
    assert reply.status is Status.COMPLETE


@pytest.mark.parametrize(
    "behaviour",
    [
        Stall(after_bytes=900, seconds=30, text="Some words before the stall. " * 8),
        KeepAliveOnly(seconds=30, interval=0.05),
    ],
    ids=["stall", "keepalives"],
)
async def test_stop_during_a_stall_saves_stopped_and_leaks_nothing(
    fake: FakeWriter, store: ConversationStore, behaviour: Any
) -> None:
    sockets = open_sockets()
    async with httpx.AsyncClient() as http:
        runner = Runner(client_for(http, fake.base_url, idle=60), store)
        fake.enqueue(behaviour)
        task = asyncio.create_task(runner.reply())
        assert await fake.wait_for_async(lambda: len(fake.chat_requests) == 1)
        await asyncio.sleep(0.3)  # into the stall
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 2)
        saved = runner.on_disk()
        assert saved["status"] == "stopped"
        assert saved["content"] == "".join(runner.texts)
        if isinstance(behaviour, Stall):
            assert saved["content"]
        assert await fake.wait_for_async(lambda: fake.disconnects == 1)
    assert_no_tasks_left("stop")
    await settle(fake, None, sockets)


async def test_whole_body_in_one_write(
    fake: FakeWriter, http: httpx.AsyncClient, store: ConversationStore
) -> None:
    text = "A long answer, all at once. " * 400
    fake.enqueue(WholeBody(text=text))
    runner = Runner(client_for(http, fake.base_url), store)
    reply = await runner.reply()
    assert (reply.status, reply.content) == (Status.COMPLETE, text)
    assert runner.on_disk()["content"] == text
