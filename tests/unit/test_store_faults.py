"""Storage faults not covered elsewhere: wrong types in otherwise valid JSON, bad files read in
bounded memory, and a disk that fills up while a reply streams (real ENOSPC from ``os.write``).

``test_store_kill.py`` (SIGKILL while saving, including "no temp files after the next start"),
``test_store_corrupt.py`` (damaged bytes) and ``test_atomic.py`` (ENOSPC and fsync per file) cover
the rest of the Storage section.
"""

from __future__ import annotations

import errno
import json
import os
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import FAKE_KEY
from tests.fake_writer.behaviours import Reply, Trickle
from tests.fake_writer.server import FakeWriter
from writer_desktop.core import atomic, journal
from writer_desktop.core.api import Timeouts, WriterClient
from writer_desktop.core.codec import MAX_FILE_SIZE, encode
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.reply import ReplyEvent, Saved, SaveFailed, save_until_saved, stream_reply
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.stream import TextDelta

STAMP = "20260501T120000Z"
T0 = "2026-01-01T00:00:00.000Z"


def clock() -> datetime:
    return datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def good(conv_id: str) -> dict[str, Any]:
    conv = Conversation(
        id=conv_id, title="good", created_at=T0, updated_at=T0,
        messages=[
            Message(Role.USER, "hi", id="u", created_at=T0),
            Message(Role.ASSISTANT, "hello", id="a", created_at=T0),
        ],
    )  # fmt: skip
    data: dict[str, Any] = json.loads(encode(conv))
    return data


def with_message(conv_id: str, **changes: Any) -> dict[str, Any]:
    data = good(conv_id)
    data["messages"][1].update(changes)
    return data


# Each: a change that keeps the file valid JSON but gives a field the wrong type.
WRONG_TYPES: dict[str, Any] = {
    "messages as a string": lambda i: {**good(i), "messages": "hi"},
    "messages as an object": lambda i: {**good(i), "messages": {"0": good(i)["messages"][0]}},
    "messages missing": lambda i: {k: v for k, v in good(i).items() if k != "messages"},
    "role as a number": lambda i: with_message(i, role=1),
    "role null": lambda i: with_message(i, role=None),
    "content null": lambda i: with_message(i, content=None),
    "content a list": lambda i: with_message(i, content=["he", "llo"]),
    "message id a number": lambda i: with_message(i, id=7),
    "status a number": lambda i: with_message(i, status=3),
    "usage a string": lambda i: with_message(i, usage="lots"),
    "usage negative": lambda i: with_message(i, usage={"total_tokens": -1}),
    "usage a float": lambda i: with_message(i, usage={"total_tokens": 1.5}),
    "usage a bool": lambda i: with_message(i, usage={"total_tokens": True}),
    "versions an object": lambda i: with_message(i, versions={}),
    "version without message": lambda i: with_message(i, versions=[{"following": []}]),
    "version following a string": lambda i: with_message(
        i, versions=[{"message": good(i)["messages"][1], "following": "x"}]
    ),
    "nested bad role in a version": lambda i: with_message(
        i, versions=[{"message": {**good(i)["messages"][1], "role": 2}, "following": []}]
    ),
    "created_at a number": lambda i: {**good(i), "created_at": 1767225600},
    "message created_at null": lambda i: with_message(i, created_at=None),
    "id null": lambda i: {**good(i), "id": None},
    "title null": lambda i: {**good(i), "title": None},
    "model a number": lambda i: {**good(i), "model": 5},
    "system_prompt a list": lambda i: {**good(i), "system_prompt": []},
    "params a list": lambda i: {**good(i), "params": []},
    "max_tokens a string": lambda i: {**good(i), "params": {"max_tokens": "4096"}},
    "max_tokens zero": lambda i: {**good(i), "params": {"max_tokens": 0}},
    "temperature a bool": lambda i: {**good(i), "params": {"temperature": True}},
    "pinned a number": lambda i: {**good(i), "pinned": 1},
    "schema_version a float": lambda i: {**good(i), "schema_version": 1.0},
    "schema_version null": lambda i: {**good(i), "schema_version": None},
    "a list of conversations": lambda i: [good(i)],
}


def write(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for conv_id, raw in files.items():
        (folder / f"{conv_id}.json").write_bytes(raw)


def test_wrong_types_are_set_aside_unchanged_and_reported(tmp_path: Path) -> None:
    bad = {
        str(uuid.uuid4()): (name, json.dumps(make(conv_id := str(uuid.uuid4()))).encode(), conv_id)
        for name, make in WRONG_TYPES.items()
    }
    # The id inside must match the file name: key the files by the id used to build them.
    files = {conv_id: raw for _, raw, conv_id in bad.values()}
    names = {conv_id: name for name, _, conv_id in bad.values()}
    goods = [str(uuid.uuid4()) for _ in range(3)]
    files.update({conv_id: json.dumps(good(conv_id)).encode() for conv_id in goods})
    folder = tmp_path / "data" / "conversations"
    write(folder, files)
    with ConversationStore(tmp_path / "data", tmp_path / "cache", clock=clock) as store:
        assert sorted(s.id for s in store.list()) == sorted(goods)
        for conv_id in goods:
            assert store.load(conv_id).messages[1].content == "hello"
        reported = {p.path.name[:-5]: p for p in store.take_problems()}
    missing = sorted(names[i] for i in names if i not in reported)
    assert missing == [], f"accepted although wrong: {missing}"
    assert sorted(reported) == sorted(names)
    for conv_id, problem in reported.items():
        assert problem.reason, names[conv_id]
        assert problem.moved_to == folder / f"{conv_id}.json.corrupt-{STAMP}"
        assert problem.moved_to.read_bytes() == files[conv_id], names[conv_id]
    left = sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
    assert left == sorted(f"{i}.json" for i in goods)


def peak_while_opening(tmp_path: Path) -> int:
    """Peak traced allocations while a store opens (and so reads every file) in ``tmp_path``."""
    tracemalloc.start()
    try:
        with ConversationStore(tmp_path / "data", tmp_path / "cache", clock=clock) as store:
            store.list()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_bad_files_are_handled_in_bounded_memory(tmp_path: Path) -> None:
    """Opening a store full of bad files allocates a small multiple of the largest file that is
    read, never the size limit per file. Generous bounds, not a benchmark."""
    folder = tmp_path / "data" / "conversations"
    small = {
        str(uuid.uuid4()): b"[" * 100_000 + b"]" * 100_000,
        str(uuid.uuid4()): b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        str(uuid.uuid4()): b"\x00" * 1_000_000,
        str(uuid.uuid4()): b"\xff" * 1_000_000,
        **{
            conv_id: json.dumps(make(conv_id)).encode()
            for name, make in WRONG_TYPES.items()
            if (conv_id := str(uuid.uuid4()))
        },
    }
    # Over the size limit: never read at all (a sparse file: no disk space used).
    huge = str(uuid.uuid4())
    write(folder, small)
    with (folder / f"{huge}.json").open("wb") as f:
        f.truncate(MAX_FILE_SIZE + 1)
    ok = str(uuid.uuid4())
    write(folder, {ok: json.dumps(good(ok)).encode()})
    peak_small = peak_while_opening(tmp_path)
    with ConversationStore(tmp_path / "data", tmp_path / "cache", clock=clock) as store:
        assert [s.id for s in store.list()] == [ok]
    aside = [p for p in folder.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == len(small) + 1

    # Big, parseable, and wrong only at the very end: 40,000 messages, then a role that is a
    # number. It is parsed whole, then set aside; about 5 MiB on disk.
    big = str(uuid.uuid4())
    data = good(big)
    data["messages"] = [data["messages"][0]] * 40_000 + [{**data["messages"][1], "role": 5}]
    raw = json.dumps(data).encode()
    write(folder, {big: raw})
    peak_big = peak_while_opening(tmp_path)
    assert (folder / f"{big}.json.corrupt-{STAMP}").read_bytes() == raw
    small_mib, big_mib, raw_mib = peak_small / 2**20, peak_big / 2**20, len(raw) / 2**20
    print(f"peak traced memory: {small_mib:.1f} MiB (small bad files and a 64 MiB one), "
          f"{big_mib:.1f} MiB ({raw_mib:.1f} MiB of JSON)")  # fmt: skip
    assert peak_small < 16 * 2**20  # each read is its file's size: 2 MiB, not 64
    assert peak_big < 24 * len(raw)  # Python objects for JSON cost ~10x its bytes


# -- a disk that fills up while a reply streams --------------------------------------------------


class _Os:
    """The ``os`` module as ``atomic`` sees it, with ``write`` replaced."""

    def __init__(self, write: Any) -> None:
        self.write = write

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


class Disk:
    """``os.write`` as seen by ``atomic_write``, failing with ENOSPC while ``full``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.full = False
        self.refused = 0
        real = os.write

        def write(fd: int, data: Any) -> int:
            if self.full:
                self.refused += 1
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(fd, data)

        monkeypatch.setattr(atomic, "os", _Os(write))


@pytest.fixture
async def client(fake: FakeWriter) -> AsyncIterator[WriterClient]:
    async def no_sleep(_: float) -> None:
        pass

    async with httpx.AsyncClient() as http:
        yield WriterClient(http, api_key=FAKE_KEY, base_url=fake.base_url, sleep=no_sleep,
                           timeouts=Timeouts(idle=5))  # fmt: skip


def new_conversation(store: ConversationStore) -> tuple[Conversation, Message]:
    conv = Conversation(title="disk", model="palmyra-x5")
    conv.messages.append(Message(Role.USER, "Hi"))
    store.save(conv)
    reply = Message(Role.ASSISTANT, "", model="palmyra-x5")
    conv.messages.append(reply)
    return conv, reply


async def test_disk_full_mid_stream_keeps_the_file_and_saves_once_space_is_back(
    client: WriterClient, fake: FakeWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = Disk(monkeypatch)
    fake.enqueue(Trickle(n=400, delay_per_token=0.003))
    with ConversationStore(tmp_path / "d", tmp_path / "c") as store:
        conv, reply = new_conversation(store)
        path = store.conversations_dir / f"{conv.id}.json"
        log = path.with_suffix(".journal")
        events: list[ReplyEvent] = []
        on_disk_while_full: list[tuple[bytes, bytes]] = []
        before_full = (b"", b"")

        def on_disk() -> tuple[bytes, bytes]:
            return path.read_bytes(), log.read_bytes() if log.exists() else b""

        def notify(event: ReplyEvent) -> None:
            nonlocal before_full
            events.append(event)
            text = "".join(e.text for e in events if isinstance(e, TextDelta))
            if not disk.full and not before_full[0] and len(text) > 200:
                before_full = on_disk()  # the file as last saved, the journal as last appended
                disk.full = True
            elif disk.full:
                on_disk_while_full.append(on_disk())
                if sum(isinstance(e, SaveFailed) for e in events) >= 2:
                    disk.full = False  # space is back

        await stream_reply(client, store, conv, reply, notify, save_interval=0.05)

        failures = [e for e in events if isinstance(e, SaveFailed)]
        assert len(failures) >= 2
        assert all("disk is full" in f.error.user_message for f in failures)
        assert disk.refused >= 2
        assert before_full[0]
        # byte-identical while the disk was full: no half-written journal line either
        assert set(on_disk_while_full) == {before_full}
        if before_full[1]:  # what the journal held then is a prefix of the reply
            [section] = journal.parse(before_full[1])
            assert reply.content.startswith(journal.extend("", section.pieces))
        assert any(isinstance(e, Saved) for e in events[events.index(failures[0]) :])
        assert reply.status is Status.COMPLETE
        saved = json.loads(path.read_bytes())
        assert saved["messages"][-1]["content"] == reply.content
        assert saved["messages"][-1]["status"] == "complete"
        # no temp files, and the journal went with the end's save
        assert [p.name for p in store.conversations_dir.iterdir()] == [path.name]


async def test_disk_full_until_after_the_reply_ends_is_saved_once_space_is_back(
    client: WriterClient, fake: FakeWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last save of a reply fails too; ``save_until_saved`` (the controller runs it in the
    background) keeps trying and reports ``Saved`` once space is back."""
    import asyncio

    disk = Disk(monkeypatch)
    fake.enqueue(Reply(text="a short answer"))
    with ConversationStore(tmp_path / "d", tmp_path / "c") as store:
        conv, reply = new_conversation(store)
        disk.full = True
        events: list[ReplyEvent] = []
        await stream_reply(client, store, conv, reply, events.append, save_interval=0.05)
        assert reply.status is Status.COMPLETE
        assert isinstance(events[-1], SaveFailed)  # the final save failed as well
        path = store.conversations_dir / f"{conv.id}.json"
        saving = asyncio.create_task(save_until_saved(store, conv, events.append, interval=0.05))
        await asyncio.sleep(0.3)  # six attempts while the disk is still full
        assert not saving.done()
        assert [m["role"] for m in json.loads(path.read_bytes())["messages"]] == ["user"]
        disk.full = False
        await asyncio.wait_for(saving, 5)
        assert isinstance(events[-1], Saved)
        saved = json.loads(path.read_bytes())
        assert saved["messages"][-1]["content"] == "a short answer"
