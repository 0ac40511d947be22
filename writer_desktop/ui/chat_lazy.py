"""When messages get rendered: the last screenfuls first, the rest in small idle-time chunks.

Opening a conversation renders its end. Scrolling near either end of the rendered window extends
it by a chunk of about ``CHUNK_MS`` (what is on screen stays in place); after a palette change
the frames on screen are re-rendered at once and the rest a chunk at a time, nearest first.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTextBrowser

from .chat_scroll import Anchor, ScrollKeeper
from .message_frames import MessageFrames, Render

CHUNK_MS = 5  # rendering per idle-time step; with layout, scroll and paint a step stays ≤ ~16 ms
OPEN_SCREENS = 2  # viewport heights rendered when a conversation opens…
OPEN_CHARS = 8000  # …or more, up to this much source text (a short conversation renders whole)


class LazyWindow:
    """Schedules rendering for a view.

    ``render(id)`` gives a new frame's format and HTML, ``refresh(id)`` re-renders one in place,
    ``size(id)`` is a message's length, and ``dropped(ids)`` hears of frames trimmed away.
    """

    def __init__(
        self,
        view: QTextBrowser,
        render: Render,
        refresh: Callable[[str], None],
        size: Callable[[str], int],
        dropped: Callable[[list[str]], None],
    ) -> None:
        self.window = MessageFrames(view.document(), render)
        self.scroll = ScrollKeeper(view)
        self.stale: set[str] = set()  # rendered with an old palette
        self._dropped = dropped
        self._view = view
        self._refresh_one = refresh
        self._size = size
        self._timer = QTimer(view, singleShot=True, interval=0)
        self._timer.timeout.connect(self._step)
        view.verticalScrollBar().valueChanged.connect(self._on_scroll)

    def busy(self) -> bool:
        return self._timer.isActive()

    def following(self) -> bool:
        """Whether the view shows the conversation's end and keeps showing it."""
        return self.window.at_end and self.scroll.at_bottom()

    def anchor(self) -> Anchor:
        return self.scroll.anchor(self.window.rendered_frames(), follow=self.window.at_end)

    def show_end(self, order: list[str]) -> None:
        """Render the last screenfuls of ``order`` afresh, and follow the tail."""
        self._timer.stop()
        self.stale = set()
        window = self.window
        window.reset(order)
        target = self._view.viewport().height() * OPEN_SCREENS
        layout = self._view.document().documentLayout()
        while window.lo > 0 and (
            layout.documentSize().height() < target
            or sum(self._size(m) for m in window.rendered) < OPEN_CHARS
        ):
            window.prepend(0, count=1)
        self.scroll.restore(None)

    def show_around(self, order: list[str], message_id: str) -> None:
        """Render the screenfuls from ``message_id`` on (a search result), not from the end."""
        if message_id not in order:
            self.show_end(order)
            return
        self._timer.stop()
        self.stale = set()
        window = self.window
        window.reset(order, at=order.index(message_id))
        target = self._view.viewport().height() * OPEN_SCREENS
        layout = self._view.document().documentLayout()
        while not window.at_end and layout.documentSize().height() < target:
            window.append(0, count=1)
        if window.lo > 0:
            window.prepend(0, count=1)  # the message before it, for context

    def add(self, message_id: str, jump: bool) -> None:
        """A new last message; ``jump`` to the end for it, or keep the view where it is."""
        window = self.window
        frames = window.rendered_frames()
        anchor = self.anchor()
        visible = self.scroll.visible_range(frames)
        if not window.add(message_id):  # the window is higher up: show the end, or wait
            if jump:
                self.show_end(window.order)
            return
        self._drop(window.trim(keep_top=False, keep=len(frames) + 1 - visible.start + 1))
        self.scroll.restore(None if jump else anchor)

    def restyle(self) -> None:
        """Everything rendered is stale: re-render the frames on screen now, the rest later."""
        frames = self.window.rendered_frames()
        anchor = self.anchor()
        rendered = self.window.rendered
        self.stale = set(rendered)
        self._refresh([rendered[i] for i in self.scroll.visible_range(frames) if i < len(frames)])
        self.scroll.restore(anchor)
        if self.stale:
            self._timer.start()

    def _drop(self, message_ids: list[str]) -> None:
        self.stale.difference_update(message_ids)
        self._dropped(message_ids)

    def _more_above(self) -> bool:
        return self.window.lo > 0 and self.scroll.near_top()

    def _more_below(self) -> bool:
        return not self.window.at_end and self.scroll.near_bottom()

    def _on_scroll(self, _value: int) -> None:
        if (self._more_above() or self._more_below()) and not self._timer.isActive():
            self._timer.start()

    def _step(self) -> None:
        """One idle-time chunk: re-render stale frames, or extend the window where the user is."""
        window = self.window
        frames = window.rendered_frames()
        anchor = self.anchor()
        visible = self.scroll.visible_range(frames)
        if self.stale:
            self._refresh(self._stale_nearest(visible.start + visible.stop), CHUNK_MS)
        elif self._more_above():
            added = window.prepend(CHUNK_MS)
            self._drop(window.trim(keep_top=True, keep=added + visible.stop + 1))
        elif self._more_below():
            added = window.append(CHUNK_MS)
            self._drop(window.trim(keep_top=False, keep=added + len(frames) - visible.start + 1))
        else:
            return
        self.scroll.restore(anchor)
        if self.stale or self._more_above() or self._more_below():
            self._timer.start()

    def _stale_nearest(self, twice_middle: int) -> list[str]:
        middle = self.window.lo + twice_middle // 2
        index = {message_id: i for i, message_id in enumerate(self.window.order)}
        return sorted(self.stale, key=lambda m: abs(index[m] - middle))

    def _refresh(self, message_ids: list[str], budget_ms: float | None = None) -> None:
        deadline = time.perf_counter() + (budget_ms or 0) / 1000
        for i, message_id in enumerate(message_ids):
            if budget_ms is not None and i and time.perf_counter() > deadline:
                return
            self.stale.discard(message_id)
            self._refresh_one(message_id)
