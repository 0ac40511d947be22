"""The asyncio event loop that runs inside Qt's, via qasync.

qasync 0.28 replaces ``run_forever`` on Unix without installing asyncio's async-generator hooks
(``sys.set_asyncgen_hooks``), which :meth:`asyncio.BaseEventLoop.run_forever` normally does. Without
them an async generator left early (an SSE reply stopped by the user, or ended by ``[DONE]``) is
finalised by the garbage collector outside the loop and Python reports "async generator ignored
GeneratorExit" / "no running event loop" at shutdown. :class:`EventLoop` installs the hooks around
``run_forever``; ``tests/gui/test_event_loop.py`` guards it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync

_T = TypeVar("_T")


class EventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop with asyncio's async-generator hooks installed while it runs."""

    def run_forever(self) -> Any:
        previous = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(
            firstiter=self._asyncgen_firstiter_hook, finalizer=self._asyncgen_finalizer_hook
        )
        try:
            return super().run_forever()
        finally:
            sys.set_asyncgen_hooks(*previous)


def run(main: Coroutine[Any, Any, _T], loop_factory: Callable[[], EventLoop] = EventLoop) -> _T:
    """Run ``main`` on a fresh :class:`EventLoop`, then shut down async generators and executors.

    ``asyncio.Runner`` (3.11+) is used because ``asyncio.run`` only takes ``loop_factory``
    from 3.12.
    """
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main)
