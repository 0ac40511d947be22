"""SIGTERM (log-out, shutdown, ``kill``) and SIGINT (Ctrl+C) quit the real app cleanly: the reply
streaming at that moment is saved as stopped with its text, the window's size is kept, and the
single-instance socket is removed, as after File ▸ Quit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FAKE_KEY
from tests.e2e.slow_reply import start_app_streaming
from tests.e2e.test_quick_x11 import ROOT, wait_for_window
from tests.e2e.waiting import wait_until
from tests.fake_writer.server import FakeWriter
from writer_desktop.ui.first_paint import TRACE_ENV

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def saved_replies(home: Path) -> list[dict[str, object]]:
    replies = []
    for path in (home / "conversations").glob("*.json"):
        messages = json.loads(path.read_text())["messages"]
        replies += [m for m in messages if m["role"] == "assistant"]
    return replies


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_quit_signal_saves_the_streaming_reply_and_cleans_up(
    display: str, fake: FakeWriter, tmp_path: Path, signum: signal.Signals
) -> None:
    home = tmp_path / "home"
    proc = start_app_streaming(display, fake, home, stderr=subprocess.PIPE)
    try:
        assert wait_until(lambda: len(fake.chat_requests) == 1, 15), "the question was not sent"
        time.sleep(1.5)  # some of the reply arrives
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    code, err = proc.returncode, stderr.decode(errors="replace")
    assert code == 0, err
    assert "Traceback" not in err
    [reply] = saved_replies(home)
    assert reply["status"] == "stopped"  # as if Stop had been pressed: Continue can resume it
    assert len(str(reply["content"])) > 10
    assert not list((home / "conversations").glob("*.journal"))
    assert not (home / "run" / "writer-desktop.sock").exists()
    assert "geometry" in (home / "window.ini").read_text()
    assert wait_until(lambda: fake.disconnects >= 1, 5), "the stream's connection stayed open"


def test_a_second_signal_ends_a_quit_that_hangs() -> None:
    """The handler is one-shot: the next SIGTERM gets the default action and ends the process."""
    code = (
        "import os, signal, sys, time\n"
        "from PySide6.QtCore import QCoreApplication, QTimer\n"
        "from writer_desktop.ui.quit_signals import QuitSignals\n"
        "app = QCoreApplication([])\n"
        "signals = QuitSignals()\n"
        "signals.received.connect(lambda n: print('received', n, flush=True))\n"
        "QTimer.singleShot(0, lambda: os.kill(os.getpid(), signal.SIGTERM))\n"
        "QTimer.singleShot(300, lambda: os.kill(os.getpid(), signal.SIGTERM))\n"
        "QTimer.singleShot(5000, lambda: print('still running', flush=True))\n"
        "app.exec()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert proc.stdout.splitlines() == [f"received {int(signal.SIGTERM)}"]
    assert proc.returncode == -signal.SIGTERM


def start_plain(display: str, fake: FakeWriter, home: Path, **env: str) -> subprocess.Popen[bytes]:
    """``writer-desktop`` as a user starts it, with a start trace next to ``home``."""
    return subprocess.Popen(
        [sys.executable, "-m", "writer_desktop"], cwd=ROOT,
        env={
            **os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
            "WRITER_DESKTOP_HOME": str(home), "WRITER_BASE_URL": fake.base_url,
            TRACE_ENV: str(home.parent / "start-trace"), **env,
        },
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.parametrize("moment", ["first_paint", "ready", "key dialog"])
def test_a_quit_signal_while_starting_is_a_clean_quit(
    display: str, fake: FakeWriter, tmp_path: Path, moment: str
) -> None:
    """Log-out as the window appears, right after it gets ready, or while the first run's key
    dialog waits: the app quits as from File ▸ Quit, never by the default death of SIGTERM."""
    home = tmp_path / "home"
    trace = tmp_path / "start-trace"
    if moment == "key dialog":  # no key anywhere: keyring's null backend finds none
        env = {"WRITER_API_KEY": "", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    else:
        env = {"WRITER_API_KEY": FAKE_KEY}
    proc = start_plain(display, fake, home, **env)
    try:
        if moment == "key dialog":
            wait_for_window(display, "^Writer API key$")
        else:
            mark = f"{moment} "
            assert wait_until(lambda: trace.exists() and mark in trace.read_text(), 20), moment
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    err = stderr.decode(errors="replace")
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "received SIGTERM: quitting" in (home / "logs" / "writer-desktop.log").read_text()
    assert not (home / "run" / "writer-desktop.sock").exists()
    assert "geometry" in (home / "window.ini").read_text()
    assert not list((home / "logs").glob("crash-*"))
