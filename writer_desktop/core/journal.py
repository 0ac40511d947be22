"""A streaming reply's journal: new text appended beside the conversation file, not rewriting it.

While a reply streams, the conversation file is saved when the reply starts and when it ends;
in between, the text received since the last append goes, at most once a second, to
``conversations/<id>.journal`` as one line of JSON (UTF-8, one object per line)::

    {"v": 1, "message": "<reply id>", "base": 0}      a section: text for this message follows
    {"at": 0, "t": "Once upon"}                        its content from offset ``at`` is ``t``
    {"at": 9, "t": " a time"}

Offsets count characters (code points). Every landed save of the conversation makes the journal
redundant, so the store deletes it then; a journal found at start-up holds text that a crash kept
out of the file. :func:`apply` puts it back into the messages still ``streaming`` there.

Reading is forgiving, because a crash can cut the last line short: a line without its newline, or
one that does not parse (what a failed append left), is skipped, and a piece whose ``at`` lies past
the text recovered so far (a piece lost before it) ends its section, so what comes back is always a
prefix of what was streamed. A section for a message that is no longer ``streaming`` is stale and
ignored. A file in which nothing parses, or whose first record is not a header of this version, is
:class:`BadJournal` (the store sets it aside). No I/O here except in :class:`JournalWriter`, a thin
shell over ``atomic.AppendFile``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writer_desktop.core.atomic import AppendFile, remove_file
from writer_desktop.core.models import Conversation, Status, walk_messages

VERSION = 1
SUFFIX = ".journal"


class BadJournal(Exception):
    """The bytes are not a journal we can read; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Section:
    """The text journaled for one message: ``pieces`` of ``(at, text)`` in order."""

    message: str
    base: int
    pieces: list[tuple[int, str]] = field(default_factory=list)


def _line(obj: dict[str, Any]) -> bytes:
    # Lone surrogates (possible in a str, not in UTF-8) become the same "\\udXXX" JSON escape.
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")


def header(message_id: str, base: int) -> bytes:
    """The line that starts a section for ``message_id``, whose saved text is ``base`` long."""
    return _line({"v": VERSION, "message": message_id, "base": base})


def piece(at: int, text: str) -> bytes:
    """The line saying the message's text from offset ``at`` is ``text``."""
    return _line({"at": at, "t": text})


def parse(raw: bytes) -> list[Section]:
    """The sections in ``raw``; ``BadJournal`` if no whole line parses, or the first that does
    is not a section header of this version, or a later header is of another version."""
    lines = raw.split(b"\n")[:-1]  # the last one has no newline: torn by a crash, or empty
    sections: list[Section] = []
    seen = False  # a whole line that is not blank
    for line in lines:
        if not line.strip():
            continue
        seen = True
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            continue  # part of a record whose append failed
        if _is_header(obj):
            sections.append(Section(obj["message"], obj["base"]))
        elif not sections or (isinstance(obj, dict) and "v" in obj):
            raise BadJournal("it is not a reply journal of this version")
        elif _is_piece(obj):
            sections[-1].pieces.append((obj["at"], obj["t"]))
    if seen and not sections:
        raise BadJournal("it is not a reply journal")
    return sections


def _is_header(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and obj.get("v") == VERSION
        and isinstance(obj.get("message"), str)
        and _is_offset(obj.get("base"))
    )


def _is_piece(obj: Any) -> bool:
    return isinstance(obj, dict) and _is_offset(obj.get("at")) and isinstance(obj.get("t"), str)


def _is_offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def extend(content: str, pieces: list[tuple[int, str]]) -> str:
    """``content`` with ``pieces`` laid over it, stopping at the first gap."""
    for at, text in pieces:
        if at > len(content):
            break  # a piece before this one is missing
        if at + len(text) > len(content):
            content = content[:at] + text
    return content


def apply(conv: Conversation, sections: list[Section]) -> list[str]:
    """Put journaled text into ``conv``'s ``streaming`` messages (statuses are left alone);
    return the ids of the messages a section was for. The last section for a message wins: an
    earlier one belongs to an earlier stream of it. Empty: the journal is stale."""
    last = {section.message: section for section in sections}
    used = []
    for message in walk_messages(conv.messages):
        section = last.get(message.id)
        if section is None or message.status is not Status.STREAMING:
            continue
        message.content = extend(message.content, section.pieces)
        used.append(message.id)
    return used


class JournalWriter:
    """Appends one conversation's streamed text to its journal file (``DiskFull`` or
    ``StorageError`` on failure; nothing half-written is kept)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = AppendFile(path)
        self._message: str | None = None  # whose section header is on disk

    def append(self, message_id: str, at: int, text: str) -> None:
        data = piece(at, text)
        if message_id != self._message:
            data = header(message_id, at) + data
        self._file.append(data)
        self._message = message_id

    def close(self) -> None:
        self._file.close()

    def remove(self) -> None:
        """Close and delete the file; ``StorageError`` if it cannot be deleted."""
        self._file.close()
        remove_file(self.path)
