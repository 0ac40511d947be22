"""Streaming a reply into a stored conversation: statuses, partial text, throttled saves: the
file is rewritten when the reply starts and ends, new text goes to the journal in between."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FAKE_KEY
from tests.fake_writer.behaviours import CutAfter, Error, Reply, Stall, Trickle
from tests.fake_writer.server import FakeWriter
from writer_desktop.core.api import Timeouts, WriterClient
from writer_desktop.core.errors import DiskFull, StorageError
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.reply import ReplyEvent, Saved, SaveFailed, request_messages, stream_reply
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.stream import RetryScheduled, TextDelta

KEY = FAKE_KEY


@pytest.fixture
async def client(fake: FakeWriter) -> AsyncIterator[WriterClient]:
    async def no_sleep(_: float) -> None:
        pass

    async with httpx.AsyncClient() as http:
        yield WriterClient(http, api_key=KEY, base_url=fake.base_url, sleep=no_sleep,
                           timeouts=Timeouts(idle=5))  # fmt: skip


class CountingStore(ConversationStore):
    """Records rewrites (the last message's text) and journal appends; the first ``fail``
    writes of either kind fail as on a full disk."""

    def __init__(self, *args: Any, fail: int = 0, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.saves: list[str] = []
        self.appends: list[tuple[int, str]] = []
        self.fail = fail

    def _full(self) -> None:
        if self.fail:
            self.fail -= 1
            raise DiskFull("Could not save: the disk is full.")

    def save(self, conv: Conversation) -> None:
        self._full()
        self.saves.append(conv.messages[-1].content)
        super().save(conv)

    def append_reply(self, conv_id: str, message_id: str, at: int, text: str) -> None:
        self._full()
        self.appends.append((at, text))
        super().append_reply(conv_id, message_id, at, text)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CountingStore]:
    store = CountingStore(tmp_path / "data", tmp_path / "cache")
    with store:
        yield store


def new_conversation(prompt: str = "Hi") -> tuple[Conversation, Message]:
    conv = Conversation(title=prompt, model="palmyra-x5", system_prompt="Be brief.")
    conv.messages.append(Message(Role.USER, prompt))
    reply = Message(Role.ASSISTANT, "", model="palmyra-x5")
    conv.messages.append(reply)
    return conv, reply


def journal_of(store: ConversationStore, conv: Conversation) -> Path:
    return store.conversations_dir / f"{conv.id}.journal"


def on_disk(store: ConversationStore, conv: Conversation) -> dict[str, Any]:
    data = json.loads((store.conversations_dir / f"{conv.id}.json").read_text())
    last: dict[str, Any] = data["messages"][-1]
    return last


async def test_complete_reply_is_saved(
    client: WriterClient, store: CountingStore, fake: FakeWriter
) -> None:
    fake.enqueue(Reply(text="All good."))
    conv, reply = new_conversation()
    events: list[ReplyEvent] = []
    await stream_reply(client, store, conv, reply, events.append)
    assert reply.status is Status.COMPLETE
    assert reply.content == "All good."
    assert reply.finish_reason == "stop"
    assert reply.usage is not None
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "All good."
    saved = on_disk(store, conv)
    assert saved["status"] == "complete"
    assert saved["content"] == "All good."
    sent = fake.chat_requests[-1].json["messages"]
    assert sent == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


async def test_stop_keeps_partial_marked_stopped(
    client: WriterClient, store: CountingStore, fake: FakeWriter
) -> None:
    fake.enqueue(Trickle(n=3000, delay_per_token=0.002))
    conv, reply = new_conversation()
    got = asyncio.Event()
    task = asyncio.create_task(stream_reply(client, store, conv, reply, lambda e: got.set()))
    await asyncio.wait_for(got.wait(), 5)
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reply.status is Status.STOPPED
    assert reply.content
    saved = on_disk(store, conv)
    assert saved["status"] == "stopped"
    assert saved["content"] == reply.content


async def test_cut_connection_marks_interrupted(
    client: WriterClient, store: CountingStore, fake: FakeWriter
) -> None:
    fake.enqueue(CutAfter(900, mode="reset", text="word " * 500))
    conv, reply = new_conversation()
    await stream_reply(client, store, conv, reply, lambda e: None)
    assert reply.status is Status.INTERRUPTED
    assert reply.content
    assert ("word " * 500).startswith(reply.content)
    assert reply.error == "The connection was lost before the reply finished."
    assert reply.error_kind == "network"
    assert on_disk(store, conv)["status"] == "interrupted"


async def test_error_before_any_text(
    client: WriterClient, store: CountingStore, fake: FakeWriter
) -> None:
    fake.enqueue(Error(404, "Model palmyra-x0 not found"))
    conv, reply = new_conversation()
    await stream_reply(client, store, conv, reply, lambda e: None)
    assert reply.status is Status.ERROR
    assert reply.error == "Model palmyra-x0 not found"
    assert reply.error_kind == "model"  # the UI offers "Choose another model"
    assert reply.content == ""
    # an error notice is never sent back to the model as if it had said it
    conv.messages.append(Message(Role.USER, "again"))
    assert [m["content"] for m in request_messages(conv, Message(Role.ASSISTANT, ""))][-2:] == [
        "Hi",
        "again",
    ]


async def test_saves_are_throttled_while_streaming(
    client: WriterClient, store: CountingStore, fake: FakeWriter
) -> None:
    fake.enqueue(Trickle(n=600, delay_per_token=0.002))  # about 1.2 s of tokens
    conv, reply = new_conversation()
    await stream_reply(client, store, conv, reply, lambda e: None, save_interval=0.25)
    assert store.saves == ["", reply.content]  # rewritten at the start and the end only
    # in between: at most one append per interval, never one per token
    assert 1 <= len(store.appends) <= 1.3 / 0.25 + 2
    offsets = [at for at, _ in store.appends]
    assert offsets == [len("".join(t for _, t in store.appends[:n])) for n in range(len(offsets))]
    assert reply.content.startswith("".join(t for _, t in store.appends))
    assert not journal_of(store, conv).exists()  # deleted once the end's save landed


async def test_stall_still_saves_pending_text(
    client: WriterClient, store: CountingStore, fake: FakeWriter
) -> None:
    fake.enqueue(Stall(after_bytes=2000, seconds=1.0, then="resume", text="abc " * 400))
    conv, reply = new_conversation()
    seen_on_disk: list[str] = []

    reader = ReadOnlyStore(store.conversations_dir)  # the file plus its journal

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.1)
            with contextlib.suppress(StorageError):
                seen_on_disk.append(reader.load(conv.id).messages[-1].content)

    watcher = asyncio.create_task(watch())
    await stream_reply(client, store, conv, reply, lambda e: None, save_interval=0.2)
    watcher.cancel()
    assert reply.status is Status.COMPLETE
    assert any(0 < len(s) < len(reply.content) for s in seen_on_disk), (
        "nothing saved during the stall"
    )


async def test_a_crash_mid_stream_keeps_the_journaled_text(
    client: WriterClient, store: CountingStore, fake: FakeWriter, tmp_path: Path
) -> None:
    """The data folder as a crash would leave it mid-stream, opened again: the reply has all
    the journal held (a prefix of the reply) and is marked interrupted."""
    fake.enqueue(Trickle(n=600, delay_per_token=0.002))
    conv, reply = new_conversation()
    copy = tmp_path / "crashed"

    def notify(event: ReplyEvent) -> None:
        if len(store.appends) >= 2 and not copy.exists():
            shutil.copytree(store.root, copy, ignore=shutil.ignore_patterns("*.lock"))

    await stream_reply(client, store, conv, reply, notify, save_interval=0.1)
    assert copy.exists()
    journaled = "".join(t for _, t in store.appends[:2])
    with ConversationStore(copy, tmp_path / "cache-crashed") as after:
        recovered = after.load(conv.id).messages[-1]
        assert after.problems == []
    assert recovered.status is Status.INTERRUPTED
    assert len(recovered.content) >= len(journaled) > 0
    assert reply.content.startswith(recovered.content)
    assert not (copy / "conversations" / f"{conv.id}.journal").exists()


async def test_disk_full_keeps_reply_and_retries(
    client: WriterClient, tmp_path: Path, fake: FakeWriter
) -> None:
    fake.enqueue(Trickle(n=300, delay_per_token=0.003))
    with CountingStore(tmp_path / "d", tmp_path / "c", fail=3) as store:
        conv, reply = new_conversation()
        events: list[ReplyEvent] = []
        await stream_reply(client, store, conv, reply, events.append, save_interval=0.1)
        failures = [e for e in events if isinstance(e, SaveFailed)]
        assert len(failures) == 3
        assert "disk is full" in failures[0].error.user_message
        assert any(isinstance(e, Saved) for e in events)
        assert reply.status is Status.COMPLETE
        assert on_disk(store, conv)["content"] == reply.content


def test_enospc_from_the_os_is_disk_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    with ConversationStore(tmp_path / "d", tmp_path / "c") as store:
        conv, _ = new_conversation()
        store.save(conv)

        def full(*a: Any, **k: Any) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", full)
        with pytest.raises(DiskFull):
            store.save(conv)


def interrupted_conversation() -> tuple[Conversation, Message]:
    """A conversation whose reply was cut off: the partial text a retry must not lose."""
    conv, reply = new_conversation()
    reply.content = "Half an answer"
    reply.status = Status.INTERRUPTED
    reply.error = "The connection was lost before the reply finished."
    reply.error_kind = "network"
    return conv, reply


async def test_a_retry_that_fails_keeps_the_old_text_with_the_new_error(
    client: WriterClient, store: CountingStore, fake: FakeWriter
) -> None:
    conv, reply = interrupted_conversation()
    store.save(conv)
    conv.model = "palmyra-x4"  # chosen since: the retry asks it, the old text keeps its own
    fake.enqueue(Error(400, "The request was malformed"))
    await stream_reply(client, store, conv, reply, lambda e: None, replace=True)
    assert fake.chat_requests[-1].json["model"] == "palmyra-x4"
    assert reply.model == "palmyra-x5"
    assert reply.content == "Half an answer"
    assert (reply.status, reply.error) == (Status.ERROR, "The request was malformed")
    saved = on_disk(store, conv)
    assert (saved["content"], saved["status"]) == ("Half an answer", "error")
    assert store.saves[1:] == ["Half an answer", "Half an answer"]  # never written empty


async def test_a_retry_stopped_before_any_text_leaves_the_reply_as_it_was(
    client: WriterClient, store: CountingStore, fake: FakeWriter
) -> None:
    conv, reply = interrupted_conversation()
    store.save(conv)
    fake.enqueue(Stall(after_bytes=0, seconds=30))
    task = asyncio.create_task(
        stream_reply(client, store, conv, reply, lambda e: None, replace=True)
    )
    await fake.wait_for_async(lambda: len(fake.chat_requests) == 1)
    await asyncio.sleep(0.1)
    assert on_disk(store, conv)["content"] == "Half an answer"  # while it waits: the old text
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (reply.content, reply.status) == ("Half an answer", Status.INTERRUPTED)
    assert reply.error == "The connection was lost before the reply finished."
    saved = on_disk(store, conv)
    assert (saved["content"], saved["status"]) == ("Half an answer", "interrupted")


async def test_a_retry_replaces_the_text_when_new_text_comes_and_a_crash_keeps_the_new(
    client: WriterClient, store: CountingStore, fake: FakeWriter, tmp_path: Path
) -> None:
    conv, reply = interrupted_conversation()
    store.save(conv)
    fake.enqueue(Trickle(n=600, delay_per_token=0.002))
    copy = tmp_path / "crashed"
    before_new_text: list[str] = []

    def notify(event: ReplyEvent) -> None:
        if not before_new_text:  # the first new text: the file still holds the old
            before_new_text.append(on_disk(store, conv)["content"])
        if len(store.appends) >= 2 and not copy.exists():
            shutil.copytree(store.root, copy, ignore=shutil.ignore_patterns("*.lock"))

    conv.model = "palmyra-x4"
    await stream_reply(client, store, conv, reply, notify, save_interval=0.1, replace=True)
    assert before_new_text == ["Half an answer"]
    assert reply.model == "palmyra-x4"  # the new text's
    assert reply.status is Status.COMPLETE
    assert "Half" not in reply.content
    assert on_disk(store, conv)["content"] == reply.content
    # the journal continues the replaced text, not the old: a crash keeps a prefix of the new
    assert copy.exists()
    with ConversationStore(copy, tmp_path / "cache-crashed") as after:
        recovered = after.load(conv.id).messages[-1]
    assert recovered.status is Status.INTERRUPTED
    assert recovered.content
    assert reply.content.startswith(recovered.content)
    sent = fake.chat_requests[-1].json["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]  # the partial is not sent back


async def test_stopped_while_waiting_to_retry_keeps_why_there_is_no_text(
    store: CountingStore, fake: FakeWriter
) -> None:
    # An empty "Stopped" said nothing of the rate limit the user had been waiting out.
    fake.enqueue(Error(429, description="Quota exceeded", headers={"Retry-After": "20"}))
    conv, reply = new_conversation()
    waiting = asyncio.Event()

    def notify(event: ReplyEvent) -> None:
        if isinstance(event, RetryScheduled):
            waiting.set()

    async with httpx.AsyncClient() as http:
        client = WriterClient(http, api_key=KEY, base_url=fake.base_url)  # sleeps for real
        task = asyncio.create_task(stream_reply(client, store, conv, reply, notify))
        await asyncio.wait_for(waiting.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert reply.status is Status.STOPPED
    assert reply.content == ""
    assert reply.error == "Stopped while waiting to try again (Quota exceeded)."
    assert on_disk(store, conv)["error"] == reply.error
