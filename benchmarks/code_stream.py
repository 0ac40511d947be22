"""How a long code block streams: the chat view's flush time as the block grows.

Usage: ``python benchmarks/code_stream.py [--runs 3] [--lines 600,1500]``. Each measurement is a
fresh offscreen process: a 900×700 ``ChatView`` gets a reply that is one Python code block,
200 characters per flush (about 1,000 tokens a second at the app's 25 renders a second), and
each flush is timed. Three ways: ``app`` as it is (a long open block's finished lines are
rendered once as parts of their own, ``chat_stream.CODE_COMMIT``, and the open rest is
highlighted from a cached prefix, ``render.CodeHighlighter``); ``parts`` without the cached
prefix; ``whole`` with neither, as before both (the whole block rendered and highlighted at every
flush). Not one of
issue 7's figures: context for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import child_json  # noqa: E402

STEP = 200  # characters a flush


MODES = ("app", "parts", "whole")


def child(lines: int, mode: str) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from writer_desktop.core.models import Conversation, Message, Role, Status
    from writer_desktop.ui import chat_stream
    from writer_desktop.ui.chat_view import ChatView
    from writer_desktop.ui.render import CodeHighlighter

    if mode != "app":
        CodeHighlighter.CHECKPOINT = 10**12  # never keeps a prefix: the whole block each time
    if mode == "whole":
        chat_stream.CODE_COMMIT = 10**12  # never commits an open block's lines
    code = "Here is the code:\n\n```python\n" + "".join(
        f"def function_{i}(x: int) -> int:\n    return x * {i} + len('text {i}')\n"
        for i in range(lines // 2)
    )
    view = ChatView()
    view.resize(900, 700)
    view.show()
    conv = Conversation(messages=[Message(Role.USER, "Write the code.")])
    view.show_conversation(conv)
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    view.add_message(conv.id, reply)
    app.processEvents()
    flushes: list[float] = []
    for i in range(0, len(code), STEP):
        view.append_delta(conv.id, reply.id, code[i : i + STEP])
        started = time.perf_counter()
        view._flush()  # what the flush timer does
        view.viewport().repaint()
        flushes.append((time.perf_counter() - started) * 1000)
        app.processEvents()
    return {
        "median": statistics.median(flushes),
        "last": statistics.median(flushes[-10:]),
        "total": sum(flushes) / 1000,
    }


def measure(lines: int, mode: str) -> dict[str, float]:
    args = ["--child", str(lines), "--mode", mode]
    result: dict[str, float] = child_json(__file__, args, 600, f"{mode} run")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines", default="600,1500")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, default="app", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.mode)))
        return
    print(
        f"a Python code block streamed {STEP} characters a flush; median of {args.runs} processes"
    )
    print(f"{'lines':>6s} {'mode':7s} {'flush median':>13s} {'last 10':>9s} {'all flushes':>12s}")
    for lines in (int(n) for n in args.lines.split(",")):
        for mode in MODES:
            runs = [measure(lines, mode) for _ in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"{lines:6d} {mode:7s} {med['median']:10.1f} ms "
                  f"{med['last']:6.1f} ms {med['total']:10.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
