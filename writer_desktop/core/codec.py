"""Bytes ↔ ``Conversation`` for the files of the store: pure functions, no I/O.

Files are UTF-8 JSON, indented by 2, keys in ``Conversation.to_dict`` order, ending in a newline.
A leading UTF-8 BOM is accepted. Text that UTF-8 cannot hold (lone surrogates, which can only come
from a ``\\udXXX`` escape in a hand-written file) is written back as the same JSON escape, so it
round-trips exactly. ``NaN``/``Infinity`` are not JSON and are refused.
"""

from __future__ import annotations

import codecs
import json
import math
from datetime import datetime
from typing import Any

from writer_desktop.core import migrate, models
from writer_desktop.core.errors import StorageError
from writer_desktop.core.models import Conversation, Message

MAX_FILE_SIZE = 64 * 2**20
_EPOCH = "1970-01-01T00:00:00.000Z"


class Unreadable(Exception):
    """The bytes are not a conversation we can use; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)


def _finish(text: str) -> bytes:
    # Lone surrogates only occur inside JSON strings; "\udXXX" there is the same character again.
    return (text + "\n").encode("utf-8", "backslashreplace")


def _unwritable(conv: Conversation) -> StorageError:
    return StorageError(
        f"Could not save “{conv.title or conv.id}”: it holds data that cannot be written."
    )


def encode(conv: Conversation) -> bytes:
    """The file contents for ``conv``; ``StorageError`` if it holds something JSON cannot."""
    try:
        return _finish(_dumps(conv.to_dict()))
    except (ValueError, TypeError, RecursionError):
        raise _unwritable(conv) from None


# Where the messages go in the file: the top-level key (two spaces in), written empty first. No
# string can hold it (a quote or newline in one is escaped), and nested objects are deeper in.
_MESSAGES_SLOT = '\n  "messages": []'


class Encoder:
    """:func:`encode`, the same bytes, faster for a long conversation saved again and again.

    Python's JSON encoder is pure Python when it indents: ~15 µs a message, so a 2,000-message
    conversation took ~30 ms to save (at a send and at each reply's end, on the GUI thread) and
    10,000 messages ~150 ms. For the last conversation encoded with at least ``CACHE_FROM``
    messages, each message's text is kept with the ``to_dict()`` it came from, and only messages
    whose ``to_dict()`` changed are encoded again; the file is put together from the pieces.
    (``to_dict()`` builds fresh containers of strings, numbers and None, so a kept one cannot
    change under the cache, and the model's typed fields never swap ``1`` for ``True``.)
    """

    CACHE_FROM = 100

    def __init__(self) -> None:
        self._conv_id = ""
        self._pieces: dict[str, tuple[dict[str, Any], str]] = {}  # message id → (dict, text)

    def encode(self, conv: Conversation) -> bytes:
        if len(conv.messages) < self.CACHE_FROM:
            return encode(conv)
        if conv.id != self._conv_id:
            self._conv_id, self._pieces = conv.id, {}
        try:
            return _finish(self._text(conv))
        except (ValueError, TypeError, RecursionError):
            self._conv_id, self._pieces = "", {}
            raise _unwritable(conv) from None

    def _text(self, conv: Conversation) -> str:
        data = conv.to_dict()
        old, new = self._pieces, {}
        pieces = []
        for message in data["messages"]:
            key = str(message.get("id"))
            kept = old.get(key)
            if kept is None or kept[0] != message:
                # one level deeper in the file: every line break is the layout's (a string's
                # are escaped), so indenting after each places it exactly as a whole dump would
                kept = (message, _dumps(message).replace("\n", "\n    "))
            new[key] = kept
            pieces.append(kept[1])
        self._pieces = new
        data["messages"] = []
        head = _dumps(data)
        at = head.index(_MESSAGES_SLOT) + len(_MESSAGES_SLOT) - 2
        return head[:at] + "[\n    " + ",\n    ".join(pieces) + "\n  ]" + head[at + 2 :]


def decode(raw: bytes, conv_id: str) -> Conversation:
    """Parse a file named ``<conv_id>.json``; raise ``Unreadable`` if it must be set aside.

    A file whose ``schema_version`` is newer than ours is never unreadable: if it does not parse
    as the current shape, what can be read (title, times, messages we understand) comes back.
    An older one is upgraded in memory (``migrate``); ``MigrationFailed`` if that fails.
    """
    return decode_versioned(raw, conv_id)[0]


def decode_versioned(raw: bytes, conv_id: str) -> tuple[Conversation, int]:
    """As :func:`decode`, also returning the ``schema_version`` the file itself has.

    A file older than ``SCHEMA_VERSION`` comes back upgraded (``migrate.upgrade``) with the
    current version; the second value tells the store to keep a copy before rewriting it.
    Raises ``Unreadable`` or ``migrate.MigrationFailed`` (the file must then be left alone).
    """
    as_read = raw
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if not raw or raw.isspace():
        raise Unreadable("the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("it is not UTF-8 text") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise Unreadable("it is nested too deeply") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"  # json's msg ends "starting at", etc.
        raise Unreadable(f"it is not valid JSON ({exc.msg}: {where})") from None
    except ValueError as exc:
        raise Unreadable(f"it is not valid JSON ({exc})") from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    newer = version if type(version) is int and version > models.SCHEMA_VERSION else None
    older = type(version) is int and 1 <= version < models.SCHEMA_VERSION
    if older:
        data = migrate.upgrade(data)  # in memory only; MigrationFailed leaves the file alone
    try:
        conv = Conversation.from_dict(data)
    # Whatever from_dict trips over in a hand-edited file must not stop the other files loading.
    except Exception as exc:
        if older:  # perhaps the step's fault: leave the file for a version that reads it
            raise migrate.MigrationFailed(
                f"after upgrading it from format version {version} it is not a valid "
                f"conversation: {exc}"
            ) from None
        if newer is None:
            raise Unreadable(f"it is not a valid conversation: {exc}") from None
        salvaged = _salvage(data, conv_id, newer)
        salvaged.original = as_read
        return salvaged, newer
    if conv.id != conv_id:
        if newer is None:
            raise Unreadable("its id does not match the file name")
        conv.id = conv_id
    if newer is not None:
        conv.original = as_read  # a JSON export of it is the file itself, not what we understood
    return conv, version if type(version) is int else conv.schema_version


def _salvage(data: dict[str, Any], conv_id: str, version: int) -> Conversation:
    """What can be read of a newer-version file, read-only (``schema_version`` stays newer)."""

    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    def time(key: str) -> str:
        value = data.get(key)
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return _EPOCH
        return str(value)

    messages = []
    raw_messages = data.get("messages")
    for item in raw_messages if isinstance(raw_messages, list) else []:
        try:
            messages.append(Message.from_dict(item))
        except Exception:
            continue  # a message shape we do not know: leave it out
    return Conversation(
        id=conv_id,
        title=text("title"),
        created_at=time("created_at"),
        updated_at=time("updated_at"),
        model=text("model"),
        system_prompt=text("system_prompt"),
        pinned=data.get("pinned") is True,
        messages=messages,
        schema_version=version,
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value
