"""The qasync event loop installs asyncio's async-generator hooks (qasync 0.28 on Unix doesn't)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from pytestqt.qtbot import QtBot

SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, sys
    from PySide6.QtWidgets import QApplication
    from writer_desktop.ui.event_loop import EventLoop, run

    app = QApplication([])

    async def agen():
        try:
            for i in range(10):
                yield i
                await asyncio.sleep(0)
        finally:
            await asyncio.sleep(0)  # cleanup that needs the loop, like closing a connection

    async def main():
        hooks = sys.get_asyncgen_hooks()
        assert hooks.finalizer is not None, "no asyncgen finalizer installed"
        gens = [agen() for _ in range(20)]
        for g in gens:
            async for item in g:
                break  # leave early, as Stop or [DONE] does
        del g, gens
        gc.collect()
        await asyncio.sleep(0.05)
        return "ok"

    print(run(main()))
    """
)


def test_leaving_async_generators_early_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    for bad in ("ignored GeneratorExit", "no running event loop", "was never awaited", "Traceback"):
        assert bad not in result.stderr, result.stderr


def test_cancelled_delayed_callbacks_leave_no_qt_timers_and_others_still_fire() -> None:
    import asyncio

    from writer_desktop.ui.event_loop import EventLoop, run

    async def scenario() -> tuple[int, int, list[str]]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, EventLoop)
        registered = loop._timer._SimpleTimer__callbacks
        before = len(registered)
        fired: list[str] = []
        for _ in range(1000):  # what httpx's read timeout does on every read of a stream
            loop.call_later(90, fired.append, "cancelled").cancel()
        after_cancel = len(registered) - before
        loop.call_later(0.01, fired.append, "kept")
        kept = loop.call_later(0.02, fired.append, "kept late")
        await asyncio.sleep(0.1)
        kept.cancel()  # after it fired: nothing to remove, no Qt warning
        return after_cancel, len(registered) - before, fired

    after_cancel, at_end, fired = run(scenario())
    assert after_cancel == 0
    assert at_end == 0
    assert fired == ["kept", "kept late"]


def test_a_timeout_that_expires_is_an_ordinary_timeout(qtbot: QtBot) -> None:
    # anyio (under httpx) cancels its own deadline handle from inside that handle's callback:
    # removing qasync's entry then made qasync fail in its timer event, which the app reported
    # as a crash at every network timeout.
    import asyncio

    import anyio

    from writer_desktop.ui.event_loop import run

    async def scenario() -> tuple[list[str], list[str]]:
        loop = asyncio.get_running_loop()
        seen: list[str] = []
        errors: list[str] = []
        loop.set_exception_handler(lambda _loop, context: errors.append(context["message"]))
        try:
            with anyio.fail_after(0.05):
                await asyncio.sleep(5)
        except TimeoutError:
            seen.append("timed out")
        handle: asyncio.TimerHandle | None = None

        def cancel_myself() -> None:
            seen.append("fired")
            assert handle is not None
            handle.cancel()

        handle = loop.call_later(0.01, cancel_myself)
        await asyncio.sleep(0.1)
        return seen, errors

    with qtbot.captureExceptions() as exceptions:
        seen, errors = run(scenario())
    assert [e[1] for e in exceptions] == []
    assert errors == []
    assert seen == ["timed out", "fired"]


def test_call_soon_runs_in_order_including_what_callbacks_schedule() -> None:
    import asyncio

    from writer_desktop.ui.event_loop import EventLoop, run

    async def scenario() -> tuple[list[str], list[str]]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, EventLoop)
        order: list[str] = []
        errors: list[str] = []
        loop.set_exception_handler(lambda _loop, context: errors.append(str(context["exception"])))

        def nested(depth: int) -> None:
            order.append(f"nested {depth}")
            if depth < 10:  # more rounds than one timer event runs: the rest comes next time
                loop.call_soon(nested, depth + 1)

        def fail() -> None:
            raise RuntimeError("boom")

        loop.call_soon(order.append, "a")
        loop.call_soon(order.append, "cancelled").cancel()
        loop.call_soon(fail)
        loop.call_soon(nested, 0)
        loop.call_soon(order.append, "b")
        await asyncio.sleep(0.05)
        return order, errors

    order, errors = run(scenario())
    assert order[:3] == ["a", "nested 0", "b"]
    assert order[3:] == [f"nested {depth}" for depth in range(1, 11)]
    assert errors == ["boom"]  # reported; the callbacks after it still ran


STOPPED_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from writer_desktop.ui.event_loop import LoopStopped, run

    app = QApplication([])
    cleaned = []

    async def main():
        try:
            await asyncio.sleep(60)
        finally:
            cleaned.append(True)

    QTimer.singleShot(100, app.quit)  # as Qt does itself when the display connection breaks
    try:
        run(main())
    except LoopStopped:
        print("stopped", cleaned)

    async def fails():
        raise RuntimeError("something else")

    try:
        run(fails())
    except LoopStopped:
        print("wrongly stopped")
    except RuntimeError as exc:
        print("raised", exc)
    """
)


def test_qt_ending_its_loop_early_is_loop_stopped_and_main_is_cancelled() -> None:
    """The app tells a display that went away from a bug by this exception; ``main`` is still
    cancelled, so its ``finally`` blocks run."""
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_SCRIPT], capture_output=True, text=True, timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.stdout.splitlines() == ["stopped [True]", "raised something else"], done.stderr


def test_a_delayed_callback_never_runs_early() -> None:
    # Qt's default (coarse) timers may fire 5 % early: a retry Writer asked to make after 5 s
    # went out after 4.76 s.
    import asyncio

    from writer_desktop.ui.event_loop import run

    async def scenario() -> list[float]:
        loop = asyncio.get_running_loop()
        early: list[float] = []
        done = loop.create_future()
        delays = [0.6 + 0.037 * i for i in range(8)]

        def fired(asked: float, at: float) -> None:
            early.append(at + asked - loop.time())  # > 0: it ran before its time
            if len(early) == len(delays) and not done.done():
                done.set_result(None)

        for delay in delays:
            loop.call_later(delay, fired, delay, loop.time())
        await done
        return early

    early = run(scenario())
    assert max(early) <= 0.001, early
