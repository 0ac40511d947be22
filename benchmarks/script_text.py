"""How fast long Chinese, Japanese and Latin replies show, with and without the named Han fallback.

Usage: ``python benchmarks/script_text.py [--runs 5] [--chars 50000]``. Each measurement is a
fresh offscreen process (Qt's font caches are per process): a 900×700 ``ChatView`` shows a
conversation whose reply is ``--chars`` characters of one kind of text, until it is painted. The
app names the font Qt falls back to for Han text (``writer_desktop/ui/script_fonts.py``); the
``qt's own`` column turns that off, so Qt looks the fallback up as it lays the text out. Not one
of issue 7's figures: context for docs/performance.md.
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

TEXTS = {
    "Chinese": "这是中文的句子，包括标点符号。",
    "Japanese": "日本語の文章です。漢字とかなが混ざっています。",
    "Latin": "The quick brown fox jumps over the lazy dog. ",
}


def child(kind: str, chars: int, named: bool) -> float:
    """Milliseconds from ``show_conversation`` until the view has painted."""
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    import writer_desktop.ui.chat_view as chat_view
    from writer_desktop.core.models import Conversation, Message, Role

    if not named:
        setattr(chat_view, "han_fallback", lambda _font: None)  # noqa: B010 (mypy: not exported)
    view = chat_view.ChatView()
    view.resize(900, 700)
    view.show()
    app.processEvents()
    unit = TEXTS[kind]
    reply = (unit * (chars // len(unit) + 1))[:chars]
    conv = Conversation(messages=[Message(Role.USER, "Write at length."),
                                  Message(Role.ASSISTANT, reply)])  # fmt: skip
    started = time.perf_counter()
    view.show_conversation(conv)
    view.viewport().repaint()
    app.processEvents()
    return (time.perf_counter() - started) * 1000


def measure(kind: str, chars: int, named: bool) -> float:
    args = ["--child", kind, "--chars", str(chars)] + ([] if named else ["--qt-own"])
    result: float = child_json(__file__, args, 300, f"{kind} run")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--child", choices=list(TEXTS), help=argparse.SUPPRESS)
    parser.add_argument("--qt-own", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.chars, named=not args.qt_own)))
        return
    print(f"{args.chars:,} characters shown in a ChatView, median of {args.runs} fresh processes")
    print(f"{'text':10s} {'named':>10s} {'qt own':>10s} {'ratio':>7s}")
    for kind in TEXTS:
        named, own = [], []
        for _ in range(args.runs):  # interleaved
            named.append(measure(kind, args.chars, named=True))
            own.append(measure(kind, args.chars, named=False))
        a, b = statistics.median(named), statistics.median(own)
        print(f"{kind:10s} {a:8.0f} ms {b:8.0f} ms {b / a:6.1f}×")


if __name__ == "__main__":
    main()
