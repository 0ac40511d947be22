"""How fast a long conversation opens: ``ChatView.show_conversation`` until the first paint.

Usage: ``QT_QPA_PLATFORM=offscreen python benchmarks/open_conversation.py [--repeat 5]
[--sizes 100,500,2000]``. Builds conversations of a realistic mix (paragraphs, lists, code blocks,
~150 words a message on average), opens each in a 900×700 view, paints it, and prints the median
of ``--repeat`` runs next to a baseline: an empty QTextBrowser showing one message.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Figure, median  # noqa: E402

if TYPE_CHECKING:
    from writer_desktop.core.models import Conversation
    from writer_desktop.ui.chat_view import ChatView

# fmt: off
WORDS = [
    "the", "model", "writes", "a", "short", "answer", "about", "data", "tables", "queries",
    "latency", "python", "code", "review", "release", "notes", "customer", "summary", "cache",
    "index", "token", "stream", "window", "layout", "render", "test",
]
# fmt: on


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def message_text(rng: random.Random, user: bool) -> str:
    """About 40 words for a question, about 260 for an answer: ~150 on average."""
    if user:
        return " ".join(_sentence(rng, rng.randint(8, 14)) for _ in range(3))
    parts: list[str] = []
    while sum(len(p.split()) for p in parts) < 240:
        kind = rng.random()
        if kind < 0.5:
            parts.append(" ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(3)))
        elif kind < 0.75:
            parts.append("\n".join(f"- {_sentence(rng, rng.randint(4, 9))}" for _ in range(4)))
        else:
            body = "\n".join(
                f"    result = compute_{rng.choice(WORDS)}(x, {i})  # {rng.choice(WORDS)}"
                for i in range(rng.randint(3, 8))
            )
            parts.append(f"```python\ndef f(x):\n{body}\n    return result\n```")
    return "\n\n".join(parts)


def build(count: int, seed: int = 1) -> Conversation:
    from writer_desktop.core.models import Conversation, Message, Role

    rng = random.Random(seed)
    messages = [
        Message(
            Role.USER if i % 2 == 0 else Role.ASSISTANT,
            message_text(rng, i % 2 == 0),
            model=None if i % 2 == 0 else "palmyra-x5",
        )
        for i in range(count)
    ]
    return Conversation(title=f"{count} messages", messages=messages)


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from PySide6.QtWidgets import QTextBrowser

    from writer_desktop.ui.render import make_markdown, message_html

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="100,500,2000")
    args = parser.parse_args()
    from writer_desktop.ui.chat_view import ChatView

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    md = make_markdown()
    one = build(2).messages[1]

    def timed(browser: QTextBrowser, show: Callable[[], None]) -> float:
        """Milliseconds from ``show()`` to the first paint, in a fresh, shown 900×700 widget."""
        browser.resize(900, 700)
        browser.show()
        app.processEvents()
        start = time.perf_counter()
        show()
        browser.viewport().repaint()
        app.processEvents()
        elapsed = (time.perf_counter() - start) * 1000
        browser.deleteLater()
        app.processEvents()
        return elapsed

    def baseline() -> tuple[float, int]:
        browser = QTextBrowser()
        return timed(browser, lambda: browser.setHtml(message_html(md, one))), 1

    def opener(conv: Conversation) -> Callable[[], tuple[float, int]]:
        def open_it() -> tuple[float, int]:
            view = ChatView()
            elapsed = timed(view, lambda: view.show_conversation(conv))
            count = getattr(view, "rendered_count", lambda: len(conv.messages))()
            return elapsed, count

        return open_it

    baseline()  # warm up: fonts, Pygments' lexers
    cases = [("baseline: one message, plain QTextBrowser", 1, baseline)]
    for size in (int(s) for s in args.sizes.split(",")):
        conv = build(size)
        words = sum(len(m.content.split()) for m in conv.messages) / size
        cases.append((f"open {size} messages (~{words:.0f} words each)", size, opener(conv)))
    print(f"{'case':<44} {'messages':>8} {'rendered':>8} {'median ms':>10}")
    for name, count, run in cases:
        results = [run() for _ in range(args.repeat)]
        ms = statistics.median(r[0] for r in results)
        print(f"{name:<44} {count:>8} {results[-1][1]:>8} {ms:>10.1f}")
    if hasattr(ChatView, "rendered_count"):
        scroll_to_top(app, ChatView(), build(max(c[1] for c in cases)))


def scroll_to_top(app: QApplication, view: ChatView, conv: Conversation) -> None:
    """Hold the scroll bar at the top until every message is rendered; time each event pass."""
    view.resize(900, 700)
    view.show()
    view.show_conversation(conv)
    app.processEvents()
    passes: list[float] = []
    bar = view.verticalScrollBar()
    while view.rendered_count() < len(conv.messages) and len(passes) < 100_000:
        bar.setValue(0)
        start = time.perf_counter()
        app.processEvents()
        passes.append((time.perf_counter() - start) * 1000)
    busy = [p for p in passes if p > 0.5]
    print(
        f"\nscrolled to the top of {len(conv.messages)} messages: {len(busy)} chunks, "
        f"median {statistics.median(busy):.1f} ms, worst {max(busy):.1f} ms, "
        f"total {sum(passes):.0f} ms"
    )


def figures(runs: int = 5, size: int = 2000) -> list[Figure]:
    """Figure 4: a saved ``size``-message conversation from the store to the view's first paint.

    Each run reads the file (``ConversationStore.load``: parse and build the messages), shows it in
    a fresh 900×700 chat view and paints it, as a click in the sidebar does.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import tempfile

    from writer_desktop.core.store import ConversationStore
    from writer_desktop.ui.chat_view import ChatView

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    conv = build(size)
    loads: list[float] = []
    totals: list[float] = []
    with (
        tempfile.TemporaryDirectory(prefix="wd-open-") as tmp,
        ConversationStore(Path(tmp) / "data", Path(tmp) / "cache") as store,
    ):
        store.save(conv)
        for i in range(runs + 1):  # the first run warms fonts and Pygments' lexers
            view = ChatView()
            view.resize(900, 700)
            view.show()
            app.processEvents()
            start = time.perf_counter()
            loaded = store.load(conv.id)
            read = time.perf_counter()
            view.show_conversation(loaded)
            view.viewport().repaint()
            app.processEvents()
            done = time.perf_counter()
            view.deleteLater()
            app.processEvents()
            if i:
                loads.append((read - start) * 1000)
                totals.append((done - start) * 1000)
    value = median(totals)
    return [
        Figure(4, f"open a {size:,}-message conversation to first paint", value, "ms",
               "≤ 200", value <= 200,
               f"of which reading the file {median(loads):.0f} ms; median of {runs}"),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
