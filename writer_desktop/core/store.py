"""The conversation store: one JSON file per conversation, saved crash-safely, listed from a cache.

::

    <root>/writer-desktop.lock                  advisory lock, held while a store is open
    <root>/conversations/<id>.json              one conversation each: the truth
    <root>/conversations/<id>.json.corrupt-<t>  a file that could not be read, set aside unchanged
    <root>/conversations/<id>.json.changed-<t>  another program's version, kept before a save
    <root>/conversations/<id>.journal           text of a streaming reply since the last save
    <root>/trash/<id>.deleted-<t>.json          deleted, purged after 30 days
    <cache_dir>/index.sqlite3                   listing cache, rebuilt from the files when needed

Nothing happens until ``open()``. A second store on the same root (in this or another process) gets
``AlreadyLocked``, a ``StorageError``. Files that cannot be read are never changed or deleted: they
are renamed aside and reported in ``problems``. While a reply streams, its new text is appended to
a journal (``core.journal``) instead of rewriting the file every second; the next save that lands
deletes it, and a journal found later (after a crash) is applied to the reply. Files written by a
newer version load read-only and are never rewritten. Not thread-safe: use one store from one
thread. The format is described in ``docs/data-format.md``.
"""

from __future__ import annotations

import builtins
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from writer_desktop.core import journal, trash
from writer_desktop.core.atomic import (
    AlreadyLocked,
    FileLock,
    atomic_write,
    clean_temp_files,
    fsync_dir,
    move_no_replace,
    remove_file,
    storage_error,
)
from writer_desktop.core.codec import MAX_FILE_SIZE, Encoder, Unreadable
from writer_desktop.core.codec import decode_versioned as decode  # (conv, file's version)
from writer_desktop.core.errors import ReadOnlyConversation, StorageError
from writer_desktop.core.index import ConversationSummary, Index
from writer_desktop.core.listing import Listing
from writer_desktop.core.migrate import MigrationFailed
from writer_desktop.core.models import Conversation, Status, new_id, walk_messages
from writer_desktop.core.titles import shown_title

__all__ = [
    "INDEX_NAME",
    "AlreadyLocked",
    "ConversationNotFound",
    "ConversationStore",
    "ConversationSummary",
    "CorruptConversation",
    "MigrationFailed",
    "StoreProblem",
]

log = logging.getLogger(__name__)

LOCK_NAME = "writer-desktop.lock"
INDEX_NAME = "index.sqlite3"
BACKUPS = "backups"  # byte copies of older-version files, kept before their first rewrite
TRASH_DAYS = 30
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # fullmatch


class ConversationNotFound(StorageError):
    """No conversation with that id (it may have been deleted)."""


class CorruptConversation(StorageError):
    """The file could not be read; it was set aside and reported in ``problems``."""


@dataclass(frozen=True, slots=True)
class StoreProblem:
    """A file the store could not use, to tell the user once; ``moved_to``: where it was put."""

    path: Path
    reason: str
    moved_to: Path | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ConversationStore:
    """Conversations under ``root``, their listing cache in ``cache_dir``; ``clock`` is UTC."""

    def __init__(
        self,
        root: Path,
        cache_dir: Path,
        *,
        clock: Callable[[], datetime] = _utc_now,
        max_file_size: int = MAX_FILE_SIZE,
    ) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.conversations_dir = root / "conversations"
        self.trash_dir = root / "trash"
        self._encoder = Encoder()  # saves a long conversation again quickly
        self.problems: list[StoreProblem] = []
        self._clock = clock
        self._max_size = max_file_size
        self._lock = FileLock(root / LOCK_NAME)
        self._index: Index | None = None
        self._streaming: set[str] = set()
        self._journals: dict[str, journal.JournalWriter] = {}  # open while replies stream
        self._found_journals: set[str] = set()  # ids with a journal file at the last refresh
        self._older: dict[str, int] = {}  # id → schema_version of a file read from an older one
        # id → (size, mtime) of its file as this store last read or wrote it: see _keep_theirs
        self._seen: dict[str, tuple[int, int]] = {}
        self.outside_changes: list[StoreProblem] = []  # versions kept aside by save, to tell

    # -- life cycle --------------------------------------------------------------------------

    def open(self, *, sync: bool = True) -> ConversationStore:
        """Create the folders (0700), lock, open the index and (unless ``sync`` is false) sync.

        ``sync=False`` is for a fast start: the listing cache is shown as it was, and
        :meth:`sync` runs once the window is on screen.
        """
        if self._index is not None:
            return self
        for folder in (self.root, self.conversations_dir, self.trash_dir, self.cache_dir):
            _make_private_dir(folder)
        self._lock.acquire()
        try:
            self._index = Index(self.cache_dir / INDEX_NAME, owner=str(self.root.resolve()))
            if sync:
                self.sync()
        except BaseException:
            self.close()
            raise
        return self

    def sync(self) -> None:
        """Clean temp files, purge old trash, bring the index up to date with the folder, and
        mark replies that were streaming when the app last stopped as interrupted."""
        clean_temp_files(self.conversations_dir)
        try:
            self.purge_trash()
        except StorageError as exc:
            log.warning("could not purge the trash: %s", exc)
        self.refresh()
        self.recover()

    def close(self) -> None:
        for writer in self._journals.values():
            writer.close()
        self._journals.clear()
        if self._index is not None:
            self._index.close()
            self._index = None
        self._lock.release()

    def __enter__(self) -> ConversationStore:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    def take_outside_changes(self) -> builtins.list[StoreProblem]:
        """The versions changed by another program that saves kept aside since last asked."""
        found, self.outside_changes = self.outside_changes, []
        return found

    def take_problems(self) -> builtins.list[StoreProblem]:
        """The problems found so far, forgetting them (so the UI tells the user once)."""
        found, self.problems = self.problems, []
        return found

    # -- reading -----------------------------------------------------------------------------

    def list(self, limit: int | None = None) -> builtins.list[ConversationSummary]:
        """Every conversation (or the first ``limit``): pinned first, then the most recent."""
        return self._idx.summaries(limit)

    def listing(self, limit: int | None = None) -> Listing:
        """:meth:`list` as the sidebar shows it, packed (``core/listing.py``)."""
        return self._idx.listing(limit)

    def was_set_aside(self, conv_id: str) -> bool:
        """True if a file of ``conv_id`` was set aside as unreadable (``<id>.json.corrupt-<t>``)."""
        if not _ID.fullmatch(conv_id):
            return False
        try:
            return any(self.conversations_dir.glob(f"{conv_id}.json.corrupt-*"))
        except OSError:
            return True  # cannot tell: keep what depends on it

    def exists(self, conv_id: str) -> bool:
        """True if ``conv_id`` has a file (the truth, not the listing cache)."""
        return bool(_ID.fullmatch(conv_id)) and self._path(conv_id).is_file()

    def exists_or_trashed(self, conv_id: str) -> bool:
        """True if ``conv_id`` has a file, one set aside as unreadable (the user may mend it),
        or one in the trash that can still be restored."""
        if self.exists(conv_id) or self.was_set_aside(conv_id):
            return True
        try:
            return any(entry.id == conv_id for entry in self.trashed())
        except StorageError:
            return True  # cannot tell: keep what depends on it

    def summary(self, conv_id: str) -> ConversationSummary | None:
        """The listing cache's row for ``conv_id`` (None if it has none)."""
        return self._idx.get(conv_id)

    def load(self, conv_id: str) -> Conversation:
        """Read one conversation; a ``streaming`` message nobody streams becomes ``interrupted``.

        Raises ``ConversationNotFound``, ``CorruptConversation`` (file set aside) or
        ``StorageError``. A newer-version file comes back with ``read_only`` true.
        """
        conv, size, mtime_ns = self._read(conv_id)
        self._seen[conv_id] = (size, mtime_ns)
        if not conv.read_only and conv.id not in self._streaming:
            journaled = self._apply_journal(conv)
            interrupted = [m for m in walk_messages(conv.messages) if m.status is Status.STREAMING]
            for message in interrupted:
                message.status = Status.INTERRUPTED
                message.error = message.error or "Writer Desktop closed before this reply finished."
                message.error_kind = message.error_kind or "closed"  # not the network's doing
            if interrupted:
                try:
                    self.save(conv)  # once it lands, it deletes the journal too
                except StorageError as exc:
                    log.warning("could not save recovered conversation %s: %s", conv.id, exc)
                return conv
            if journaled is not None:  # nothing streams there: the end's save landed before
                self._remove_journal(conv.id)
        row = self._idx.get(conv.id)
        if row is None or (row.size, row.mtime_ns) != (size, mtime_ns):
            self._update(upsert=[ConversationSummary.of(conv, size, mtime_ns)])
        return conv

    def refresh(self) -> None:
        """Sync the index with the folder: re-read new and changed files, drop gone ones."""
        index = self._idx
        known = index.stats()
        index.take_reset()  # if the index just failed, ``known`` is empty: all is re-read anyway
        seen: set[str] = set()
        journals: set[str] = set()
        stale: builtins.list[str] = []
        try:
            with os.scandir(self.conversations_dir) as it:
                for entry in it:
                    if entry.name.endswith(journal.SUFFIX):
                        if _ID.fullmatch(entry.name[: -len(journal.SUFFIX)]):
                            journals.add(entry.name[: -len(journal.SUFFIX)])
                        continue
                    conv_id = entry.name[:-5]
                    if not entry.name.endswith(".json") or not _ID.fullmatch(conv_id):
                        continue
                    if not entry.is_file():
                        continue
                    st = entry.stat()
                    seen.add(conv_id)
                    if known.get(conv_id) != (st.st_size, st.st_mtime_ns):
                        stale.append(conv_id)
        except OSError as exc:
            raise storage_error(exc, "list the conversations") from exc
        self._found_journals = journals
        upsert = []
        for conv_id in stale:
            try:
                conv, size, mtime_ns = self._read(conv_id)
            except StorageError:
                continue  # recorded in problems
            upsert.append(ConversationSummary.of(conv, size, mtime_ns))
        index.update(upsert=upsert, remove=known.keys() - seen)
        if index.take_reset():
            self.refresh()

    # -- writing -----------------------------------------------------------------------------

    def save(self, conv: Conversation) -> None:
        """Write ``conv`` atomically and index it; ``DiskFull`` or ``StorageError`` on failure."""
        if conv.read_only:
            raise ReadOnlyConversation(
                f"“{conv.title or 'This conversation'}” was saved by a newer version of "
                "Writer Desktop and is read-only here."
            )
        path = self._path(conv.id)
        data = self._encoder.encode(conv)
        if len(data) > self._max_size:
            raise StorageError(
                f"Could not save “{conv.title or conv.id}”: it is larger than "
                f"{self._max_size // 2**20} MiB."
            )
        self._require_open()
        self._back_up_older(conv.id, path)
        theirs = self._keep_theirs(conv, path)
        try:
            atomic_write(path, data)
        except StorageError as exc:  # "Could not save 0a7f….json" means nothing to a user
            named = exc.user_message.replace(path.name, f"“{shown_title(conv.title)}”")
            raise type(exc)(named) from exc
        if theirs is not None:
            self.outside_changes.append(theirs)
        self._remove_journal(conv.id)  # the file now holds all it held
        try:
            st = path.stat()
            size, mtime_ns = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime_ns = len(data), 0  # the next refresh re-reads it
        self._seen[conv.id] = (size, mtime_ns)
        self._update(upsert=[ConversationSummary.of(conv, size, mtime_ns)])

    def _keep_theirs(self, conv: Conversation, path: Path) -> StoreProblem | None:
        """The file was changed by another program since this store read or wrote it (a sync
        tool, an editor): keep that version, as a copy ``<id>.json.changed-<time>`` beside it,
        before it is replaced; return what to tell once it is. Raises ``StorageError`` (and
        nothing is replaced) if the copy cannot be made."""
        seen = self._seen.get(conv.id)
        try:
            st = path.stat()
        except OSError:
            return None  # gone (deleted outside): nothing of theirs to keep
        if seen is None or (st.st_size, st.st_mtime_ns) == seen:
            return None
        target = trash.free_name(path, "changed", self._clock())
        try:
            theirs = path.read_bytes()
        except OSError as exc:
            raise storage_error(exc, f"keep the version of {path.name} changed outside") from exc
        atomic_write(target, theirs)  # private, as every file of the app; StorageError if not
        log.warning("%s changed outside; that version kept as %s", path.name, target.name)
        reason = "it was changed by another program while Writer Desktop had it open"
        return StoreProblem(path, reason, target)

    def delete(self, conv_id: str) -> None:
        """Move the conversation into the trash (unchanged)."""
        _, failed = self.delete_many([conv_id])
        if failed:
            raise failed[0][1]

    def delete_many(
        self, conv_ids: Iterable[str]
    ) -> tuple[builtins.list[str], builtins.list[tuple[str, StorageError]]]:
        """Move conversations into the trash, as one step: the folders are synced and the
        listing updated once, not per file (a Del on 10,000 took minutes). Returns the ids
        moved, and the error of each one that was not."""
        self._require_open()
        deleted: builtins.list[str] = []
        failed: builtins.list[tuple[str, StorageError]] = []
        when = self._clock()
        try:
            for conv_id in conv_ids:
                path = self._path(conv_id)
                if not path.is_file():
                    failed.append(
                        (conv_id, ConversationNotFound("This conversation no longer exists."))
                    )
                    continue
                self._streaming.discard(conv_id)
                self._remove_journal(conv_id)
                try:
                    trash.move_to_trash(path, conv_id, self.trash_dir, when, sync=False)
                except StorageError as exc:
                    failed.append((conv_id, exc))
                    continue
                self._seen.pop(conv_id, None)
                deleted.append(conv_id)
        finally:
            if deleted:
                fsync_dir(self.trash_dir)
                fsync_dir(self.conversations_dir)
                self._update(remove=deleted)
        return deleted, failed

    def restore(self, conv_id: str, entry: trash.TrashEntry | None = None) -> str:
        """Bring ``entry`` (by default the most recently deleted copy of ``conv_id``) back from
        the trash; return the id it has now. If a conversation with that id is here again (it
        was imported, say), it comes back as a copy under a new id, as an import would."""
        [(_, result)] = self.restore_many([(conv_id, entry)])
        if isinstance(result, StorageError):
            raise result
        return result

    def restore_many(
        self, wanted: Iterable[tuple[str, trash.TrashEntry | None]]
    ) -> builtins.list[tuple[str, str | StorageError]]:
        """:meth:`restore` for each ``(id, entry)``, as one step: the trash is listed, the
        folders synced and the listing updated once (restoring 3,000 took a minute). Returns
        each id with the id it has now, or the error that kept it in the trash."""
        self._require_open()
        by_id: dict[str, builtins.list[trash.TrashEntry]] = {}
        for found in self.trashed():  # newest first, so each id's list is too
            by_id.setdefault(found.id, []).append(found)
        results: builtins.list[tuple[str, str | StorageError]] = []
        summaries: builtins.list[ConversationSummary] = []
        moved = False
        try:
            for conv_id, entry in wanted:
                path = self._path(conv_id)
                candidates = [e for e in by_id.get(conv_id, []) if entry in (None, e)]
                if not candidates:
                    results.append(
                        (conv_id, ConversationNotFound("This conversation is not in the trash."))
                    )
                    continue
                chosen = candidates[0]
                by_id[conv_id].remove(chosen)
                try:
                    if path.exists():
                        results.append((conv_id, self._restore_as_copy(chosen)))
                        continue
                    move_no_replace(chosen.path, path, sync=False)
                    moved = True
                    conv, size, mtime_ns = self._read(conv_id)
                except StorageError as exc:
                    results.append((conv_id, exc))
                    continue
                summaries.append(ConversationSummary.of(conv, size, mtime_ns))
                results.append((conv_id, conv_id))
        finally:
            if moved:
                fsync_dir(self.conversations_dir)
                fsync_dir(self.trash_dir)
            if summaries:
                self._update(upsert=summaries)
        return results

    def _restore_as_copy(self, entry: trash.TrashEntry) -> str:
        try:
            raw = entry.path.read_bytes()
        except OSError as exc:
            raise storage_error(exc, "read it from the trash") from exc
        try:
            conv = decode(raw, entry.id)[0]
        except (Unreadable, MigrationFailed):
            raise StorageError(
                "A conversation with the same id is here again, and the deleted one cannot be "
                "read to restore it as a copy."
            ) from None
        conv.id = new_id()
        self.save(conv)  # ReadOnlyConversation for a newer version's file: it stays in the trash
        try:
            entry.path.unlink()
        except OSError as exc:
            log.warning("restored %s as %s, but could not remove it from the trash: %s",
                        entry.id, conv.id, exc)  # fmt: skip
        return conv.id

    def trashed(self) -> builtins.list[trash.TrashEntry]:
        """The trash, most recently deleted first."""
        try:
            return trash.entries(self.trash_dir)
        except OSError as exc:
            raise storage_error(exc, "list the trash") from exc

    def trash_contents(self) -> builtins.list[trash.Trashed]:
        """The trash with each conversation's title and message count, newest first."""
        return [trash.describe(entry) for entry in self.trashed()]

    def delete_for_good(self, entry: trash.TrashEntry) -> None:
        """Remove ``entry`` from the trash now, instead of after ``TRASH_DAYS``."""
        self._require_open()
        try:
            trash.remove(entry, self.trash_dir)
        except FileNotFoundError:
            pass  # already gone
        except OSError as exc:
            raise storage_error(exc, "delete it from the trash") from exc

    def purge_trash(self, older_than: timedelta = timedelta(days=TRASH_DAYS)) -> int:
        """Delete for good what was trashed more than ``older_than`` ago; return how many."""
        try:
            return trash.purge(self.trash_dir, self._clock() - older_than)
        except OSError as exc:
            raise storage_error(exc, "empty the trash") from exc

    # -- interrupted replies -----------------------------------------------------------------

    def mark_streaming(self, conv_id: str) -> None:
        """This process is streaming into ``conv_id``: leave its ``streaming`` messages alone."""
        self._streaming.add(conv_id)

    def unmark_streaming(self, conv_id: str) -> None:
        self._streaming.discard(conv_id)

    def append_reply(self, conv_id: str, message_id: str, at: int, text: str) -> None:
        """Durably append ``text``, the content of the streaming reply ``message_id`` from offset
        ``at`` on, to the conversation's journal (the file saved it up to ``at``). Cheap: the
        conversation file is not rewritten. ``DiskFull`` or ``StorageError`` on failure."""
        self._require_open()
        writer = self._journals.get(conv_id)
        if writer is None:
            writer = journal.JournalWriter(self._journal_path(conv_id))
            self._journals[conv_id] = writer
        writer.append(message_id, at, text)

    def recover(self) -> builtins.list[str]:
        """Mark ``streaming`` messages nobody streams as ``interrupted``, with the text their
        journal kept; delete stale journals, set aside unreadable and orphaned ones. Return the
        ids of the conversations fixed."""
        fixed = []
        journals, self._found_journals = self._found_journals, set()
        for conv_id in sorted({*self._idx.streaming_ids(), *journals} - self._streaming):
            try:
                self.load(conv_id)
            except StorageError:
                if conv_id in journals and not self._path(conv_id).exists():
                    self._set_aside_journal(conv_id, "its conversation file is missing")
                continue
            fixed.append(conv_id)
        return fixed

    # -- internals ---------------------------------------------------------------------------

    @property
    def _idx(self) -> Index:
        if self._index is None:
            raise StorageError("The conversation store is not open.")
        return self._index

    def _require_open(self) -> None:
        self._idx  # noqa: B018 (raises when closed)

    def _path(self, conv_id: str) -> Path:
        if not _ID.fullmatch(conv_id):
            raise ValueError(f"not a conversation id: {conv_id[:40]!r}")
        return self.conversations_dir / f"{conv_id}.json"

    def _update(
        self, upsert: Iterable[ConversationSummary] = (), remove: Iterable[str] = ()
    ) -> None:
        index = self._idx
        index.update(upsert=upsert, remove=remove)
        if index.take_reset():
            self.refresh()

    def _read(self, conv_id: str) -> tuple[Conversation, int, int]:
        """Read and decode one file; on failure record a problem, drop its index row and raise."""
        path = self._path(conv_id)
        try:
            with path.open("rb") as f:
                st = os.fstat(f.fileno())
                # Read the size it has, not up to the limit: read(n) allocates n bytes up
                # front, which would be 64 MiB for every small file.
                raw = b"" if st.st_size > self._max_size else f.read(st.st_size + 1)
                if len(raw) > st.st_size:  # grew meanwhile (edited in place): read on
                    raw += f.read(self._max_size + 1 - len(raw))
        except FileNotFoundError:
            self._update(remove=[conv_id])
            raise ConversationNotFound("This conversation no longer exists.") from None
        except OSError as exc:
            error = storage_error(exc, f"read {path.name}")
            self.problems.append(StoreProblem(path, error.user_message))
            self._update(remove=[conv_id])
            raise error from exc
        try:
            if st.st_size > self._max_size or len(raw) > self._max_size:
                raise Unreadable(f"it is larger than {self._max_size // 2**20} MiB")
            conv, version = decode(raw, conv_id)
        except MigrationFailed as exc:
            # Left exactly where and as it is: a later version may read it. Reported, not listed.
            self.problems.append(StoreProblem(path, exc.reason))
            self._update(remove=[conv_id])
            raise MigrationFailed(
                f"A conversation file ({path.name}) could not be upgraded to this version of "
                f"Writer Desktop ({exc.reason}); it was left unchanged."
            ) from exc
        except Unreadable as exc:
            listed = self._idx.get(conv_id)
            moved = self._set_aside(path)
            self.problems.append(StoreProblem(path, exc.reason, moved))
            self._update(remove=[conv_id])
            which = f"“{shown_title(listed.title)}” ({path.name})" if listed else path.name
            kept = f"it was kept, unchanged, as {moved.name}" if moved else "it was left as it is"
            raise CorruptConversation(
                f"The conversation {which} could not be read ({exc.reason}); {kept}."
            ) from None
        if version < conv.schema_version:
            self._older[conv_id] = version
        return conv, st.st_size, st.st_mtime_ns

    def _back_up_older(self, conv_id: str, path: Path) -> None:
        """Before the first rewrite of a file read from an older format version, keep a byte
        copy as ``backups/<id>.v<version>-<time>.json`` (never replacing one). Raises
        ``StorageError``, and then the file is not rewritten either."""
        version = self._older.get(conv_id)
        if version is None:
            return
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raw = None  # deleted meanwhile: nothing old to keep
        except OSError as exc:
            raise storage_error(exc, f"keep a copy of {path.name} before upgrading it") from exc
        if raw is not None:
            folder = self.root / BACKUPS
            _make_private_dir(folder)
            base = f"{conv_id}.v{version}-{trash.stamp(self._clock())}"
            target, n = folder / f"{base}.json", 1
            while target.exists():
                target, n = folder / f"{base}-{n}.json", n + 1
            atomic_write(target, raw)
            log.info("kept a copy of %s (format version %d) as %s", path.name, version, target)
        del self._older[conv_id]

    def _journal_path(self, conv_id: str) -> Path:
        return self._path(conv_id).with_suffix(journal.SUFFIX)

    def _apply_journal(self, conv: Conversation) -> builtins.list[str] | None:
        """Put what ``conv``'s journal kept into its streaming messages; return the ids of the
        messages it had text for (None: no usable journal). An unreadable one is set aside."""
        path = self._journal_path(conv.id)
        try:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                raw = b"" if size > self._max_size else f.read(size)
        except FileNotFoundError:
            return None
        except OSError as exc:  # left for the next start
            log.warning("cannot read the journal of %s: %s", conv.id, exc)
            return None
        try:
            if size > self._max_size:
                raise journal.BadJournal(f"it is larger than {self._max_size // 2**20} MiB")
            sections = journal.parse(raw)
        except journal.BadJournal as exc:
            self._set_aside_journal(conv.id, exc.reason)
            return None
        used = journal.apply(conv, sections)
        if used:
            log.info("recovered streamed text of %s from its journal", conv.id)
        return used

    def _remove_journal(self, conv_id: str) -> None:
        writer = self._journals.pop(conv_id, None)
        try:
            if writer is not None:
                writer.remove()
            else:
                remove_file(self._journal_path(conv_id))
        except StorageError as exc:  # it is stale now: the next start deletes it
            log.warning("could not delete the journal of %s: %s", conv_id, exc)

    def _set_aside_journal(self, conv_id: str, reason: str) -> None:
        path = self._journal_path(conv_id)
        writer = self._journals.pop(conv_id, None)
        if writer is not None:
            writer.close()
        moved = self._set_aside(path)
        reason = f"a reply journal could not be used: {reason}"
        self.problems.append(StoreProblem(path, reason, moved))

    def _set_aside(self, path: Path) -> Path | None:
        try:
            target = trash.set_aside(path, self._clock())
        except StorageError as exc:
            log.warning("could not set aside unreadable %s: %s", path.name, exc)
            return None
        log.warning("set aside unreadable file as %s", target.name)
        return target


def _make_private_dir(folder: Path) -> None:
    """Create ``folder`` (and parents) if missing; the folder itself gets mode 0700 on POSIX."""
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, mode=0o700)
        if sys.platform != "win32":
            folder.chmod(0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise storage_error(exc, f"create the folder {folder}") from exc
