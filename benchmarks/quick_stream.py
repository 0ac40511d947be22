"""The quick prompt's answer while it streams: does a flush cost the same at the end of a long
answer as at its start?

Usage: ``python benchmarks/quick_stream.py [--tokens 10000] [--runs 3]``. Feeds ≈1-word deltas
into the quick prompt (``QuickPrompt.append_delta``) and flushes every 50 of them, as the 50 ms
flush timer does at 1,000 tokens/s; each flush's events are processed (layout and paint,
offscreen). Costs are this thread's CPU time, median of ``--runs`` fresh processes. Prints the
total, a flush's cost over the first and the last 10 % and their ratio, and the CPU that would be
at 1,000 tokens/s (total ÷ the reply's duration at that rate).
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
PER_FLUSH = 50  # deltas per 50 ms flush at 1,000 tokens/s
TEXT = "Lorem ipsum dolor sit amet, café au lait — a **bold** word, `code` and plain text"
WORDS = TEXT.split(" ")


def measure(tokens: int) -> dict[str, float]:
    """One run in this process: the total and every flush's CPU seconds."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from writer_desktop.ui.quick_prompt import QuickPrompt

    app = QApplication.instance() or QApplication([])
    prompt = QuickPrompt()
    prompt.show_prompt("Tell me everything")
    prompt.start_reply("conv", "reply")
    app.processEvents()
    costs: list[float] = []
    started = time.process_time()
    for first in range(0, tokens, PER_FLUSH):
        for i in range(first, min(tokens, first + PER_FLUSH)):
            end = ".\n\n" if i % 40 == 39 else " "  # a paragraph every 40 words
            prompt.append_delta("conv", "reply", WORDS[i % len(WORDS)] + end)
        before = time.process_time()
        prompt._flush()  # what the flush timer calls
        app.processEvents()
        costs.append(time.process_time() - before)
    total = time.process_time() - started
    tenth = max(1, len(costs) // 10)
    return {
        "total": total,
        "first": statistics.mean(costs[:tenth]),
        "last": statistics.mean(costs[-tenth:]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.tokens)))
        return
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--tokens", str(args.tokens)],
            cwd=ROOT, capture_output=True, text=True, check=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )  # fmt: skip
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    total = statistics.median(r["total"] for r in runs)
    first = statistics.median(r["first"] for r in runs)
    last = statistics.median(r["last"] for r in runs)
    seconds = args.tokens / 1000
    print(f"| quick prompt, {args.tokens:,} tokens | median of {args.runs} |")
    print("|---|---|")
    print(f"| total CPU | {total:.2f} s |")
    print(f"| a flush, first 10 % | {first * 1000:.1f} ms |")
    print(f"| a flush, last 10 % | {last * 1000:.1f} ms ({last / first:.2f} × the first) |")
    print(f"| CPU at 1,000 tokens/s | {100 * total / seconds:.1f} % of a core |")


if __name__ == "__main__":
    main()
