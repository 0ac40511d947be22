"""The chat's scroll bar while a reply streams: what a repaint of it costs, drawn where the
handle moved (``QuietScrollBar``) against drawn whole (Qt's own way).

Usage: ``python benchmarks/scroll_bar.py [--seconds 6] [--runs 3]``. The real chat view,
offscreen, 800 × 700, gets a 50-word delta every 50 ms (a flush's worth at 1,000 tokens/s) for
``--seconds``, following the reply at the bottom; every paint of the vertical scroll bar is timed.
Each mode runs in fresh processes, alternated, ``--runs`` times; prints the median time a paint
and per second of streaming, and how many paints there were.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = ["the", "model", "cache", "index", "reply", "stream", "token", "window", "sidebar",
         "search", "export", "draft", "key"]  # fmt: skip


def measure(mode: str, seconds: float) -> dict[str, float]:
    """One run in this process; ``mode`` "whole" draws the bar whole at every move."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from writer_desktop.core.models import Conversation, Message, Role, Status
    from writer_desktop.ui import chat_scroll
    from writer_desktop.ui.chat_view import ChatView

    if mode == "whole":
        chat_scroll.changed_rect = lambda drawn, looks: None
    spent: list[float] = []
    paint = chat_scroll.QuietScrollBar.paintEvent

    def timed(self: chat_scroll.QuietScrollBar, event: object) -> None:
        start = time.perf_counter()
        paint(self, event)  # type: ignore[arg-type]
        spent.append(time.perf_counter() - start)

    chat_scroll.QuietScrollBar.paintEvent = timed  # type: ignore[method-assign]
    app = QApplication.instance() or QApplication([])
    view = ChatView()
    view.resize(800, 700)
    view.show()
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    conv = Conversation(messages=[Message(Role.USER, "go"), reply])
    view.show_conversation(conv)
    started, n = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(50))
        view.append_delta(conv.id, reply.id, words + (".\n\n" if n % 7 == 0 else " "))
        n += 1
        until = time.perf_counter() + 0.05
        while time.perf_counter() < until:
            app.processEvents()
            time.sleep(0.002)
    return {"paints": len(spent), "total": sum(spent), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=("moved", "whole"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.seconds)))
        return
    results: dict[str, list[dict[str, float]]] = {"moved": [], "whole": []}
    for _ in range(args.runs):
        for mode in results:
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, "--seconds", str(args.seconds)],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| drawn | paints | a paint | per second of streaming |")
    print("|---|---|---|---|")
    for mode, runs in results.items():
        each = statistics.median(r["total"] / max(r["paints"], 1) for r in runs) * 1000
        per_second = statistics.median(r["total"] / r["seconds"] for r in runs) * 1000
        paints = statistics.median(r["paints"] for r in runs)
        label = "where the handle moved" if mode == "moved" else "whole (Qt's way)"
        print(f"| {label} | {paints:.0f} | {each:.2f} ms | {per_second:.1f} ms |")


if __name__ == "__main__":
    main()
