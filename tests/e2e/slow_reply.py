"""The real app, started as a user would, asked for a reply slow enough to act on mid-stream."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FAKE_KEY
from tests.e2e.test_quick_x11 import MAIN_TITLE, ROOT, wait_for_window, xdotool
from tests.fake_writer.server import FakeWriter


def start_app_streaming(
    display: str, fake: FakeWriter, home: Path, stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """Start ``writer-desktop`` on ``display`` with its data in ``home`` and send ``/slow 40 400``
    (400 tokens at 40/s: a 10 s reply). The caller ends the process; if starting fails, it is
    killed here."""
    env = {
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
        xdotool(display, "type", "--delay", "5", "/slow 40 400")
        xdotool(display, "key", "Return")
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc
