"""Which messages of a conversation are rendered: a window of frames in one QTextDocument.

The window ``order[lo:hi]`` grows a chunk at a time at either end (a few milliseconds of work
each) and is trimmed at the far end when it passes ``MAX_RENDERED`` messages, so that layout,
which Qt redoes for everything below an insertion, never grows with the conversation.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtGui import QTextCursor, QTextDocument, QTextFrame, QTextFrameFormat

from .chat_document import insert_frame

MAX_RENDERED = 200  # messages; each costs ~10 µs of layout per insertion above it

Render = Callable[[str], tuple[QTextFrameFormat, str]]


class MessageFrames:
    """The rendered window ``order[lo:hi]``; ``render(id)`` gives a frame's format and HTML."""

    def __init__(self, doc: QTextDocument, render: Render) -> None:
        self._doc = doc
        self._render = render
        self.order: list[str] = []
        self.lo = 0
        self.hi = 0
        self.frames: dict[str, QTextFrame] = {}

    def reset(self, order: list[str], at: int | None = None) -> None:
        """A new conversation, nothing rendered yet; the window sits at its end or at ``at``."""
        # Forgotten first: clearing the document deletes the frames, and what it sets off (the
        # view resized as its scroll bar goes) must not find them.
        self.frames = {}
        self.order = order
        self.lo = self.hi = len(order) if at is None else max(0, min(at, len(order)))
        self._doc.clear()

    @property
    def rendered(self) -> list[str]:
        return self.order[self.lo : self.hi]

    def rendered_frames(self) -> list[QTextFrame]:
        return [self.frames[m] for m in self.rendered]

    @property
    def at_end(self) -> bool:
        return self.hi == len(self.order)

    def _insert(self, at_start: bool, budget_ms: float, count: int) -> int:
        deadline = time.perf_counter() + budget_ms / 1000
        cursor = QTextCursor(self._doc)
        cursor.beginEditBlock()
        done = 0
        while (self.lo > 0 if at_start else self.hi < len(self.order)) and (
            done < max(count, 1) or time.perf_counter() < deadline
        ):
            if at_start:
                self.lo -= 1
                message_id = self.order[self.lo]
                cursor.setPosition(0)
            else:
                message_id = self.order[self.hi]
                self.hi += 1
                cursor.movePosition(QTextCursor.MoveOperation.End)
            fmt, html = self._render(message_id)
            self.frames[message_id] = insert_frame(cursor, fmt, html)
            done += 1
        cursor.endEditBlock()
        return done

    def prepend(self, budget_ms: float, count: int = 0) -> int:
        """Render older messages above the window for ``budget_ms`` (at least ``count``)."""
        return self._insert(True, budget_ms, count)

    def append(self, budget_ms: float, count: int = 0) -> int:
        """Render newer messages below the window for ``budget_ms`` (at least ``count``)."""
        return self._insert(False, budget_ms, count)

    def add(self, message_id: str) -> bool:
        """A new last message: rendered at once if the window reaches the end."""
        following = self.at_end
        self.order.append(message_id)
        if following:
            self.append(0, 1)
        return following

    def trim(self, keep_top: bool, keep: int) -> list[str]:
        """Drop frames beyond ``MAX_RENDERED`` from the bottom (or the top); their ids.

        The ``keep`` frames at the other end (those on screen, and beyond) always stay.
        """
        excess = min(self.hi - self.lo - MAX_RENDERED, self.hi - self.lo - keep)
        if excess <= 0:
            return []
        cursor = QTextCursor(self._doc)
        if keep_top:
            dropped = self.order[self.hi - excess : self.hi]
            cursor.setPosition(self.frames[dropped[0]].firstPosition() - 1)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            self.hi -= excess
        else:
            dropped = self.order[self.lo : self.lo + excess]
            end = self.frames[dropped[-1]].lastPosition() + 1
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            self.lo += excess
        cursor.removeSelectedText()
        for message_id in dropped:
            del self.frames[message_id]
        return dropped
