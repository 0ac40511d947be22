"""Read conversations without opening the store: for export and search while the app runs.

``ConversationStore.open()`` takes the data folder's exclusive lock, creates folders, cleans
temporary files, marks orphaned replies ``interrupted`` and sets unreadable files aside: all
writes, and all refused while Writer Desktop runs. ``ReadOnlyStore`` does none of that. It lists
``conversations/<id>.json`` and decodes each file with ``codec.decode``; it never takes the lock,
never writes, renames or quarantines, and reports an unreadable file as ``CorruptConversation``
(left where it is). This is safe next to a running app because the app replaces files atomically
(``atomic.atomic_write``): a reader sees the old file or the new one, never a mix. A file that
vanishes between listing and reading (deleted meanwhile) is ``ConversationNotFound``.

A reply that is streaming right now has its newest text in the journal beside the file
(``core.journal``), not in the file: ``load`` adds what the journal holds to it (it stays
``streaming``). A journal that cannot be read is ignored here; the store deals with it.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from writer_desktop.core import journal
from writer_desktop.core.atomic import storage_error
from writer_desktop.core.codec import MAX_FILE_SIZE, Unreadable, decode
from writer_desktop.core.models import Conversation, Status, walk_messages
from writer_desktop.core.store import ConversationNotFound, CorruptConversation

__all__ = ["ConversationNotFound", "CorruptConversation", "FileEntry", "ReadOnlyStore"]

_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # fullmatch


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One conversation file as listed: enough to tell whether it changed (``search.sync``)."""

    id: str
    size: int
    mtime_ns: int
    journal: tuple[int, int] | None = None
    """The size and mtime of a streaming reply's journal beside the file, if there is one."""


class ReadOnlyStore:
    """The conversations under ``conversations_dir`` (``AppPaths.conversations``), read-only."""

    def __init__(self, conversations_dir: Path, *, max_file_size: int = MAX_FILE_SIZE) -> None:
        self.conversations_dir = conversations_dir
        self._max_size = max_file_size

    def list(self) -> list[FileEntry]:
        """Every ``<id>.json`` file, sorted by id; an absent folder is an empty list."""
        found = []
        journals: dict[str, tuple[int, int]] = {}
        try:
            with os.scandir(self.conversations_dir) as it:
                for entry in it:
                    name = entry.name
                    if name.endswith(".json") and _ID.fullmatch(name[:-5]) and entry.is_file():
                        st = entry.stat()
                        found.append(FileEntry(name[:-5], st.st_size, st.st_mtime_ns))
                    elif name.endswith(journal.SUFFIX):
                        conv_id = name[: -len(journal.SUFFIX)]
                        if _ID.fullmatch(conv_id):
                            with contextlib.suppress(OSError):  # ended meanwhile
                                st = entry.stat()
                                journals[conv_id] = (st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise storage_error(exc, "list the conversations") from exc
        if journals:
            found = [replace(e, journal=journals.get(e.id)) for e in found]
        return sorted(found, key=lambda e: e.id)

    def entry(self, conv_id: str) -> FileEntry:
        """One conversation file as :meth:`list` lists it; ``OSError`` if it is not there."""
        st = os.stat(self.conversations_dir / f"{conv_id}.json")
        try:
            js = os.stat(self.conversations_dir / f"{conv_id}{journal.SUFFIX}")
        except OSError:
            return FileEntry(conv_id, st.st_size, st.st_mtime_ns)
        return FileEntry(conv_id, st.st_size, st.st_mtime_ns, (js.st_size, js.st_mtime_ns))

    def ids(self) -> builtins.list[str]:
        return [entry.id for entry in self.list()]

    def resolve(self, prefix: str) -> str:
        """The one id starting with ``prefix`` (like git); ``ConversationNotFound`` otherwise."""
        wanted = prefix.strip().lower()
        matches = [i for i in self.ids() if i.startswith(wanted)] if wanted else []
        if len(matches) == 1:
            return matches[0]
        shown = prefix[:40]
        if not matches:
            raise ConversationNotFound(f"No conversation has an id starting with “{shown}”.")
        raise ConversationNotFound(
            f"“{shown}” is ambiguous: {len(matches)} conversations have ids starting with it "
            f"({', '.join(m[:13] for m in matches[:5])}{', …' if len(matches) > 5 else ''}). "
            "Type more of the id."
        )

    def load(self, conv_id: str) -> Conversation:
        """Decode one file as it is on disk, with the text its journal holds for a reply that
        is streaming (which stays ``streaming``)."""
        if not _ID.fullmatch(conv_id):
            raise ValueError(f"not a conversation id: {conv_id[:40]!r}")
        path = self.conversations_dir / f"{conv_id}.json"
        try:
            with path.open("rb") as f:
                # f.read(n) reserves n bytes up front: read the file's size, not the limit.
                size = os.fstat(f.fileno()).st_size
                raw = b"" if size > self._max_size else f.read(size + 1)
                if len(raw) > size:  # grew meanwhile (edited in place): read on
                    raw += f.read(self._max_size + 1 - len(raw))
        except FileNotFoundError:
            raise ConversationNotFound("This conversation no longer exists.") from None
        except OSError as exc:
            raise storage_error(exc, f"read {path.name}") from exc
        try:
            if size > self._max_size or len(raw) > self._max_size:
                raise Unreadable(f"it is larger than {self._max_size // 2**20} MiB")
            conv = decode(raw, conv_id)
        except Unreadable as exc:
            raise CorruptConversation(f"{path.name} could not be read ({exc.reason}).") from None
        if not conv.read_only and any(
            m.status is Status.STREAMING for m in walk_messages(conv.messages)
        ):
            self._add_journal(conv, path.with_suffix(journal.SUFFIX))
        return conv

    def _add_journal(self, conv: Conversation, path: Path) -> None:
        try:
            with path.open("rb") as f:
                if os.fstat(f.fileno()).st_size > self._max_size:
                    return
                raw = f.read()
            journal.apply(conv, journal.parse(raw))
        except (OSError, journal.BadJournal):
            return  # gone (the reply ended meanwhile) or unreadable: the file as it stands
