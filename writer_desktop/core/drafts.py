"""Unsent text, one draft per conversation, kept across switches, quits and crashes.

::

    <root>/drafts.json   {"version": 1, "drafts": {"<conversation id>": "text", "new": "text"}}

A conversation with no messages yet has no file; its draft is kept under ``NEW`` and comes back
with the next new conversation. The UI records each change in memory and saves at most once a
second (:meth:`Drafts.save` only writes when something changed), so a crash loses at most the
last second of typing. A file that cannot be read is set aside unchanged (``drafts.json.corrupt-
<time>``) and reported; a failed save keeps the drafts in memory and raises ``StorageError``.
What is written goes through ``scrub`` (the log redactor's): an API key pasted into the message
box stays on screen but never reaches the file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .atomic import atomic_write, storage_error
from .errors import StorageError
from .trash import set_aside

log = logging.getLogger(__name__)

DRAFTS_NAME = "drafts.json"
NEW = "new"  # the draft of a conversation that has no messages (and so no file) yet
QUICK = "quick"  # what is typed in the quick prompt and not sent
# A conversation's key is its id; any other key (NEW, QUICK, or a later version's own) is kept
# whatever conversations exist: one build dropped QUICK as the draft of a deleted conversation.
_CONVERSATION_KEY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VERSION = 1
_MAX_BYTES = 64 * 1024 * 1024  # as a conversation file: anything bigger is not ours


class Drafts:
    """The drafts in ``path``; nothing is read before :meth:`load`."""

    def __init__(self, path: Path, *, scrub: Callable[[str], str] = lambda text: text) -> None:
        self.path = path
        self._scrub = scrub
        self._texts: dict[str, str] = {}
        self._changed = False

    def load(self) -> str | None:
        """Read the file; returns a problem to show when it could not be used (then set aside)."""
        try:
            if self.path.stat().st_size > _MAX_BYTES:
                return self._set_aside("it is too big")
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"Unsent drafts could not be read: {exc.strerror or type(exc).__name__}."
        except (ValueError, RecursionError):
            return self._set_aside("it is not valid JSON")
        drafts = data.get("drafts") if isinstance(data, dict) else None
        if not isinstance(drafts, dict):
            return self._set_aside('its "drafts" are not a table of texts')
        self._texts = {
            key: text
            for key, text in drafts.items()
            if isinstance(key, str) and isinstance(text, str) and text.strip()
        }
        return None

    @property
    def changed(self) -> bool:
        """True when there is something :meth:`save` would write."""
        return self._changed

    def keys(self) -> frozenset[str]:
        return frozenset(self._texts)

    def get(self, key: str) -> str:
        return self._texts.get(key, "")

    def put(self, key: str, text: str) -> None:
        """Keep ``text`` as the draft of ``key``; blank text removes it."""
        if not text.strip():
            if self._texts.pop(key, None) is not None:
                self._changed = True
        elif self._texts.get(key) != text:
            self._texts[key] = text
            self._changed = True

    def keep_only(self, exists: Callable[[str], bool]) -> None:
        """Forget drafts of conversations that are gone (keys that are not conversation ids,
        such as ``NEW`` and ``QUICK``, are kept)."""
        gone = [k for k in self._texts if _CONVERSATION_KEY.fullmatch(k) and not exists(k)]
        for key in gone:
            del self._texts[key]
            self._changed = True

    def save(self) -> None:
        """Write the drafts if they changed (the file is removed when there are none)."""
        if not self._changed:
            return
        if self._texts:
            drafts = {key: self._scrub(text) for key, text in self._texts.items()}
            body = {"version": _VERSION, "drafts": drafts}
            atomic_write(self.path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
        else:
            try:
                self.path.unlink(missing_ok=True)
            except OSError as exc:
                raise storage_error(exc, f"remove {self.path.name}") from exc
        self._changed = False

    def _set_aside(self, reason: str) -> str:
        try:
            target = set_aside(self.path, datetime.now(UTC))
        except StorageError as exc:
            log.warning("unreadable drafts file not set aside: %s", exc.user_message)
            return f"Unsent drafts could not be read ({reason}); {exc.user_message}"
        return f"Unsent drafts could not be read ({reason}); the file was kept as {target.name}."
