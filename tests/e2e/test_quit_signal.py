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

from tests.e2e.slow_reply import start_app_streaming
from tests.e2e.test_quick_x11 import ROOT
from tests.e2e.waiting import wait_until
from tests.fake_writer.server import FakeWriter

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
