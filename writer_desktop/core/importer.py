"""Import conversations exported as JSON (the stored form) into an open ``ConversationStore``.

Nothing already in the store is ever overwritten:

- same id as a conversation in the store with the same content → ``skipped`` (already there);
- the same content under another id (imported before, when its id clashed) → ``skipped`` too;
- same id but different content → imported under a new id (``renamed``);
- otherwise → ``imported`` with its own id.

``read_file`` validates with ``Conversation.from_dict`` and refuses a newer ``schema_version``.
A ``streaming`` reply in an imported file cannot still be arriving: it is imported as
``interrupted``. Writing goes through the store, which holds the data folder's lock; the command
line reports ``AlreadyLocked`` as "Writer Desktop is running…", the app calls ``import_files``
with its own open store.
"""

from __future__ import annotations

import json
import math
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from writer_desktop.core.atomic import storage_error
from writer_desktop.core.codec import MAX_FILE_SIZE
from writer_desktop.core.errors import StorageError, WriterError
from writer_desktop.core.models import SCHEMA_VERSION, Conversation, Status, new_id, walk_messages
from writer_desktop.core.store import ConversationNotFound, ConversationStore

__all__ = [
    "ImportRefused",
    "ImportReport",
    "ImportResult",
    "Known",
    "Outcome",
    "import_conversation",
    "import_files",
    "import_steps",
    "read_file",
]


class ImportRefused(WriterError):
    """The file cannot be imported; the message says why, for the user."""


class Outcome(StrEnum):
    IMPORTED = "imported"
    RENAMED = "renamed"  # its id was taken by a different conversation: a new id was given
    SKIPPED = "skipped"  # an identical conversation is already there


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What became of one file: ``conversation_id`` is the id it has in the store now."""

    path: Path
    outcome: Outcome
    conversation_id: str
    title: str


@dataclass(slots=True)
class ImportReport:
    done: list[ImportResult] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (file, reason for the user)


def read_file(path: Path, *, max_size: int = MAX_FILE_SIZE) -> Conversation:
    """Parse and validate one exported conversation; ``ImportRefused`` or ``StorageError``."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would wait for a writer for good
            raise ImportRefused(f"{path.name} is not a file (a folder, a pipe or a device).")
        with path.open("rb") as f:
            raw = f.read(max_size + 1)
    except OSError as exc:
        raise storage_error(exc, f"read {path.name}") from exc
    if len(raw) > max_size:
        raise ImportRefused(f"{path.name} is larger than {max_size // 2**20} MiB.")
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse, parse_float=_finite)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ImportRefused(f"{path.name} is not a JSON file.") from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if type(version) is int and version > SCHEMA_VERSION:
        raise ImportRefused(
            f"{path.name} was exported by a newer version of Writer Desktop (format {version}; "
            f"this one reads up to {SCHEMA_VERSION}). Update Writer Desktop to import it."
        )
    try:
        conv = Conversation.from_dict(data)
    except Exception as exc:  # from_dict raises ValueError; anything odd counts the same
        raise ImportRefused(f"{path.name} is not a Writer Desktop conversation: {exc}") from None
    for message in walk_messages(conv.messages):
        if message.status is Status.STREAMING:
            message.status = Status.INTERRUPTED
    return conv


class Known:
    """The stored conversations an import compares with, by id and by (title, created_at):
    listed once, and kept up to date as files come in (listing the store for every file made
    an import of 3,000 files take 20 s, 15 of them listing)."""

    def __init__(self, store: ConversationStore) -> None:
        self.ids: set[str] = set()
        self._by_key: dict[tuple[str, str], list[str]] = {}
        for summary in store.list():
            self.add(summary.id, summary.title, summary.created_at)

    def add(self, conv_id: str, title: str, created_at: str) -> None:
        self.ids.add(conv_id)
        self._by_key.setdefault((title, created_at), []).append(conv_id)

    def candidates(self, conv: Conversation) -> list[str]:
        """Stored conversations that could hold ``conv``'s content: its id, its title and time."""
        same = self._by_key.get((conv.title, conv.created_at), [])
        return list(dict.fromkeys([conv.id, *same] if conv.id in self.ids else same))


def import_conversation(
    store: ConversationStore, conv: Conversation, known: Known | None = None
) -> tuple[Outcome, str]:
    """Save ``conv`` into ``store`` without overwriting anything; return (outcome, id used).
    ``known`` (the store's conversations) saves listing the store again for each file."""
    known = known or Known(store)
    twin = _same_content(store, conv, known)
    if twin is not None:
        return Outcome.SKIPPED, twin
    outcome = Outcome.IMPORTED
    try:
        store.load(conv.id)
    except ConversationNotFound:
        pass
    except StorageError:
        outcome = Outcome.RENAMED  # unreadable (now set aside): keep well clear of it
    else:
        outcome = Outcome.RENAMED
    if outcome is Outcome.RENAMED:
        conv.id = new_id()
    store.save(conv)
    known.add(conv.id, conv.title, conv.created_at)
    return outcome, conv.id


def import_files(store: ConversationStore, paths: Iterable[Path]) -> ImportReport:
    """Import each file in turn; a file that fails is reported and the others go on."""
    report = ImportReport()
    for _ in import_steps(store, paths, report):
        pass
    return report


def import_steps(
    store: ConversationStore, paths: Iterable[Path], report: ImportReport
) -> Iterator[Path]:
    """:func:`import_files` one file at a time, into ``report``: yields each file once done
    (the app lets its window draw between them)."""
    known = Known(store)
    for path in paths:
        try:
            conv = read_file(path)
            title = conv.title
            outcome, conv_id = import_conversation(store, conv, known)
        except WriterError as exc:
            report.failed.append((path, exc.user_message))
        except ValueError as exc:  # a check deeper down refused it: this file fails, not all
            report.failed.append((path, f"{path.name} could not be imported: {exc}"))
        else:
            report.done.append(ImportResult(path, outcome, conv_id, title))
        yield path


def _same_content(store: ConversationStore, conv: Conversation, known: Known) -> str | None:
    """The id of a stored conversation equal to ``conv`` apart from its id, if any."""
    wanted = _comparable(conv)
    for conv_id in known.candidates(conv):
        try:
            stored = store.load(conv_id)
        except StorageError:
            continue
        if _comparable(stored) == wanted:
            return conv_id
    return None


def _comparable(conv: Conversation) -> dict[str, Any]:
    data = conv.to_dict()
    del data["id"]
    return data


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value
