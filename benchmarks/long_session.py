"""A long session: does the app's memory stay flat as replies stream and conversations open?

Usage: ``python benchmarks/long_session.py [--rounds 6] [--replies 10]``. The real main window
(``open_main_window``, offscreen) against the fake server in a process of its own: each round
streams ``--replies`` replies of 2,000 tokens (a new conversation every fifth), then opens every
saved conversation once; resident memory is read after each round, once the garbage collector
has run. Prints one row a round and the growth from the first round to the last, per reply.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKENS = 2000


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--replies", type=int, default=10)
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.pop("WRITER_DESKTOP_HOME", None)
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from benchmarks.streaming import fake_server
    from tests.fake_writer.server import FakeWriter
    from tests.gui.harness import main_window, run_scenario, send, until
    from writer_desktop.core.store import ConversationStore

    app = QApplication.instance() or QApplication([])
    rows: list[tuple[int, int, float]] = []

    async def session(url: str, home: Path) -> None:
        store = ConversationStore(home / "data", home / "cache")
        store.open()
        try:
            async with main_window(FakeWriter(), store, home, base_url=url) as window:
                window.resize(1000, 700)
                window.show()
                replies = 0
                for _ in range(args.rounds):
                    for i in range(args.replies):
                        if i % 5 == 0:
                            window.new_action.trigger()
                        await send(window, f"/tokens {TOKENS}")
                        await until(lambda: window.composer.button.text() == "Stop", 10)
                        await until(lambda: window.composer.button.text() == "Send", 120)
                        replies += 1
                    ids = [s.id for s in store.list()]
                    for conv_id in ids:
                        window.controller.open_conversation(conv_id)
                        await asyncio.sleep(0.02)  # drawn
                    gc.collect()
                    await asyncio.sleep(0.5)
                    rows.append((replies, len(ids), rss_mib()))
                    print(f"| {replies} | {len(ids)} | {rows[-1][2]:.1f} MiB |", flush=True)
        finally:
            store.close()

    print("| replies streamed | conversations opened | resident memory |")
    print("|---|---|---|")
    with fake_server() as url, tempfile.TemporaryDirectory() as tmp:
        run_scenario(session(url, Path(tmp)))
    assert app is not None
    if len(rows) > 1:
        (first_replies, _, first), (last_replies, _, last) = rows[0], rows[-1]
        per = (last - first) * 1024 / (last_replies - first_replies)
        print(f"\ngrowth after the first round: {last - first:+.1f} MiB, {per:+.1f} KiB a reply")


if __name__ == "__main__":
    main()
