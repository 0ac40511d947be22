"""The trash folder: deleted conversations kept for a while, the deletion time in the file name.

A trashed file is the conversation file, unchanged, renamed to
``<id>.deleted-<YYYYMMDDTHHMMSSZ>.json``. Names this module does not recognise are left alone.
A file that cannot be read (a conversation, journal, settings or drafts file) is not trashed but
set aside where it is (:func:`set_aside`).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from writer_desktop.core.atomic import fsync_dir, move_no_replace
from writer_desktop.core.codec import MAX_FILE_SIZE, Unreadable, decode
from writer_desktop.core.migrate import MigrationFailed
from writer_desktop.core.models import SCHEMA_VERSION

log = logging.getLogger(__name__)

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^(?P<id>[0-9a-f-]{36})\.deleted-(?P<stamp>\d{8}T\d{6}Z)(?:-\d+)?\.json$")


def stamp(when: datetime) -> str:
    """``when`` as a compact UTC time for file names, e.g. ``20260712T101530Z``."""
    return when.astimezone(UTC).strftime(STAMP_FORMAT)


def set_aside(path: Path, when: datetime) -> Path:
    """Rename an unreadable ``path``, unchanged, to ``<name>.corrupt-<time>`` beside it (``-1``,
    ``-2``… when taken) and return the new path; raises ``StorageError``."""
    target = free_name(path, "corrupt", when)
    move_no_replace(path, target)
    return target


def free_name(path: Path, kind: str, when: datetime) -> Path:
    """``<name>.<kind>-<time>`` beside ``path``, with ``-1``, ``-2``… when taken."""
    base = f"{path.name}.{kind}-{stamp(when)}"
    target, n = path.with_name(base), 1
    while target.exists():
        target, n = path.with_name(f"{base}-{n}"), n + 1
    return target


@dataclass(frozen=True, slots=True)
class TrashEntry:
    """One conversation in the trash."""

    id: str
    deleted_at: datetime
    path: Path


@dataclass(frozen=True, slots=True)
class Trashed:
    """What the trash shows of one entry: its title and message count, read from the file."""

    entry: TrashEntry
    title: str
    messages: int | None  # None: the file cannot be read (it is still restorable as it is)


def describe(entry: TrashEntry) -> Trashed:
    """Read ``entry``'s title and message count; a file that cannot be read is still listed.

    A file of the current shape is only parsed as JSON (a list shows hundreds, and building
    every message costs ~5× more); any other goes through the full ``codec.decode``.
    """
    try:
        if entry.path.stat().st_size > MAX_FILE_SIZE:
            return Trashed(entry, "", None)
        raw = entry.path.read_bytes()
    except OSError:
        return Trashed(entry, "", None)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None  # the full decode says what it can (a BOM, say) or that it cannot
    if isinstance(data, dict) and data.get("schema_version") == SCHEMA_VERSION:
        title, messages = data.get("title"), data.get("messages")
        if isinstance(title, str) and isinstance(messages, list):
            return Trashed(entry, title, len(messages))
    try:
        conv = decode(raw, entry.id)
    except (Unreadable, MigrationFailed):
        return Trashed(entry, "", None)
    return Trashed(entry, conv.title, len(conv.messages))


def remove(entry: TrashEntry, trash_dir: Path) -> None:
    """Delete ``entry`` for good (it must be in ``trash_dir``); ``OSError`` on failure."""
    if entry.path.parent.resolve() != trash_dir.resolve() or not _NAME.match(entry.path.name):
        raise ValueError(f"{entry.path} is not in the trash")
    entry.path.unlink()
    fsync_dir(trash_dir)


def entries(trash_dir: Path) -> list[TrashEntry]:
    """Everything in the trash, most recently deleted first."""
    found = []
    with os.scandir(trash_dir) as it:
        for entry in it:
            match = _NAME.match(entry.name)
            if match and entry.is_file():
                deleted = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
                found.append(TrashEntry(match["id"], deleted, Path(entry.path)))
    found.sort(key=lambda e: (e.deleted_at, e.path.name), reverse=True)
    return found


def move_to_trash(
    path: Path, conv_id: str, trash_dir: Path, when: datetime, *, sync: bool = True
) -> Path:
    """Move the conversation file ``path`` into the trash, unchanged; return its new path.
    ``sync=False``: the caller syncs both folders after moving many (``move_no_replace``)."""
    base = f"{conv_id}.deleted-{stamp(when)}"
    target = trash_dir / f"{base}.json"
    n = 1
    while target.exists():
        target = trash_dir / f"{base}-{n}.json"
        n += 1
    move_no_replace(path, target, sync=sync)
    return target


def purge(trash_dir: Path, cutoff: datetime) -> int:
    """Delete trashed conversations deleted before ``cutoff``; return how many went."""
    removed = 0
    for entry in entries(trash_dir):
        if entry.deleted_at < cutoff:
            try:
                entry.path.unlink()
            except OSError as exc:
                log.warning("cannot purge %s from the trash: %s", entry.path.name, exc)
            else:
                removed += 1
    if removed:
        fsync_dir(trash_dir)
    return removed
