"""The search worker: answers off the calling thread, newest query wins, updates, clean close."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from writer_desktop.core.codec import encode
from writer_desktop.core.journal import SUFFIX, JournalWriter
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.search import SEARCH_NAME, SearchHit, SearchIndex
from writer_desktop.core.search_service import SearchService


def write(folder: Path, title: str, *texts: str, conv_id: str | None = None) -> Conversation:
    roles = (Role.USER, Role.ASSISTANT)
    conv = Conversation(
        title=title, messages=[Message(roles[i % 2], t) for i, t in enumerate(texts)]
    )
    if conv_id:
        conv.id = conv_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{conv.id}.json").write_bytes(encode(conv))
    return conv


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "conversations"
    path.mkdir()
    return path


@pytest.fixture
def service(tmp_path: Path, folder: Path) -> Iterator[SearchService]:
    svc = SearchService(tmp_path / SEARCH_NAME, ReadOnlyStore(folder))
    yield svc
    svc.close()
    assert svc.worker is None or not svc.worker.is_alive()


def hits(service: SearchService, text: str) -> list[SearchHit]:
    found = service.submit(text).result(5)
    assert found is not None
    return found


def test_finds_after_the_first_sync(service: SearchService, folder: Path) -> None:
    a = write(folder, "Bread", "how do I feed a sourdough starter?", "Twice a day.")
    write(folder, "Code", "write a python function")
    service.start()
    assert service.ready.result(5) == 2
    assert not service.indexing
    found = hits(service, "sourdough")
    assert [(h.conversation_id, h.message_id) for h in found] == [(a.id, a.messages[0].id)]


def test_queries_run_on_the_worker_thread(
    service: SearchService, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(folder, "Bread", "sourdough")
    threads: list[int] = []
    real = SearchIndex.search

    def spy(self: SearchIndex, query: str, limit: int = 50) -> list[SearchHit]:
        threads.append(threading.get_ident())
        return real(self, query, limit)

    monkeypatch.setattr(SearchIndex, "search", spy)
    service.start()
    service.ready.result(5)
    assert hits(service, "sourdough")
    assert service.worker is not None
    assert threads == [service.worker.ident]
    assert threading.get_ident() not in threads


def test_newest_query_wins(
    service: SearchService, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(folder, "Bread", "sourdough starter")
    service.start()
    service.ready.result(5)
    started, release = threading.Event(), threading.Event()
    real = SearchIndex.search

    def slow(self: SearchIndex, query: str, limit: int = 50) -> list[SearchHit]:
        if query == "sour":
            started.set()
            release.wait(5)
        return real(self, query, limit)

    monkeypatch.setattr(SearchIndex, "search", slow)
    running = service.submit("sour")  # superseded while it runs
    assert started.wait(5)
    waiting = service.submit("sourd")  # superseded before it runs
    newest = service.submit("starter")
    release.set()
    assert running.result(5) is None
    assert waiting.result(5) is None
    found = newest.result(5)
    assert found is not None
    assert [h.title for h in found] == ["Bread"]


def test_updates_and_removals_are_visible(service: SearchService, folder: Path) -> None:
    service.start()
    service.ready.result(5)
    assert hits(service, "kubernetes") == []
    conv = write(folder, "Ops", "deploy with kubernetes")
    service.update(conv)
    assert [h.conversation_id for h in hits(service, "kubernetes")] == [conv.id]
    write(folder, "Ops", "deploy with docker", conv_id=conv.id)
    service.update(conv.id)
    assert hits(service, "kubernetes") == []
    assert hits(service, "docker")
    service.remove(conv.id)
    assert hits(service, "docker") == []


def test_update_of_a_deleted_file_drops_it(service: SearchService, folder: Path) -> None:
    conv = write(folder, "Ops", "deploy with kubernetes")
    service.start()
    service.ready.result(5)
    assert hits(service, "kubernetes")
    (folder / f"{conv.id}.json").unlink()
    service.update(conv.id)
    assert hits(service, "kubernetes") == []


def test_queries_answer_during_a_long_sync(
    service: SearchService, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(30):
        write(folder, f"Conversation {n}", f"palmyra number {n}")
    real_load = ReadOnlyStore.load
    gate = threading.Event()

    def slow_load(self: ReadOnlyStore, conv_id: str) -> Conversation:
        gate.wait(5)
        return real_load(self, conv_id)

    monkeypatch.setattr(ReadOnlyStore, "load", slow_load)
    service.start()
    pending = service.submit("palmyra")
    gate.set()
    assert pending.result(5) is not None  # answered before the sync ended: nothing indexed yet
    assert service.ready.result(10) == 30
    assert len(hits(service, "palmyra")) == 30


def test_async_search(service: SearchService, folder: Path) -> None:
    write(folder, "Bread", "sourdough")
    service.start()
    service.ready.result(5)

    async def main() -> list[SearchHit] | None:
        return await service.search("sourdough")

    found = asyncio.run(main())
    assert found is not None
    assert len(found) == 1


def test_close_during_sync_is_prompt(tmp_path: Path, folder: Path) -> None:
    for n in range(300):
        write(folder, f"Conversation {n}", "text " * 200)
    svc = SearchService(tmp_path / SEARCH_NAME, ReadOnlyStore(folder))
    svc.start()
    pending = svc.submit("nothing-here-yet") if svc.indexing else None
    started = time.monotonic()
    svc.close()
    assert time.monotonic() - started < 5
    assert svc.worker is not None
    assert not svc.worker.is_alive()
    assert svc.submit("text").result(1) is None  # closed: nothing is answered
    if pending is not None:
        assert pending.done()


def test_in_memory_index(folder: Path) -> None:
    write(folder, "Bread", "sourdough")
    svc = SearchService(None, ReadOnlyStore(folder))
    svc.start()
    try:
        svc.ready.result(5)
        assert len(svc.submit("sourdough").result(5) or []) == 1
    finally:
        svc.close()


def test_a_cancelled_caller_does_not_stop_the_worker(service: SearchService, folder: Path) -> None:
    write(folder, "Bread", "sourdough")
    service.start()
    service.ready.result(5)
    first = service.submit("sourdough")
    first.cancel()  # what asyncio.wrap_future does when the awaiting task is cancelled
    second = service.submit("sourdough")  # supersedes the cancelled one
    assert len(second.result(5) or []) == 1

    async def cancelled() -> None:
        task = asyncio.ensure_future(service.search("sourdough"))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancelled())
    assert len(hits(service, "sourdough")) == 1


def test_nothing_runs_until_something_is_asked(service: SearchService, folder: Path) -> None:
    """Idle memory: no worker thread or open index while nobody searches; changes wait."""
    bread = write(folder, "Bread", "sourdough")
    service.sync()
    service.update(bread.id)
    service.remove("gone")
    assert service.worker is None
    assert service.indexing  # the index was not checked against the files yet
    assert [h.conversation_id for h in hits(service, "sourdough")] == [bread.id]  # updated first
    assert service.ready.result(5) == 0  # then the catch-up sync: nothing else had changed


def test_first_query_is_answered_before_the_catch_up_sync(tmp_path: Path, folder: Path) -> None:
    for n in range(30):
        write(folder, f"Conversation {n}", "common words " * 50)
    with SearchIndex(tmp_path / SEARCH_NAME) as index:  # indexed in an earlier session
        index.sync(ReadOnlyStore(folder))
    write(folder, "Later", "written while the app was closed")
    svc = SearchService(tmp_path / SEARCH_NAME, ReadOnlyStore(folder))
    try:
        found = svc.submit("common").result(5)
        assert found is not None
        assert len(found) == 30
        assert svc.ready.result(5) == 1  # then the new file
        assert [h.title for h in hits(svc, "closed")] == ["Later"]
    finally:
        svc.close()


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_an_idle_worker_ends_and_the_next_query_starts_another(
    tmp_path: Path, folder: Path
) -> None:
    bread = write(folder, "Bread", "sourdough")
    cake = write(folder, "Cake", "sourdough and sugar")
    svc = SearchService(tmp_path / SEARCH_NAME, ReadOnlyStore(folder), idle_close=0.05)
    try:
        svc.start()
        assert svc.ready.result(5) == 2
        assert len(hits(svc, "sourdough")) == 2
        first = svc.worker
        assert first is not None
        wait_for(lambda: not first.is_alive())  # idle: index closed, thread gone
        (folder / f"{cake.id}.json").unlink()
        svc.remove(cake.id)  # queued while no worker runs
        write(folder, "Bread", "sourdough rye", conv_id=bread.id)
        svc.update(bread.id)
        assert svc.worker is first  # queued changes alone start nothing
        assert [h.conversation_id for h in hits(svc, "sourdough")] == [bread.id]
        assert [h.conversation_id for h in hits(svc, "rye")] == [bread.id]
        assert svc.worker is not first
    finally:
        svc.close()
    assert svc.worker is not None
    assert not svc.worker.is_alive()
    assert svc.submit("sourdough").result(1) is None  # closed: nothing starts again


class Damaged:
    """A connection to an index damaged under it: SQLite says so for every statement."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, *args: object) -> sqlite3.Cursor:
        raise sqlite3.DatabaseError("database disk image is malformed")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Damaged:  # a transaction, as a connection is
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def test_an_index_damaged_in_use_is_filled_again(service: SearchService, folder: Path) -> None:
    # Found damaged while the app ran, the index was started afresh, empty, and never filled
    # again: every search said "No results" until the next start of the app.
    write(folder, "Bread", "how do I feed a sourdough starter?")
    cake = write(folder, "Cake", "sourdough and sugar")
    service.start()
    assert service.ready.result(5) == 2
    assert len(hits(service, "sourdough")) == 2
    index = service._index
    assert index is not None
    assert index._conn is not None
    index._conn = Damaged(index._conn)  # type: ignore[assignment]
    assert len(hits(service, "sourdough")) == 2  # the query that found it damaged
    assert index.resets == 1
    assert len(hits(service, "sugar")) == 1
    assert index._conn is not None
    index._conn = Damaged(index._conn)  # type: ignore[assignment]
    (folder / f"{cake.id}.json").unlink()
    service.remove(cake.id)  # a removal finds it damaged: the index is filled again after it
    wait_for(lambda: len(hits(service, "sourdough")) == 1)
    assert index.resets == 2
    assert [h.title for h in hits(service, "starter")] == ["Bread"]


def test_an_index_damaged_while_no_worker_ran_is_filled_again(tmp_path: Path, folder: Path) -> None:
    # Idle, the worker closes the index; overwritten meanwhile, it was found damaged at the next
    # query, started afresh and left empty (the catch-up sync is only the session's first).
    write(folder, "Bread", "how do I feed a sourdough starter?")
    svc = SearchService(tmp_path / SEARCH_NAME, ReadOnlyStore(folder), idle_close=0.05)
    try:
        svc.start()
        assert svc.ready.result(5) == 1
        first = svc.worker
        assert first is not None
        wait_for(lambda: not first.is_alive())
        (tmp_path / SEARCH_NAME).write_bytes(bytes(range(256)) * 400)
        assert [h.title for h in hits(svc, "sourdough")] == ["Bread"]
        assert (tmp_path / SEARCH_NAME).read_bytes()[:16] == b"SQLite format 3\0"
    finally:
        svc.close()


def streaming(folder: Path, title: str, prompt: str) -> tuple[Conversation, JournalWriter]:
    """A conversation saved as a reply starts, and the journal its text then goes to."""
    conv = write(folder, title, prompt)
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    conv.messages.append(reply)
    (folder / f"{conv.id}.json").write_bytes(encode(conv))
    return conv, JournalWriter(folder / f"{conv.id}{SUFFIX}")


def test_the_text_of_a_streaming_reply_is_found(service: SearchService, folder: Path) -> None:
    # A reply's text goes to its journal as it streams, and its file is saved when it ends;
    # the index re-read a conversation only when its file changed, so a query found nothing of
    # a reply on screen until it ended ("Lorem ipsum" shown, "No results").
    conv, journal = streaming(folder, "Latin", "say something")
    service.start()
    assert service.ready.result(5) == 1
    service.streaming(conv.id, True)
    journal.append(conv.messages[1].id, 0, "Lorem ipsum dolor")
    assert [h.message_id for h in hits(service, "lorem")] == [conv.messages[1].id]
    journal.append(conv.messages[1].id, 17, " sit amet")
    assert [h.message_id for h in hits(service, "amet")] == [conv.messages[1].id]
    service.streaming(conv.id, False)
    journal.close()


def test_a_sync_reads_a_journal_that_grew(tmp_path: Path, folder: Path) -> None:
    # `writer-desktop search` syncs, then searches: it compared only the file's size and time,
    # which stay as they are while a reply streams into the journal.
    conv, journal = streaming(folder, "Latin", "say something")
    source = ReadOnlyStore(folder)
    with SearchIndex(tmp_path / SEARCH_NAME) as index:
        assert index.sync(source) == 1
        journal.append(conv.messages[1].id, 0, "Lorem ipsum")
        [entry] = source.list()
        assert entry.journal is not None
        assert index.sync(source) == 1
        assert [h.message_id for h in index.search("lorem")] == [conv.messages[1].id]
        journal.append(conv.messages[1].id, 11, " dolor")
        assert index.sync(source) == 1
        assert len(index.search("dolor")) == 1
        assert index.sync(source) == 0  # nothing changed since
    journal.close()
