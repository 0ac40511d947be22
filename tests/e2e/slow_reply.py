"""The real app, started as a user would (and asked for a reply slow enough to act on)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import FAKE_KEY
from tests.e2e.test_quick_x11 import MAIN_TITLE, ROOT, wait_for_window, xdotool
from tests.fake_writer.server import FakeWriter
from writer_desktop.ui.first_paint import TRACE_ENV


def start_app(
    display: str, fake: FakeWriter, home: Path, stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """Start ``writer-desktop`` on ``display`` with its data in ``home``; return once the main
    window is shown, focused (the composer has the focus) and showing its conversation. The
    caller ends the process; if starting fails, it is killed here."""
    trace = home.parent / f"{home.name}-start-trace"
    trace.unlink(missing_ok=True)
    env = {
        TRACE_ENV: str(trace),
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "WRITER_DESKTOP_HOME": str(home),
        "WRITER_BASE_URL": fake.base_url,
        "WRITER_API_KEY": FAKE_KEY,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "writer_desktop"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip
    try:
        window = wait_for_window(display, MAIN_TITLE)
        xdotool(display, "windowfocus", "--sync", window)
        deadline = time.monotonic() + 20
        while "ready" not in (trace.read_text() if trace.exists() else ""):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError("the app did not get ready")
            time.sleep(0.02)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc


def start_app_streaming(
    display: str, fake: FakeWriter, home: Path, stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """:func:`start_app`, then send ``/slow 40 400`` (400 tokens at 40/s: a 10 s reply)."""
    proc = start_app(display, fake, home, stderr)
    try:
        xdotool(display, "type", "--delay", "5", "/slow 40 400")
        xdotool(display, "key", "Return")
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc
