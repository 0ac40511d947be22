"""How fast search feels: the search panel over ``SearchService`` and many conversations.

Usage: ``python benchmarks/search_ui.py [--count 10000] [--messages 20] [--seed 7]``. Builds
the corpus of ``benchmarks/search.py``, opens a ``SearchPanel`` (offscreen unless
``QT_QPA_PLATFORM`` says otherwise) and starts the service. While the first sync runs it asks a
few queries and watches the GUI thread (a 5 ms timer: the longest gap between its ticks is the
worst stutter). Then it times each query from the end of the debounce (the query is sent) to the
hits being on screen, ``--repeat`` times. Keystroke to results = debounce (150 ms) + that.
Target: median ≤ 50 ms, p95 ≤ 150 ms, no GUI gap over 50 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.search import QUERIES, build_corpus  # noqa: E402


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from writer_desktop.core.readonly import ReadOnlyStore
    from writer_desktop.core.search import SEARCH_NAME
    from writer_desktop.core.search_service import SearchService
    from writer_desktop.ui.search_panel import SearchPanel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    base = Path(tempfile.mkdtemp(prefix="search-ui-bench-"))
    service = SearchService(base / SEARCH_NAME, ReadOnlyStore(base / "conversations"))
    panel = SearchPanel(service)
    try:
        (base / "conversations").mkdir()
        build_corpus(base / "conversations", args.count, args.messages, args.seed)
        panel.resize(360, 640)
        panel.show()

        def ask(text: str) -> float:
            """Send ``text`` as the debounce would; the ms until its hits are shown."""
            loop = QEventLoop()
            panel.results_shown.connect(loop.quit)
            QTimer.singleShot(30_000, loop.quit)
            panel.field.setText(text)
            panel.run_query()
            loop.exec()
            panel.results_shown.disconnect(loop.quit)
            return panel.latency_ms

        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append((now - last[0]) * 1000)
            last[0] = now

        ticker = QTimer()
        ticker.setInterval(5)
        ticker.timeout.connect(tick)
        ticker.start()
        started = time.perf_counter()
        service.start()
        during = [ask(q) for q in ("water", "sourdough starter", "東京", "kube")]
        while service.indexing:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        sync_s = time.perf_counter() - started
        ticker.stop()
        app.processEvents()

        timings: list[float] = []
        for query in QUERIES:
            timings += [ask(query) for _ in range(args.repeat)]
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
        rows = [
            ("conversations × messages", f"{args.count} × {args.messages}"),
            ("first sync (in the background)", f"{sync_s:.1f} s"),
            ("longest GUI-thread gap during sync", f"{max(gaps, default=0):.0f} ms"),
            ("queries during sync (ms)", ", ".join(f"{ms:.0f}" for ms in during)),
            ("queries × repeats", f"{len(QUERIES)} × {args.repeat}"),
            ("median, query sent → hits shown", f"{statistics.median(timings):.1f} ms"),
            ("p95, query sent → hits shown", f"{p95:.1f} ms"),
            ("median, keystroke → hits shown", f"{statistics.median(timings) + 150:.0f} ms"),
        ]
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"{label:<{width}}  {value}")
    finally:
        panel.close()
        service.close()
        panel.deleteLater()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
