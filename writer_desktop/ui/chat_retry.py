"""The countdown to a scheduled retry of a streaming reply, shown in its status line."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class RetryCountdown:
    """Counts down for one message; ``tick(message_id)`` is called every second to show it."""

    def __init__(self, parent: QObject, tick: Callable[[str], None]) -> None:
        self._state: tuple[str, float, str] | None = None  # message id, deadline, reason
        self._on_tick = tick
        self._timer = QTimer(parent, interval=1000)
        self._timer.timeout.connect(self._tick)

    @property
    def message_id(self) -> str | None:
        return None if self._state is None else self._state[0]

    def start(self, message_id: str, seconds: float, reason: str) -> None:
        self._state = (message_id, time.monotonic() + seconds, reason)
        self._timer.start()
        self._tick()

    def clear(self) -> str | None:
        """Stop; the id of the message that showed the countdown, if any."""
        message_id = self.message_id
        self._state = None
        self._timer.stop()
        return message_id

    def text(self, message_id: str) -> str | None:
        if self._state is None or self._state[0] != message_id:
            return None
        _, deadline, reason = self._state
        seconds = round(deadline - time.monotonic())
        if seconds <= 0:  # the wait is over; the next attempt may take a while to answer
            return f"Retrying now — {reason}"
        return f"Retrying in {seconds} s — {reason}"

    def _tick(self) -> None:
        if self._state is None:
            self._timer.stop()
            return
        if self._state[1] <= time.monotonic():  # "now" needs no more ticks
            self._timer.stop()
        self._on_tick(self._state[0])
