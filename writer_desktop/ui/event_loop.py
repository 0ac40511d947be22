"""The asyncio event loop that runs inside Qt's, via qasync.

qasync 0.28 replaces ``run_forever`` on Unix without installing asyncio's async-generator hooks
(``sys.set_asyncgen_hooks``), which :meth:`asyncio.BaseEventLoop.run_forever` normally does. Without
them an async generator left early (an SSE reply stopped by the user, or ended by ``[DONE]``) is
finalised by the garbage collector outside the loop and Python reports "async generator ignored
GeneratorExit" / "no running event loop" at shutdown. :class:`EventLoop` installs the hooks around
``run_forever``; ``tests/gui/test_event_loop.py`` guards it.

qasync also leaves a cancelled ``call_later`` registered with Qt until its time comes: every read
of a streamed reply arms httpx's 90 s read timeout and cancels it, so thousands of dead Qt timers
pile up (and are walked by Qt's event dispatcher) while a long reply streams. :class:`EventLoop`
kills the Qt timer when its handle is cancelled.

Its delayed callbacks ran on Qt's coarse timers, which may fire up to 5 % early; those of half a
second or more now use precise ones (a retry after Writer's Retry-After is never early).

And qasync runs every ``call_soon`` through a Qt timer of its own (start, event, kill): one
network wake-up of a streamed reply is a chain of three or four such callbacks (the socket
notifier's, the transport's read, the task's step, the view's update). :class:`EventLoop` keeps
them in one queue run by a single zero-time Qt timer, which also runs the callbacks those
callbacks schedule (a few rounds at most, so Qt's own events are never held back for long).
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import Qt, QThread

_T = TypeVar("_T")
log = logging.getLogger(__name__)


class _QtTimerHandle(asyncio.Handle):
    """A delayed callback whose ``cancel()`` also removes its Qt timer, until it fires.

    Once its timer has fired, qasync removes the timer itself when the callback returns; a
    callback that cancels its own handle (anyio's timeouts do, so every httpx connect or read
    timeout does) must leave qasync's entry alone, or qasync fails on removing it.
    """

    __slots__ = ("_fired", "_forget")
    _forget: Callable[[], None]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fired = False

    def _run(self) -> None:
        self._fired = True
        super()._run()

    def cancel(self) -> None:
        if not self._cancelled:
            super().cancel()
            if not self._fired:
                self._forget()


PRECISE_FROM = 0.5  # seconds: delayed callbacks this long or longer never run early
_READY_ROUNDS = 4  # rounds of callbacks scheduled by callbacks run in one Qt timer event


class EventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop with asyncio's async-generator hooks installed while it runs, delayed
    callbacks whose Qt timer goes away when they are cancelled, and ``call_soon`` callbacks run
    from one queue."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._ready: deque[asyncio.Handle] = deque()
        self._ready_armed = False  # a Qt timer will run the queue
        super().__init__(*args, **kwargs)

    def call_soon(
        self, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.Handle:
        handle = asyncio.Handle(callback, args, self, context=context)
        self._ready.append(handle)
        if not self._ready_armed:
            self._ready_armed = True
            self._timer.add_callback(asyncio.Handle(self._run_ready, (), self))
        return handle

    def _run_ready(self) -> None:
        """Run the queued callbacks, then those they queued, for a few rounds; whatever is left
        waits for the next timer event, after Qt's pending events."""
        ready = self._ready
        try:
            for _ in range(_READY_ROUNDS):
                for _ in range(len(ready)):
                    handle = ready.popleft()
                    if not handle._cancelled:
                        handle._run()
                if not ready:
                    break
        finally:
            self._ready_armed = False
            if ready:
                self._ready_armed = True
                self._timer.add_callback(asyncio.Handle(self._run_ready, (), self))

    def call_later(
        self, delay: float, callback: Callable[..., object], *args: Any, context: Any = None
    ) -> asyncio.Handle:
        timer = self._timer
        callbacks = getattr(timer, "_SimpleTimer__callbacks", None)  # qasync's own bookkeeping
        if delay <= 0 or callbacks is None:
            return super().call_later(delay, callback, *args, context=context)  # type: ignore[no-any-return]
        handle = _QtTimerHandle(callback, args, self, context=context)
        # Never early: Qt's default (coarse) timers may fire 5 % before their time, and a retry
        # Writer asked for after 5 s went out after 4.76 s. Short ones (a reading round's pause)
        # stay coarse, which lets the system batch wake-ups.
        kind = Qt.TimerType.PreciseTimer if delay >= PRECISE_FROM else Qt.TimerType.CoarseTimer
        timer_id = timer.startTimer(math.ceil(delay * 1000), kind)
        callbacks[timer_id] = handle

        def forget() -> None:
            # Only from the loop's own thread, and only while Qt still has the timer (after it
            # fired, qasync has killed it and dropped the entry).
            if callbacks.get(timer_id) is handle and QThread.currentThread() == timer.thread():
                del callbacks[timer_id]
                timer.killTimer(timer_id)

        handle._forget = forget
        return handle

    def run_forever(self) -> Any:
        previous = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(
            firstiter=self._asyncgen_firstiter_hook, finalizer=self._asyncgen_finalizer_hook
        )
        try:
            return super().run_forever()
        finally:
            sys.set_asyncgen_hooks(*previous)


class LoopStopped(RuntimeError):
    """Qt's event loop ended before ``main`` finished: something outside asyncio quit it (Qt
    does when the connection to the display breaks)."""


_STOPPED = "Event loop stopped before Future completed."  # asyncio's and qasync's words


def run(main: Coroutine[Any, Any, _T], loop_factory: Callable[[], EventLoop] = EventLoop) -> _T:
    """Run ``main`` on a fresh :class:`EventLoop`, then shut down async generators and executors.

    ``asyncio.Runner`` (3.11+) is used because ``asyncio.run`` only takes ``loop_factory``
    from 3.12. Raises :class:`LoopStopped` if Qt's loop ends before ``main`` does.
    """
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        try:
            return runner.run(main)
        except RuntimeError as exc:
            if str(exc) != _STOPPED:
                raise
            # The runner now cancels what is left, running a loop Qt may quit again at once (no
            # display): what the tasks then hit belongs to the same end, not a bug to report.
            runner.get_loop().set_exception_handler(_after_stop)
            raise LoopStopped(_STOPPED) from None


def _after_stop(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    log.warning(
        "after the event loop stopped: %s (%r)", context.get("message"), context.get("exception")
    )
