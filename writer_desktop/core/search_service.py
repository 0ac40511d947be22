"""Full-text search kept off the GUI thread: one worker thread owns the ``SearchIndex``.

SQLite connections are bound to the thread that made them, so the index is opened, synced,
updated and queried only by the worker. Callers get ``concurrent.futures.Future`` objects
(``submit``) or await ``search``; both are safe from any thread. Rules:

* Newest query wins: a query submitted while another waits or runs makes the older one resolve
  to ``None`` ("superseded") instead of hits, so a slow old query is never shown.
* Updates and removals queued before a query are done first (a query sees them). A ``sync``
  (seconds over many conversations) answers waiting queries between the files it reads, on what
  is indexed so far; ``ready`` resolves when the first one ends.
* ``update(conv_id)`` re-reads the saved file (and a streaming reply's journal) in the worker
  (no copy of a live conversation crosses threads, and the stamp is the file's own). Pass a
  ``ReadOnlyStore``: the ``ConversationStore`` is not thread-safe. While a reply streams
  (``streaming``), every query re-reads its conversation first.
* The worker runs only while there is work: it starts on the first query (or ``start()``), and
  after ``idle_close`` seconds without any it closes the index and ends, giving back SQLite's page
  cache and the thread's heap; the next query starts it again (opening the index: ~5 ms).
  Updates and removals queued meanwhile are done before that query, a queued sync (saved replies,
  imports) right after it; ``SearchUi`` calls ``start()`` as the search field opens, so that sync
  is usually done before the first query. The first start of a session begins with a sync, as
  the files may have changed while the app was closed: ``ready`` resolves only once something
  asked for the index.
* An index found damaged is started afresh, empty, and filled again from the files at once:
  found so when the worker opens it, before anything else; by a query, the query is answered after
  the refill (not with "no results"); by an update or removal, a sync is queued.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError
from contextlib import suppress
from pathlib import Path

from writer_desktop.core.errors import StorageError
from writer_desktop.core.models import Conversation
from writer_desktop.core.readonly import FileEntry, ReadOnlyStore
from writer_desktop.core.search import SearchHit, SearchIndex, stamp

__all__ = ["SearchService"]

log = logging.getLogger(__name__)

Hits = list[SearchHit] | None  # None: superseded by a newer query
_Job = tuple[str, str]  # ("sync", "") | ("update", id) | ("remove", id)
IDLE_CLOSE = 30.0  # seconds without work before the worker closes the index and ends


class SearchService:
    """Search over ``source`` with the index at ``index_path`` (``None``: in memory)."""

    def __init__(
        self, index_path: Path | None, source: ReadOnlyStore, *, idle_close: float = IDLE_CLOSE
    ) -> None:
        self.index_path = index_path
        self.source = source
        self.idle_close = idle_close
        self.ready: Future[int] = Future()  # how many conversations the first sync indexed
        self._cond = threading.Condition()
        self._query: tuple[str, int, Future[Hits]] | None = None
        self._generation = 0
        self._jobs: deque[_Job] = deque()
        self._closing = False
        self._synced = False  # the session's first sync is queued
        self._running = False  # a worker runs (or is starting)
        self._thread: threading.Thread | None = None  # the latest worker
        self._index: SearchIndex | None = None  # the running worker's only
        self._streaming: set[str] = set()  # conversations whose reply streams now

    # -- any thread ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker now (it also starts by itself on the first query): it opens the
        index and, the first time, syncs it with the files. Worth calling where a query is
        likely soon (the search field is shown), so that the first one finds the index open."""
        with self._cond:
            self._wake()

    @property
    def indexing(self) -> bool:
        """True until the first sync has finished."""
        return not self.ready.done()

    @property
    def worker(self) -> threading.Thread | None:
        return self._thread

    def submit(self, text: str, limit: int = 50) -> Future[Hits]:
        """Queue a query; its future gets the hits, or ``None`` once a newer query replaces it."""
        future: Future[Hits] = Future()
        with self._cond:
            if self._closing:
                future.set_result(None)
                return future
            if self._query is not None:
                _resolve(self._query[2], None)
            for conv_id in sorted(self._streaming):  # their newest text is in no save
                if ("update", conv_id) not in self._jobs:
                    self._jobs.append(("update", conv_id))
            self._generation += 1
            self._query = (text, limit, future)
            self._wake()
        return future

    async def search(self, text: str, limit: int = 50) -> Hits:
        """The hits for ``text`` (``None`` if a newer query replaced it meanwhile)."""
        return await asyncio.wrap_future(self.submit(text, limit))

    def update(self, conv: Conversation | str) -> None:
        """(Re)index a saved conversation, from its file on disk."""
        self._queue(("update", conv if isinstance(conv, str) else conv.id))

    def remove(self, conv_id: str) -> None:
        self._queue(("remove", conv_id))

    def streaming(self, conv_id: str, streaming: bool) -> None:
        """A reply of ``conv_id`` streams now (or no longer). Its text goes to the reply journal
        as it comes, and the file is saved only when it ends, so each query re-reads such a
        conversation first (file and journal): the text shown so far is found."""
        with self._cond:
            if streaming:
                self._streaming.add(conv_id)
            else:
                self._streaming.discard(conv_id)

    def sync(self) -> None:
        """Catch up with the folder (after an import or a restore from the trash)."""
        self._queue(("sync", ""))

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker after the job it is doing; pending queries resolve to ``None``."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the search worker did not stop within %.0f s", timeout)
        if not self.ready.done():
            self.ready.set_result(0)

    def _queue(self, job: _Job) -> None:
        """Queue ``job``; it waits for the worker's next run if none is running."""
        with self._cond:
            if job not in self._jobs:
                self._jobs.append(job)
                self._cond.notify()

    def _wake(self) -> None:
        """Start a worker unless one runs (the caller holds ``_cond``)."""
        if self._closing:
            return
        self._cond.notify()
        if self._running:
            return
        if not self._synced:
            self._synced = True
            if ("sync", "") in self._jobs:
                self._jobs.remove(("sync", ""))
            self._jobs.appendleft(("sync", ""))
        self._running = True
        self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
        self._thread.start()

    # -- the worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        index = self._index = SearchIndex(self.index_path)
        failed = False
        try:
            index.open()
            if index.resets:  # found damaged, and started afresh: filled before anything
                self._refill()
            while self._next_turn():
                with self._cond:
                    job = self._next_job()
                if job is None:
                    self._serve()
                else:
                    self._do(job)
        except Exception:  # the worker must not die silently; search just stops answering
            log.exception("the search worker failed")
            failed = True
        finally:
            index.close()
            with self._cond:
                if failed:
                    self._closing = True
                    self._running = False
                if self._closing and self._query is not None:
                    _resolve(self._query[2], None)
                    self._query = None

    def _next_turn(self) -> bool:
        """Wait for work; False once closing, or after ``idle_close`` seconds without any (the
        worker then ends, and the next query starts another)."""
        with self._cond:
            while not (self._closing or self._query or self._jobs):
                if not self._cond.wait(self.idle_close) and not (self._query or self._jobs):
                    self._running = False  # a query from now on starts a new worker
                    return False
            return not self._closing

    def _next_job(self) -> _Job | None:
        """Updates and removals first, wherever they are queued (quick; a query then sees
        them), then the query, then a sync."""
        update = self._pending_update()
        if update is not None:
            return update
        if self._jobs and self._query is None:
            return self._jobs.popleft()
        return None

    def _pending_update(self) -> _Job | None:
        """Take the first queued update or removal (the caller holds ``_cond``)."""
        for job in self._jobs:
            if job[0] != "sync":
                self._jobs.remove(job)
                return job
        return None

    def _serve(self) -> None:
        """Answer the waiting query, if any (also called between files during a sync).

        Updates and removals queued meanwhile are applied first, so a conversation deleted or
        changed before the query was asked never shows up stale in its answer.
        """
        while True:
            with self._cond:
                if self._query is None or self._closing:
                    return
                update = self._pending_update()
            if update is None:
                break
            self._do(update)
        with self._cond:
            if self._query is None or self._closing:
                return
            text, limit, future = self._query
            generation = self._generation
        index = self._index
        assert index is not None
        resets = index.resets
        try:
            hits: Hits = index.search(text, limit)
            if index.resets != resets:  # found damaged, and started afresh: empty
                self._refill()
                hits = index.search(text, limit)
            error: Exception | None = None
        except Exception as exc:  # StorageError "busy" and anything unexpected
            hits, error = None, exc
        with self._cond:
            if self._query is None or self._generation != generation:
                return  # superseded while running (its future already has None)
            self._query = None
            _resolve(future, hits, error)

    def _refill(self) -> None:
        """Index every file again, answering no query meanwhile (the one waiting is answered
        next, on the whole index; a newer one supersedes it as ever)."""
        assert self._index is not None
        log.info("search: filling the fresh index again")
        try:
            self._index.sync(_Serving(self.source, self, answer=False))
        except _Closing:
            pass
        except (StorageError, OSError) as exc:
            log.warning("search index refill failed: %s", exc)

    def _do(self, job: _Job) -> None:
        kind, conv_id = job
        assert self._index is not None
        resets = self._index.resets
        try:
            if kind == "sync":
                count = self._index.sync(_Serving(self.source, self))
                if not self.ready.done():
                    self.ready.set_result(count)
            elif kind == "remove":
                self._index.remove(conv_id)
            else:
                self._reindex(conv_id)
        except _Closing:
            pass
        except (StorageError, OSError, ValueError) as exc:
            log.warning("search index %s failed: %s", kind, exc)
        finally:
            if kind == "sync" and not self.ready.done():
                self.ready.set_result(0)
        if kind != "sync" and self._index.resets != resets:  # started afresh: fill it again
            with self._cond:
                if ("sync", "") not in self._jobs:
                    self._jobs.appendleft(("sync", ""))

    def _reindex(self, conv_id: str) -> None:
        assert self._index is not None
        try:
            entry = self.source.entry(conv_id)
            conv = self.source.load(conv_id)
        except (FileNotFoundError, StorageError):
            self._index.remove(conv_id)  # gone, or unreadable: the store reports it
            return
        self._index.update(conv, stamp(entry))

    def _stopping(self) -> bool:
        with self._cond:
            return self._closing


def _resolve(future: Future[Hits], hits: Hits, error: Exception | None = None) -> None:
    """Settle ``future`` unless its caller cancelled it (an awaiting task was cancelled)."""
    with suppress(InvalidStateError):
        if error is None:
            future.set_result(hits)
        else:
            future.set_exception(error)


class _Serving:
    """A source that answers waiting queries before each file it reads (unless not to
    ``answer``), so sync never blocks search for more than one file (or one batch commit); stops
    reading once closing."""

    def __init__(self, source: ReadOnlyStore, service: SearchService, answer: bool = True) -> None:
        self._source = source
        self._service = service
        self._answer = answer

    def list(self) -> Sequence[FileEntry]:
        return self._source.list()

    def load(self, conv_id: str) -> Conversation:
        if self._service._stopping():
            raise _Closing  # ends the sync at once; the next start finishes it
        if self._answer:
            self._service._serve()
        return self._source.load(conv_id)


class _Closing(Exception):
    """Raised through ``sync`` to end it early when the service closes."""
