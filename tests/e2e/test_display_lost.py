"""The X server dies under the real app: it quits with a line in its log, no traceback and no
crash report; nothing saved is lost, and text typed and not yet sent is saved as it ends."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.conftest import xvfb
from tests.e2e.slow_reply import start_app
from tests.e2e.test_quick_x11 import xdotool
from tests.e2e.waiting import wait_until
from tests.fake_writer.server import FakeWriter
from writer_desktop.core.drafts import DRAFTS_NAME
from writer_desktop.core.store import ConversationStore


def conversations(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "conversations").glob("*.json"))


def test_the_display_going_away_is_a_quiet_quit(fake: FakeWriter, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with xvfb() as (own, server):
        proc = start_app(own, fake, home, stderr=subprocess.PIPE)
        try:
            xdotool(own, "type", "--delay", "5", "Hello")
            xdotool(own, "key", "Return")
            assert wait_until(lambda: conversations(home) != [], 10)
            xdotool(own, "type", "--delay", "5", "unsent words")
            time.sleep(0.5)  # typed, and not yet saved: that happens a second after a change
            server.kill()  # the X server dies
            _, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 1
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")
    log = (home / "logs" / "writer-desktop.log").read_text()
    assert "the connection to the display was lost: quitting" in log
    assert not list((home / "logs").glob("crash-*")), "a crash report for a lost display"
    assert "unsent words" in (home / DRAFTS_NAME).read_text()  # saved as the app ended
    # the data folder was released (opening it takes its lock) and the conversation is there
    store = ConversationStore(home, home / "cache").open()
    try:
        assert [c.title for c in store.list()] == ["Hello"]
    finally:
        store.close()
