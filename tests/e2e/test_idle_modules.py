"""What the running app has not loaded at rest: parts it does not use on this platform.

Each costs idle memory (figure 6 of ``docs/performance.md``): Qt's network module ~2.6 MiB (the
single-instance server is a plain Unix socket on POSIX), QtDBus ~1 MiB (only Wayland's shortcut
portal needs it), plistlib with an XML parser ~0.3 MiB (macOS's login item).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import KEY

ROOT = Path(__file__).resolve().parents[2]
UNUSED = ("PySide6.QtNetwork", "PySide6.QtDBus", "writer_desktop.ui.hotkey.portal", "plistlib")

# The real app, stopped (as by log-out) a second after it knows its key, printing what is loaded.
RUN = f"""
import os, signal, sys
from writer_desktop.ui import first_paint
mark = first_paint.StartTrace.mark
def report():
    print("loaded:", " ".join(m for m in {UNUSED!r} if m in sys.modules), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
def marked(self, name):
    mark(self, name)
    if name == "key":
        from PySide6.QtCore import QTimer
        QTimer.singleShot(1000, report)
first_paint.StartTrace.mark = marked
from writer_desktop.__main__ import main
sys.exit(main())
"""


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="what Linux does not need")
def test_the_running_app_leaves_unused_parts_unloaded(fake: FakeWriter, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WRITER_DESKTOP_HOME": str(tmp_path / "home"),
        "WRITER_BASE_URL": fake.base_url,
        "WRITER_API_KEY": KEY,
        "QT_QPA_PLATFORM": "offscreen",
    }
    out = subprocess.run(
        [sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "loaded: \n" in out.stdout, out.stdout
