"""Each conversation keeps what was typed and not sent: across switches, quits and crashes.

The composer is one text box; the keeper swaps its text when another conversation opens, and at
most once a second after a change (and when the window closes, the app ends or another
conversation opens) records the text in :class:`~writer_desktop.core.drafts.Drafts` and saves.
A keystroke only starts that timer: reading a pasted 2 MB text back costs ~6 ms, too much for
every key. A new conversation's draft is kept under ``NEW`` until its first message gives it a
file; a message sent clears its draft.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from writer_desktop.core.drafts import NEW, QUICK, Drafts
from writer_desktop.core.errors import StorageError
from writer_desktop.core.models import Conversation, Message

from .composer import Composer
from .controller import Controller

SAVE_MS = 1000  # a crash loses at most this much typing


class DraftKeeper(QObject):
    """Connects ``composer`` and ``controller`` to ``drafts``; reports save failures once."""

    problem = Signal(str)
    problem_solved = Signal(str)  # a problem told before: the drafts are saved again
    drafted_changed = Signal(frozenset)  # ids of the other conversations that have a draft

    def __init__(
        self,
        drafts: Drafts,
        composer: Composer,
        controller: Controller,
        exists: Callable[[str], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._drafts = drafts
        self._composer = composer
        self._controller = controller
        self._exists = exists
        self._key: str | None = None  # None until the first conversation opens
        self._reported: str | None = None
        self._typed = False  # the composer changed since its text was last recorded
        self._pruned = False
        self._drafted: frozenset[str] = frozenset()
        self._followed: dict[str, Callable[[], str]] = {}  # other boxes' keys: their text
        self._typed_keys: set[str] = set()  # … changed since it was last recorded
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_MS)
        self._timer.timeout.connect(self.save_now)
        controller.conversation_opened.connect(self._on_opened)
        controller.message_added.connect(self._on_message)
        controller.conversations_changed.connect(self._prune_once)
        # Also when the app ends without its window closing (the display went away).
        controller.stopping.connect(self.save_now)
        composer.editor.textChanged.connect(self._on_text)

    def save_now(self) -> None:
        self._timer.stop()
        self._record()
        try:
            self._drafts.save()
        except StorageError as exc:
            if exc.user_message != self._reported:  # said once, not every second
                self._reported = exc.user_message
                self.problem.emit(f"Unsent text could not be saved. {exc.user_message}")
            self._timer.start()  # try again; it is still in memory
        else:
            if self._reported is not None:
                self.problem_solved.emit(f"Unsent text could not be saved. {self._reported}")
            self._reported = None

    def follow(self, key: str, text: Callable[[], str], changed: SignalInstance) -> None:
        """Keep another box's text under ``key`` (the quick prompt's, :data:`QUICK`) as the
        composer's is kept: ``changed`` starts the timer, ``text`` is read when it saves."""
        self._followed[key] = text
        changed.connect(lambda: self._on_followed(key))

    def forget(self, key: str) -> None:
        """What ``key`` held was sent: nothing to keep, saved at once (a crash must not bring
        it back)."""
        self._typed_keys.discard(key)
        self._drafts.put(key, "")
        self.save_now()

    def save_or_why(self) -> str | None:
        """Save now; None if the drafts are on disk, else why they are not."""
        self.save_now()
        return self._reported

    def kept(self, key: str) -> str:
        return self._drafts.get(key)

    def _on_opened(self, conv: Conversation) -> None:
        self._record()  # the text still shown belongs to the conversation left
        typed = self._composer.text() if self._key is None else ""
        self._key = conv.id if conv.messages else NEW
        text = self._drafts.get(self._key)
        if typed.strip() and typed != text:  # typed while the app was starting: keep both
            text = f"{text}\n{typed}" if text.strip() else typed
        self._composer.set_text(text)
        self._typed = False
        self._put(text)
        self._tell_drafted()

    def _on_message(self, conv_id: str, _message: Message) -> None:
        if self._key == NEW and conv_id == self._controller.current_id:
            # the new conversation's first message: from now on it has a file of its own
            self._typed = False
            self._drafts.put(NEW, "")
            self._key = conv_id
            self._put(self._composer.text())
            self._tell_drafted()

    def _on_text(self) -> None:
        if self._key is not None:
            self._typed = True
            self._save_soon()

    def _record(self) -> None:
        if self._typed and self._key is not None:
            self._typed = False
            self._drafts.put(self._key, self._composer.text())
        for key in self._typed_keys:
            self._drafts.put(key, self._followed[key]())
        self._typed_keys.clear()

    def _on_followed(self, key: str) -> None:
        self._typed_keys.add(key)
        self._save_soon()

    def _put(self, text: str) -> None:
        assert self._key is not None
        self._drafts.put(self._key, text)
        if self._drafts.changed:
            self._save_soon()

    def _prune_once(self, _listing: object) -> None:
        """Drafts of conversations deleted meanwhile go at the first full list of a session."""
        if not self._pruned:
            self._pruned = True
            self._drafts.keep_only(self._exists)
            self._tell_drafted()
            if self._drafts.changed:
                self._save_soon()

    def _save_soon(self) -> None:
        """Save within ``SAVE_MS``: a timer already running is not put off by more changes."""
        if not self._timer.isActive():
            self._timer.start()

    def _tell_drafted(self) -> None:
        """The list marks conversations with unsent text; not the open one (it would flicker as
        its first character is typed), and not a new one (it has no row)."""
        drafted = self._drafts.keys() - {NEW, QUICK, self._key}
        if drafted != self._drafted:
            self._drafted = drafted
            self.drafted_changed.emit(drafted)
