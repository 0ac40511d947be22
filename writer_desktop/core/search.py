"""Full-text search over every conversation: an SQLite FTS5 index that is only a cache.

One row per conversation (its title, and its system prompt as body) and one per message (its
text). Hits are ranked by bm25, a title match weighing ten times a body match. Snippets mark each
matched term with ``MARK_START``/``MARK_END`` (``\\x02``/``\\x03``, which never occur in indexed
text) and cut text with ``ELLIPSIS``; the UI escapes the snippet, then turns the marks into
highlighting.

Tokens: ``unicode61 remove_diacritics 2`` (case- and accent-insensitive: ``cafe`` finds
``Café``). Scripts written without spaces (Chinese, Japanese, Korean) are indexed one character
per token (a zero-width space is put around each such character), and a query for ``東京都`` is
the phrase of its characters in order: any run of characters is found wherever it occurs, even
a single one. User text is never passed as FTS5 syntax: each word is quoted, so ``"``, ``*``,
``AND``, ``-`` or ``NEAR(`` are searched as text; the last word also matches as a prefix (while
the user types) once it has two characters. The database lives in the cache folder; if it is
missing, damaged or of another version it is started afresh and ``sync`` fills it again.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Protocol

from writer_desktop.core.errors import StorageError
from writer_desktop.core.models import Conversation

__all__ = [
    "ELLIPSIS",
    "MARK_END",
    "MARK_START",
    "SEARCH_NAME",
    "SearchHit",
    "SearchIndex",
    "fts_query",
    "snippet_parts",
    "stamp",
]

log = logging.getLogger(__name__)

SEARCH_NAME = "search.sqlite3"
MARK_START, MARK_END, ELLIPSIS = "\x02", "\x03", "…"
SNIPPET_TOKENS = 24
INDEX_VERSION = 1
_TOKENIZER = "unicode61 remove_diacritics 2"
_SCHEMA = f"""
CREATE TABLE docs (
    doc INTEGER PRIMARY KEY, conv_id TEXT UNIQUE NOT NULL, stamp TEXT NOT NULL, title TEXT NOT NULL
);
CREATE VIRTUAL TABLE fts USING fts5(
    title, body, message_id UNINDEXED, tokenize = '{_TOKENIZER}'
);
PRAGMA user_version = {INDEX_VERSION};
"""
# Rows of conversation number ``doc`` have rowids ``doc << _SHIFT`` (title and system prompt) and
# up: deleting a conversation's rows is one rowid range. 2**20 messages cannot fit in a file.
_SHIFT = 20
_BATCH = 200
# Scripts written without spaces: Hangul Jamo, CJK symbols/kana/ideographs, Hangul syllables,
# compatibility ideographs, half-width forms, and the supplementary ideograph planes.
_CJK = re.compile(
    "([\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff])"
)
_ZWSP = "\u200b"
_CLEAN = re.compile(f"[{MARK_START}{MARK_END}\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One match. ``message_id`` is ``None`` when the title or system prompt matched."""

    conversation_id: str
    message_id: str | None
    title: str
    snippet: str
    rank: float  # bm25: lower is better


class Listed(Protocol):
    """A conversation as listed: ``ConversationSummary`` and ``readonly.FileEntry`` both fit."""

    @property
    def id(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...


class Source(Protocol):
    """Where ``sync`` reads from: a ``ConversationStore`` or a ``ReadOnlyStore``."""

    def list(self) -> Sequence[Listed]: ...
    def load(self, conv_id: str) -> Conversation: ...


def fts_query(text: str) -> str | None:
    """``text`` as a safe FTS5 query (every word quoted), or ``None`` if it has no words."""
    terms = []
    for word in text.split():
        prepared = _prepare(word).strip(_ZWSP)
        if any(c.isalnum() for c in prepared):
            terms.append('"' + prepared.replace('"', '""') + '"')
    if not terms:
        return None
    last = re.findall(r"[^\W_]+", text.split()[-1])
    if not text[-1].isspace() and last and len(last[-1]) >= 2 and not _CJK.search(last[-1]):
        terms[-1] += " *"
    return " ".join(terms)


def highlight_pattern(text: str) -> str | None:
    """A regular expression (PCRE, for ``QRegularExpression``; case-insensitive) that finds in a
    conversation what :func:`fts_query` finds for ``text``: any of its words, accents ignored
    (``brulee`` finds ``brûlée``), the last one also as a prefix; ``None`` if it has no words."""
    words = re.findall(r"[^\W_]+", _CLEAN.sub(" ", text))
    if not words:
        return None
    prefix = not text[-1].isspace() and len(words[-1]) >= 2 and not _CJK.search(words[-1])
    patterns = []
    for n, word in enumerate(words):
        pattern = "".join(_letter(c) for c in word)
        if _CJK.search(word):  # one token a character: found wherever the run occurs
            patterns.append(pattern)
            continue
        # a whole word (a token), or its start for the last one while it is being typed
        end = _WORD + "*" if n == len(words) - 1 and prefix else f"(?!{_WORD})"
        patterns.append(f"(?<!{_WORD}){pattern}{end}")
    # Longest first, so that a word that starts another is not found instead of it.
    return "|".join(sorted(set(patterns), key=len, reverse=True))


_WORD = r"[\p{L}\p{N}\p{Mn}]"


def _letter(char: str) -> str:
    """``char`` and its accented forms (precomposed or followed by combining marks)."""
    variants = _accented().get(char.lower(), "")
    if not variants:
        return re.escape(char) + r"\p{Mn}*"
    return f"[{re.escape(char)}{variants}]" + r"\p{Mn}*"


@cache
def _accented() -> dict[str, str]:
    """Base letter (lower case) → the precomposed Latin letters built on it, both cases."""
    table: dict[str, str] = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0].lower()
        if base != char.lower() and base.isascii() and base.isalpha():
            table[base] = table.get(base, "") + char
    return table


class SearchIndex:
    """The search index at ``path`` (``None``: in memory). Use from one thread; ``close()``."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._resets = 0

    @property
    def resets(self) -> int:
        """How many times the index, found damaged (at open or in use), was started afresh,
        empty."""
        return self._resets

    def open(self) -> SearchIndex:
        """Open the index, starting a fresh one if it is missing, damaged or outdated."""
        if self._conn is None:
            try:
                self._conn = self._connect()
            except (sqlite3.Error, OSError) as exc:
                log.warning("search index unusable (%s); starting a fresh one", exc)
                self._resets += 1
                self._remove_files()
                self._conn = self._connect()
        return self

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> SearchIndex:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    def update(self, conv: Conversation, stamp: str = "") -> None:
        """(Re)index ``conv``. ``sync`` re-reads it once unless ``stamp`` is its current one."""
        with self._guard() as conn, conn:
            self._write(conn, conv, stamp)

    def remove(self, conv_id: str) -> None:
        with self._guard() as conn, conn:
            self._delete(conn, conv_id)

    def sync(self, source: Source) -> int:
        """Index what is new or changed (size or mtime) in ``source``, drop what is gone.

        Returns how many conversations were (re)indexed or dropped. Files that cannot be read
        are left out (the store reports them).
        """
        resets = self._resets
        listed = {entry.id: stamp(entry) for entry in source.list()}
        known: dict[str, str] = {}
        with self._guard() as conn:
            known = dict(conn.execute("SELECT conv_id, stamp FROM docs").fetchall())
        gone = sorted(known.keys() - listed.keys())
        stale = sorted(i for i, s in listed.items() if known.get(i) != s)
        for conv_id in gone:
            self.remove(conv_id)
        for start in range(0, len(stale), _BATCH):
            batch: list[tuple[Conversation | None, str]] = []
            for conv_id in stale[start : start + _BATCH]:
                try:
                    batch.append((source.load(conv_id), listed[conv_id]))
                except StorageError as exc:
                    log.info("search: skipping %s: %s", conv_id, exc)
                    batch.append((None, conv_id))
            with self._guard() as conn, conn:
                for conv, value in batch:
                    if conv is None:
                        self._delete(conn, value)
                    else:
                        self._write(conn, conv, value)
        if self._resets != resets and self._resets < resets + 2:
            return self.sync(source)  # the index was started afresh meanwhile: fill it again
        return len(gone) + len(stale)

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """The best ``limit`` hits for the user's ``query``; never raises on odd query text."""
        match = fts_query(query)
        if match is None or limit <= 0:
            return []
        # bm25() spelled out is faster here than FTS5's configurable "rank" column.
        sql = (
            "SELECT d.conv_id, fts.message_id, snippet(fts, -1, ?, ?, ?, ?), bm25(fts, 10.0, 1.0),"
            f" d.title FROM fts JOIN docs AS d ON d.doc = fts.rowid >> {_SHIFT}"
            " WHERE fts MATCH ? ORDER BY bm25(fts, 10.0, 1.0) LIMIT ?"
        )
        args = (MARK_START, MARK_END, ELLIPSIS, SNIPPET_TOKENS, match, limit)
        with self._guard() as conn:
            rows = conn.execute(sql, args).fetchall()
            return [
                SearchHit(cid, mid, title, snip.replace(_ZWSP, ""), rank)
                for cid, mid, snip, rank, title in rows
            ]
        return []

    # -- internals ---------------------------------------------------------------------------

    def _write(self, conn: sqlite3.Connection, conv: Conversation, stamp: str) -> None:
        doc = self._delete(conn, conv.id)
        title = _CLEAN.sub(" ", conv.title)
        row = conn.execute(
            "INSERT INTO docs (doc, conv_id, stamp, title) VALUES (?, ?, ?, ?) RETURNING doc",
            (doc, conv.id, stamp, title),
        ).fetchone()
        first = row[0] << _SHIFT
        rows: list[tuple[int, str | None, str, str | None]] = [
            (first, _prepare(conv.title), _prepare(conv.system_prompt), None)
        ]
        rows += [
            (first + n, None, _prepare(m.content), m.id)
            for n, m in enumerate(conv.messages[: (1 << _SHIFT) - 1], start=1)
            if m.content
        ]
        conn.executemany(
            "INSERT INTO fts (rowid, title, body, message_id) VALUES (?, ?, ?, ?)", rows
        )

    @staticmethod
    def _delete(conn: sqlite3.Connection, conv_id: str) -> int | None:
        """Drop the rows of ``conv_id``; return its ``doc`` number to reuse, if it had one."""
        row = conn.execute("SELECT doc FROM docs WHERE conv_id = ?", (conv_id,)).fetchone()
        if row is None:
            return None
        first = row[0] << _SHIFT
        conn.execute(
            "DELETE FROM fts WHERE rowid BETWEEN ? AND ?", (first, first + (1 << _SHIFT) - 1)
        )
        conn.execute("DELETE FROM docs WHERE doc = ?", (row[0],))
        return int(row[0])

    @contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        """The connection; a damaged database is replaced by an empty one (``sync`` refills)."""
        conn = self.open()._conn
        assert conn is not None
        try:
            yield conn
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise StorageError("The search index is busy; try again in a moment.") from exc
            if self._healthy(conn):  # this statement failed, not the database: keep it
                log.warning("search index statement failed: %s", exc)
            else:
                self._reset(exc)
        except sqlite3.DatabaseError as exc:
            self._reset(exc)

    def _healthy(self, conn: sqlite3.Connection) -> bool:
        try:
            self._check(conn)
        except sqlite3.Error:
            return False
        return True

    def _reset(self, exc: sqlite3.Error) -> None:
        log.warning("search index failed (%s); starting a fresh one", exc)
        self._resets += 1
        self.close()
        self._remove_files()
        self.open()

    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        conn = sqlite3.connect(target, timeout=2.0)
        try:
            if self.path is not None:
                with suppress(OSError):
                    self.path.chmod(0o600)
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
                conn.execute("PRAGMA synchronous=NORMAL")
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version == INDEX_VERSION:
                self._check(conn)
            else:
                with conn:
                    conn.execute("DROP TABLE IF EXISTS docs")
                    conn.execute("DROP TABLE IF EXISTS fts")
                conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _check(conn: sqlite3.Connection) -> None:
        """Raise ``sqlite3.Error`` unless both tables are there and readable."""
        conn.execute("SELECT doc, conv_id, stamp, title FROM docs LIMIT 1").fetchall()
        conn.execute("SELECT rowid FROM fts WHERE fts MATCH 'x' LIMIT 1").fetchall()

    def _remove_files(self) -> None:
        if self.path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                try:
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                except OSError as exc:
                    log.warning("cannot remove search index file: %s", exc)


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """``snippet`` as ``(text, highlighted)`` pieces, markers removed: ready to escape and style."""
    parts, highlighted = [], False
    for piece in re.split(f"([{MARK_START}{MARK_END}])", snippet):
        if piece in (MARK_START, MARK_END):
            highlighted = piece == MARK_START
        elif piece:
            parts.append((piece, highlighted))
    return parts


def stamp(entry: Listed) -> str:
    """What ``sync`` compares to tell that a conversation changed: its file's size and mtime,
    and its reply journal's while a reply streams (``readonly.FileEntry.journal``): the text
    of a streaming reply goes there, not to the file."""
    journal = getattr(entry, "journal", None)
    if journal is None:
        return f"{entry.size}:{entry.mtime_ns}"
    return f"{entry.size}:{entry.mtime_ns}+{journal[0]}:{journal[1]}"


def _prepare(text: str) -> str:
    """Text as indexed: marks and lone surrogates blanked, CJK characters one token each."""
    return _CJK.sub(rf"{_ZWSP}\1{_ZWSP}", _CLEAN.sub(" ", text))
