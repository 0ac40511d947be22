"""Two copies of the app started at the same moment on one data folder: exactly one keeps running,
the other hands its request over and exits; while it runs, nobody else (another process, or a
second store in this one) can open the folder for writing.

``tests/e2e/test_app.py`` covers a second launch after the first is up; ``tests/unit/test_store.py``
covers the lock itself. This is the race between two launches (a double-click on the icon).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.waiting import wait_until
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import KEY
from writer_desktop.core.errors import AlreadyLocked
from writer_desktop.core.store import ConversationStore

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_simultaneous_launches_leave_one_running(
    fake: FakeWriter, tmp_path: Path, round_: int
) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "WRITER_DESKTOP_HOME": str(home),
        "WRITER_BASE_URL": fake.base_url,
        "WRITER_API_KEY": KEY,
        "QT_QPA_PLATFORM": "offscreen",
    }
    command = [sys.executable, "-X", "dev", "-m", "writer_desktop"]
    procs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        # One of them ends by itself (handed over), the other runs until told to stop.
        assert wait_until(lambda: any(p.poll() is not None for p in procs), 20), (
            "both instances kept running"
        )
        time.sleep(1.0)  # a second instance that had not given up yet would have ended by now
        ended = [p for p in procs if p.poll() is not None]
        running = [p for p in procs if p.poll() is None]
        assert len(ended) == 1, [p.returncode for p in procs]
        assert len(running) == 1
        _, ended_err = ended[0].communicate(timeout=10)
        assert ended[0].returncode == 0, ended_err
        assert "Traceback" not in ended_err
        # The survivor holds the data folder: a store in this process cannot open it.
        with pytest.raises(AlreadyLocked, match="already running"):
            ConversationStore(home, home / "cache").open()
        assert wait_until(lambda: any(r.path == "/v1/models" for r in fake.requests), 20)
        log = (home / "logs" / "writer-desktop.log").read_text()
        assert "already running" in log
        assert running[0].poll() is None
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        errors = [proc.communicate(timeout=15)[1] for proc in procs]
    assert all("Traceback" not in err for err in errors), errors
    # Once the survivor is gone the folder is free again, and nothing was left half-written.
    with ConversationStore(home, home / "cache") as store:
        assert store.problems == []
    assert not [p for p in (home / "conversations").iterdir() if p.name.endswith(".tmp")]
