"""A canary key through the real app with DEBUG logging: it must appear in no file and no output.

The app runs under Xvfb against the fake server; xdotool types prompts that make it send, get a
401, lose the connection mid-reply and hit a rate limit (with retries), then paste the key into
the message box (a draft, saved as the user types) and Ctrl+Q quits. Every
file under the app's home (logs, conversations, settings, caches) and its stdout/stderr are then
searched for the key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_quick_x11 import MAIN_TITLE, ROOT, wait_for_window, xdotool
from tests.e2e.waiting import wait_until
from tests.fake_writer.server import FakeWriter

CANARY = "sk-CANARY-7f3a9c2e5b1d4068"


def finished_replies(home: Path) -> int:
    """Replies the app has saved as ended (complete, interrupted, error …), in every file."""
    count = 0
    for path in (home / "conversations").glob("*.json"):
        try:
            messages = json.loads(path.read_text())["messages"]
        except (OSError, ValueError, KeyError):
            continue  # being replaced right now: read it next time
        count += sum(m["role"] == "assistant" and m["status"] != "streaming" for m in messages)
    return count


def drafts_text(home: Path) -> str:
    try:
        return (home / "drafts.json").read_text()
    except OSError:
        return ""


def test_canary_key_leaks_nowhere(display: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with FakeWriter(api_key=CANARY) as fake:
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "WRITER_DESKTOP_HOME": str(home),
            "WRITER_BASE_URL": fake.base_url,
            "WRITER_API_KEY": CANARY,
            "WRITER_DESKTOP_LOG_LEVEL": "DEBUG",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "writer_desktop"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            window = wait_for_window(display, MAIN_TITLE)
            for done, prompt in enumerate(("hello", "/error 401", "/cut 300", "/ratelimit 0"), 1):
                xdotool(display, "windowfocus", "--sync", window)
                xdotool(display, "type", "--delay", "5", prompt)
                xdotool(display, "key", "Return")

                def ended(done: int = done) -> bool:
                    return finished_replies(home) >= done

                assert wait_until(ended, 15), f"no reply saved for {prompt!r}"
            assert all(r.headers["authorization"] == f"Bearer {CANARY}" for r in fake.requests)
            # pasted into the message box and left there: the draft is saved without it
            xdotool(display, "type", "--delay", "5", f"my key is {CANARY} ok")
            assert wait_until(lambda: "my key is" in drafts_text(home), 10), "no draft saved"
            xdotool(display, "key", "ctrl+q")
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err
    files = [p for p in home.rglob("*") if p.is_file()]
    log = (home / "logs" / "writer-desktop.log").read_text()
    for happened in ("HTTP 401", "HTTP 429", "ended interrupted"):  # the flows really ran
        assert happened in log
    assert "my key is [redacted] ok" in drafts_text(home)
    leaks = [str(p) for p in files if CANARY.encode() in p.read_bytes()]
    assert leaks == []
    assert CANARY not in out + err
