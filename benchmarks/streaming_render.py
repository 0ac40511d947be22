"""Streaming stays linear: 20,000 small deltas into one reply, with the flush timer running.

Usage: ``QT_QPA_PLATFORM=offscreen python benchmarks/streaming_render.py [--tokens 20000]
[--batch 100]``. Feeds ≈4-character deltas of Markdown (paragraphs, lists, code fences) as fast as
possible, then processes events until the ~30/s flush timer has fired, so every ``--batch`` deltas
cost one tail re-render, as in a fast stream. Time spent waiting for the timer is excluded: costs
are this thread's CPU time. Prints the total, the cost per delta in the first and the last 10 %,
the worst single event pass (≈ the worst tail re-render) and the render when the reply completes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

SAMPLE = (
    "Here is how the cache works, step by step, with the details that matter.\n\n"
    "- the index is read once at start-up\n- changed files are parsed again\n"
    "- deleted files drop out of the list\n\n"
    "```python\ndef load(path: Path) -> dict[str, int]:\n    with path.open() as f:\n"
    "        return {line: len(line) for line in f}\n```\n\n"
    "A paragraph that goes on for a while, **with emphasis**, `inline code` and a "
    "[link](https://writer.com) so the renderer has some inline work to do as well.\n\n"
)


def deltas(count: int, size: int = 4) -> list[str]:
    text = SAMPLE * (count * size // len(SAMPLE) + 1)
    return [text[i * size : (i + 1) * size] for i in range(count)]


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from PySide6.QtWidgets import QApplication

    from writer_desktop.core.models import Conversation, Message, Role, Status
    from writer_desktop.ui.chat_view import FLUSH_MS, ChatView
    from writer_desktop.ui.render import make_markdown

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)

    make_markdown().render(SAMPLE)  # warm up: Pygments loads its Python lexer on first use
    view = ChatView()
    view.resize(900, 700)
    view.show()
    tail = Message(Role.ASSISTANT, "", status=Status.STREAMING, model="palmyra-x5")
    conv = Conversation(messages=[Message(Role.USER, "Explain the cache."), tail])
    view.show_conversation(conv)
    app.processEvents()
    pieces = deltas(args.tokens)
    stamps: list[float] = []  # CPU time after each delta (and its batch's events)
    worst = 0.0

    def let_timer_fire() -> None:
        nonlocal worst
        deadline = time.perf_counter() + (FLUSH_MS + 3) / 1000
        while time.perf_counter() < deadline:
            before = time.thread_time()
            app.processEvents()
            worst = max(worst, time.thread_time() - before)
            time.sleep(0.001)

    start = time.thread_time()
    for i, piece in enumerate(pieces, 1):
        view.append_delta(conv.id, tail.id, piece)
        if i % args.batch == 0 or i == len(pieces):
            let_timer_fire()
        stamps.append(time.thread_time())
    total = time.thread_time() - start
    tenth = len(pieces) // 10
    first = (stamps[tenth - 1] - start) / tenth
    last = (stamps[-1] - stamps[-tenth - 1]) / tenth
    final_start = time.thread_time()
    tail.content = view.message_text(tail.id)
    tail.status = Status.COMPLETE
    view.update_message(conv.id, tail)
    view.viewport().repaint()
    final = time.thread_time() - final_start
    assert view.message_text(tail.id) == "".join(pieces)

    rows = [
        ("deltas", f"{len(pieces)}"),
        ("characters", f"{len(''.join(pieces))}"),
        ("batch (deltas per re-render)", f"{args.batch}"),
        ("total CPU", f"{total * 1000:.0f} ms"),
        ("per delta, first 10 %", f"{first * 1e6:.1f} µs"),
        ("per delta, last 10 %", f"{last * 1e6:.1f} µs"),
        ("worst event pass (≈ tail re-render)", f"{worst * 1000:.1f} ms"),
        ("final full render (complete)", f"{final * 1000:.1f} ms"),
    ]
    for name, value in rows:
        print(f"{name:<40} {value:>12}")


if __name__ == "__main__":
    main()
