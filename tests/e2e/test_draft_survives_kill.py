"""Kill -9 the real app while something is typed and not sent: the text is on disk within about
a second, and the next start neither loses nor duplicates it."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.e2e.slow_reply import start_app
from tests.e2e.test_quick_x11 import xdotool
from tests.e2e.waiting import wait_until
from tests.fake_writer.server import FakeWriter
from writer_desktop.core.drafts import DRAFTS_NAME, NEW

TYPED = "a thought I have not sent yet"


def drafts_on_disk(home: Path) -> dict[str, str]:
    path = home / DRAFTS_NAME
    try:
        drafts: dict[str, str] = json.loads(path.read_text())["drafts"]
    except (OSError, ValueError):
        return {}
    return drafts


def test_unsent_text_survives_kill_and_restart(
    display: str, fake: FakeWriter, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    proc = start_app(display, fake, home)
    try:
        xdotool(display, "type", "--delay", "5", TYPED)
        assert wait_until(lambda: drafts_on_disk(home).get(NEW) == TYPED, 10), drafts_on_disk(home)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        # the next start shows it again; typing on and quitting keeps the whole text
        proc = start_app(display, fake, home)
        xdotool(display, "key", "End")
        xdotool(display, "type", "--delay", "5", ", and more")
        assert wait_until(lambda: drafts_on_disk(home).get(NEW) == TYPED + ", and more", 10), (
            drafts_on_disk(home)
        )
        proc.send_signal(signal.SIGTERM)  # a log-out: a clean quit
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert drafts_on_disk(home) == {NEW: TYPED + ", and more"}
