"""Start-up and idle memory with 10,000 saved conversations, against a bare PySide6 window.

Usage: ``python benchmarks/startup.py [--runs 5] [--count 10000] [--platform xcb|offscreen]``.

Both programs are started the same way (a new Python process from this interpreter, the same
environment and Qt platform: a private Xvfb when it is installed, else ``offscreen``) and report
the moment their first frame is drawn into a trace file (``WRITER_DESKTOP_TRACE_START``, see
``writer_desktop/ui/first_paint.py``). Runs alternate between the two. Figure 1 is the median time
from launch to the app's first paint ÷ the bare window's; figure 6 the median resident memory once
each is idle (sampled until it stops changing) ÷ the bare window's. A third program, the least a
chat window needs in plain PySide6 (``MINIMAL``), runs alongside for context: what any window with
text, a list and menus pays over the bare one; and a fourth, that window on the app's runtime
(qasync and an httpx client, ``MINIMAL_STACK``): the least memory any window built on this stack
idles at. The app's data folder holds
``--count`` conversations with a warm listing cache and search index (one untimed start builds
them), and it reopens a 40-message conversation, as after a normal quit.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Figure, compile_bytecode, median, stop  # noqa: E402

if TYPE_CHECKING:
    from writer_desktop.core.paths import AppPaths

BARE = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1000, 700)
class Watch(QObject):
    seen = False
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen = True
            QTimer.singleShot(0, self.mark)
        return False
    def mark(self):
        with open(os.environ["WRITER_DESKTOP_TRACE_START"], "a") as f:
            f.write(f"first_paint {time.time():.6f}\\nready {time.time():.6f}\\n")
watch = Watch()
window.installEventFilter(watch)
window.show()
app.exec()
"""

# The least a chat window needs, in plain PySide6, for context beside figure 1: a list of 200
# rows from a Python model (editable, so it overrides flags()), a filter box, a text box, a
# button and a menu bar. It pays what any such window pays and the bare one does not: Qt's
# font set-up for the first text, the Qt namespace's enums (on the first flags()), the style.
MINIMAL = BARE.replace(
    'window.setWindowTitle("bare")',
    """window.setWindowTitle("minimal")
from PySide6.QtCore import QAbstractListModel, Qt
from PySide6.QtWidgets import QLineEdit, QListView, QPlainTextEdit, QPushButton, QSplitter
from PySide6.QtWidgets import QVBoxLayout, QWidget
class Rows(QAbstractListModel):
    def rowCount(self, parent=None):
        return 200
    def data(self, index, role=0):
        return f"Conversation {index.row()}" if role == Qt.ItemDataRole.DisplayRole else None
    def flags(self, index):
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable
side = QWidget(); side_layout = QVBoxLayout(side)
side_layout.addWidget(QPushButton("New conversation")); side_layout.addWidget(QLineEdit())
rows = Rows(); view = QListView(); view.setModel(rows); side_layout.addWidget(view)
splitter = QSplitter(Qt.Orientation.Horizontal)
splitter.addWidget(side); splitter.addWidget(QPlainTextEdit())
window.setCentralWidget(splitter)
for title in ("File", "View", "Conversation"):
    window.menuBar().addMenu(title)""",
)
# The minimal window with the runtime the app is built on (asyncio inside Qt through qasync, an
# httpx client with its TLS context), for context beside figure 6: memory no window built on this
# stack can go below. (Imported after the first paint, as the app does.)
MINIMAL_STACK = MINIMAL.replace(
    'window.setWindowTitle("minimal")', 'window.setWindowTitle("minimal + stack")'
).replace(
    "app.exec()",
    """import asyncio, httpx, qasync
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
client = httpx.AsyncClient()
with loop:
    loop.run_forever()""",
)

VOCABULARY = """the model cache index reply stream token window sidebar search export draft key
palmyra writer summary table chart python function error retry folder file"""
WORDS = VOCABULARY.split()


def build_home(home: Path, count: int, seed: int = 7) -> str:
    """Write ``count`` conversations the way the app saves them; returns the one to reopen."""
    from writer_desktop.core.codec import encode
    from writer_desktop.core.models import Conversation, Message, Role

    rng = random.Random(seed)
    paths = app_paths(home)
    paths.ensure()
    folder = paths.conversations
    folder.mkdir(mode=0o700)
    reopen = ""
    for i in range(count):
        n = 40 if i == count // 2 else rng.randint(2, 8)
        messages = [
            Message(
                Role.USER if j % 2 == 0 else Role.ASSISTANT,
                " ".join(rng.choices(WORDS, k=rng.randint(8, 80))),
                model=None if j % 2 == 0 else "palmyra-x5",
            )
            for j in range(n)
        ]
        conv = Conversation(title=f"Conversation {i}", model="palmyra-x5", messages=messages)
        (folder / f"{conv.id}.json").write_bytes(encode(conv))
        if n == 40:
            reopen = conv.id
    return reopen


def app_paths(home: Path) -> AppPaths:
    from writer_desktop.core.paths import AppPaths

    return AppPaths.from_env({"WRITER_DESKTOP_HOME": str(home)})


def remember(home: Path, conv_id: str) -> None:
    config = app_paths(home).config
    config.mkdir(parents=True, exist_ok=True)
    (config / "window.ini").write_text(f"[General]\nlast_conversation={conv_id}\n")


@contextmanager
def display(platform: str) -> Iterator[dict[str, str]]:
    """The environment for the Qt platform: a private Xvfb for ``xcb``."""
    if platform == "offscreen":
        yield {"QT_QPA_PLATFORM": "offscreen"}
        return
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp",
         "-noreset"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    try:
        yield {"QT_QPA_PLATFORM": "xcb", "DISPLAY": f":{number}"}
    finally:
        xvfb.terminate()
        xvfb.wait()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def idle_rss(pid: int, settle: float = 1.0, limit: float = 30.0) -> int:
    """Resident memory once it has stopped changing (background work done)."""
    deadline = time.monotonic() + limit
    last = rss_kib(pid)
    while time.monotonic() < deadline:
        time.sleep(settle)
        now = rss_kib(pid)
        if abs(now - last) <= max(256, last // 200):  # within 0.5 %
            return now
        last = now
    return last


class Start:
    """One launch: milestones (seconds after launch) and idle memory (KiB)."""

    def __init__(self, argv: list[str], env: dict[str, str], memory: bool) -> None:
        fd, trace = tempfile.mkstemp(prefix="wd-trace-")
        os.close(fd)
        env = {**env, "WRITER_DESKTOP_TRACE_START": trace}
        started = time.time()
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)  # fmt: skip
        try:
            marks = wait_for(proc, Path(trace), ("first_paint", "ready"))
            self.first_paint = marks["first_paint"] - started
            self.ready = marks["ready"] - started
            self.rss = idle_rss(proc.pid) if memory else 0
        finally:
            stop(proc)
            Path(trace).unlink(missing_ok=True)


def wait_for(
    proc: subprocess.Popen[bytes], trace: Path, milestones: tuple[str, ...]
) -> dict[str, float]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        marks: dict[str, float] = {}
        for line in trace.read_text().splitlines():
            name, _, value = line.partition(" ")
            marks.setdefault(name, float(value))
        if all(m in marks for m in milestones):
            return marks
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"exited with {proc.returncode} before {milestones}: {err}")
        time.sleep(0.005)
    raise RuntimeError(f"no {milestones} within 60 s")


def figures(runs: int = 5, count: int = 10_000, platform: str = "") -> list[Figure]:
    from tests.fake_writer import FakeWriter

    platform = platform or ("xcb" if shutil.which("Xvfb") else "offscreen")
    compile_bytecode()  # the app as installed: no module compiled from source at each start
    base = Path(tempfile.mkdtemp(prefix="wd-startup-"))
    try:
        home = base / "home"
        reopen = build_home(home, count)
        with FakeWriter() as srv, display(platform) as screen:
            env = {
                **os.environ, **screen,
                "WRITER_DESKTOP_HOME": str(home), "WRITER_API_KEY": "test-key",
                "WRITER_BASE_URL": srv.base_url,
            }  # fmt: skip
            env.pop("WRITER_DESKTOP_LOG_LEVEL", None)
            app = [sys.executable, "-m", "writer_desktop"]  # this checkout (cwd=ROOT)
            bare = [sys.executable, "-c", BARE]
            minimal = [sys.executable, "-c", MINIMAL]
            stack = [sys.executable, "-c", MINIMAL_STACK]
            remember(home, reopen)
            Start(app, env, memory=True)  # builds the listing cache and the search index
            apps, bares, minimals, stacks = [], [], [], []
            for _ in range(runs):
                remember(home, reopen)
                bares.append(Start(bare, env, memory=True))
                apps.append(Start(app, env, memory=True))
                minimals.append(Start(minimal, env, memory=True))
                stacks.append(Start(stack, env, memory=True))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    bare_paint = median([s.first_paint for s in bares])
    app_paint = median([s.first_paint for s in apps])
    app_ready = median([s.ready for s in apps])
    minimal_paint = median([s.first_paint for s in minimals])
    minimal_rss = median([s.rss for s in minimals]) / 1024
    stack_rss = median([s.rss for s in stacks]) / 1024
    bare_rss = median([s.rss for s in bares]) / 1024
    app_rss = median([s.rss for s in apps]) / 1024
    paint_ratio = app_paint / bare_paint
    rss_ratio = app_rss / bare_rss
    where = f"{platform}, median of {runs}"
    return [
        Figure(
            1, f"first paint, {count:,} conversations ÷ bare window", paint_ratio, "×", "≤ 1.3",
            paint_ratio <= 1.3,
            f"app {app_paint * 1000:.0f} ms (conversation shown at {app_ready * 1000:.0f} ms) "
            f"vs bare {bare_paint * 1000:.0f} ms; a minimal plain-PySide6 chat window (list, "
            f"text boxes, menus) {minimal_paint * 1000:.0f} ms = "
            f"{minimal_paint / bare_paint:.2f} × bare; {where}",
        ),
        Figure(
            6, f"idle memory, {count:,} conversations ÷ bare window", rss_ratio, "×", "≤ 1.5",
            rss_ratio <= 1.5,
            f"app {app_rss:.0f} MiB vs bare {bare_rss:.0f} MiB RSS; the minimal chat window "
            f"{minimal_rss:.0f} MiB = {minimal_rss / bare_rss:.2f} × bare, with qasync and an "
            f"httpx client {stack_rss:.0f} MiB = {stack_rss / bare_rss:.2f} × bare; {where}",
        ),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--platform", choices=["xcb", "offscreen"], default="")
    args = parser.parse_args()
    for fig in figures(args.runs, args.count, args.platform):
        print(f"{fig.number}  {fig.what}: {fig.value:.2f} {fig.unit} (target {fig.target}, "
              f"{'ok' if fig.ok else 'MISSED'}) — {fig.detail}")  # fmt: skip


if __name__ == "__main__":
    main()
