"""The listing index: a rebuildable SQLite cache of conversation summaries.

The JSON files are the truth; this cache only spares parsing every file to draw the sidebar. Any
trouble with it (not a database, another version, another data folder, locked, malformed) is
answered by starting a fresh one: on disk if possible, in memory otherwise. ``take_reset()`` tells
the store that the rows are gone and must be rebuilt from the files.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from writer_desktop.core.listing import Listing
from writer_desktop.core.models import Conversation, Status, walk_messages

log = logging.getLogger(__name__)

INDEX_VERSION = 1
_ORDER = "ORDER BY pinned DESC, updated_ts DESC, id"  # pinned first, then the most recent
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    pinned INTEGER NOT NULL, model TEXT NOT NULL, message_count INTEGER NOT NULL,
    has_streaming INTEGER NOT NULL, read_only INTEGER NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, updated_ts REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """What the sidebar needs about one conversation, without its messages."""

    id: str
    title: str
    created_at: str
    updated_at: str
    pinned: bool
    model: str
    message_count: int
    has_streaming: bool
    read_only: bool
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, conv: Conversation, size: int, mtime_ns: int) -> ConversationSummary:
        """The summary of ``conv``; lone surrogates (SQLite cannot hold them) become U+FFFD."""
        return cls(
            id=conv.id,
            title=_text(conv.title),
            created_at=_text(conv.created_at),
            updated_at=_text(conv.updated_at),
            pinned=conv.pinned,
            model=_text(conv.model),
            message_count=len(conv.messages),
            has_streaming=not conv.read_only
            and any(m.status is Status.STREAMING for m in walk_messages(conv.messages)),
            read_only=conv.read_only,
            size=size,
            mtime_ns=mtime_ns,
        )


_NAMES = ", ".join(f.name for f in fields(ConversationSummary))
_MARKS = ", ".join("?" for _ in fields(ConversationSummary))
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    return _SURROGATE.sub("\ufffd", value)


def _timestamp(value: str) -> float:
    """Seconds since the epoch for sorting; times without a zone count as UTC, bad ones as 0."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class Index:
    """Summaries keyed by conversation id. Not thread-safe; ``close()`` when done."""

    def __init__(self, path: Path | None, owner: str) -> None:
        """Open ``path`` (``None``: in memory) for the data folder ``owner``; replace a bad one."""
        self._path = path
        self._owner = owner
        self._reset = False
        self._failures = 0
        self._conn = self._connect_or_fallback()

    def close(self) -> None:
        self._conn.close()

    def take_reset(self) -> bool:
        """True once after the index was replaced by an empty one (rebuild it from the files)."""
        was_reset, self._reset = self._reset, False
        return was_reset

    def stats(self) -> dict[str, tuple[int, int]]:
        """``{id: (size, mtime_ns)}`` of every row, to compare with the folder."""
        with self._guard():
            rows = self._conn.execute("SELECT id, size, mtime_ns FROM conversations")
            return {row[0]: (row[1], row[2]) for row in rows}
        return {}

    def get(self, conv_id: str) -> ConversationSummary | None:
        with self._guard():
            row = self._conn.execute(
                f"SELECT {_NAMES} FROM conversations WHERE id = ?", (conv_id,)
            ).fetchone()
            return _summary(row) if row else None
        return None

    def summaries(self, limit: int | None = None) -> list[ConversationSummary]:
        """All rows (or the first ``limit``): pinned first, then the most recently updated."""
        with self._guard():
            rows = self._conn.execute(
                f"SELECT {_NAMES} FROM conversations {_ORDER} LIMIT ?",
                (-1 if limit is None else limit,),
            )
            return [_summary(row) for row in rows]
        return []

    def listing(self, limit: int | None = None) -> Listing:
        """What the sidebar shows of :meth:`summaries`, in its order, packed as it is read."""
        with self._guard():
            return Listing(
                self._conn.execute(
                    "SELECT id, title, pinned, message_count, model FROM conversations "
                    f"{_ORDER} LIMIT ?",
                    (-1 if limit is None else limit,),
                )
            )
        return Listing()

    def streaming_ids(self) -> list[str]:
        with self._guard():
            rows = self._conn.execute("SELECT id FROM conversations WHERE has_streaming")
            return [row[0] for row in rows]
        return []

    def update(
        self, upsert: Iterable[ConversationSummary] = (), remove: Iterable[str] = ()
    ) -> None:
        """Insert or replace ``upsert`` rows and drop ``remove`` ids in one transaction."""
        with self._guard(), self._conn:
            self._conn.executemany(
                f"INSERT OR REPLACE INTO conversations ({_NAMES}, updated_ts) VALUES ({_MARKS}, ?)",
                ((*astuple(s), _timestamp(s.updated_at)) for s in upsert),
            )
            self._conn.executemany("DELETE FROM conversations WHERE id = ?", ((i,) for i in remove))

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            log.warning("conversation index failed (%s); starting a fresh one", exc)
            self._conn.close()
            self._remove_files()
            self._failures += 1
            if self._failures > 1:
                self._path = None  # failing again and again: keep it in memory from now on
            self._conn = self._connect_or_fallback()
            self._reset = True

    def _connect_or_fallback(self) -> sqlite3.Connection:
        if self._path is not None:
            for attempt in range(2):
                try:
                    return self._connect(self._path)
                except (sqlite3.Error, OSError) as exc:
                    log.warning("conversation index %s unusable (%s)", self._path, exc)
                    if attempt == 0:
                        self._remove_files()
            self._path = None  # the cache folder is unusable: keep the index in memory
        return self._connect(None)

    def _connect(self, path: Path | None) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:" if path is None else path, timeout=0.5)
        try:
            if path is not None:
                with suppress(OSError):
                    path.chmod(0o600)
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
                conn.execute("PRAGMA synchronous=NORMAL")
            if not self._is_current(conn):
                with conn:
                    conn.execute("DROP TABLE IF EXISTS conversations")
                    conn.execute("DROP TABLE IF EXISTS meta")
                conn.executescript(_SCHEMA)
                with conn:
                    conn.execute("INSERT INTO meta VALUES ('owner', ?)", (self._owner,))
                    conn.execute(f"PRAGMA user_version = {INDEX_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _is_current(self, conn: sqlite3.Connection) -> bool:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version != INDEX_VERSION:
            return False
        conn.execute(f"SELECT {_NAMES}, updated_ts FROM conversations LIMIT 1").fetchall()
        row = conn.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
        return row is not None and row[0] == self._owner

    def _remove_files(self) -> None:
        if self._path is None:
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                Path(f"{self._path}{suffix}").unlink(missing_ok=True)
            except OSError as exc:
                log.warning("cannot remove conversation index file: %s", exc)


def _summary(row: Any) -> ConversationSummary:
    conv_id, title, created, updated, pinned, model, count, streaming, read_only, size, mtime = row
    return ConversationSummary(
        conv_id, title, created, updated, bool(pinned), model, count, bool(streaming),
        bool(read_only), size, mtime,
    )  # fmt: skip
