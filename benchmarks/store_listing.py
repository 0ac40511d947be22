"""How fast the sidebar can be filled: ``ConversationStore.open()`` + ``list()`` on many files.

Usage: ``python benchmarks/store_listing.py [--count 10000] [--repeat 3]``. Creates small
conversations in a temporary folder and prints the best of ``--repeat`` runs for: no index (every
file parsed), a warm index, a warm index with 1% of the files changed behind its back, and
``list()`` alone. The OS file cache is warm in every case.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from writer_desktop.core.codec import encode
    from writer_desktop.core.models import Conversation, Message, Role
    from writer_desktop.core.store import INDEX_NAME, ConversationStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="store-bench-"))
    root, cache = base / "data", base / "cache"
    try:
        folder = root / "conversations"
        folder.mkdir(parents=True)
        ids = []
        for i in range(args.count):
            conv = Conversation(
                title=f"Conversation {i}",
                model="palmyra-x5",
                messages=[
                    Message(Role.USER, f"Question {i}: how do I write a haiku?"),
                    Message(Role.ASSISTANT, "Five, seven, five syllables. " * 4),
                ],
            )
            (folder / f"{conv.id}.json").write_bytes(encode(conv))
            ids.append(conv.id)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20

        def open_and_list() -> int:
            with ConversationStore(root, cache) as store:
                return len(store.list())

        def cold() -> int:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{cache / INDEX_NAME}{suffix}").unlink(missing_ok=True)
            return open_and_list()

        def stale() -> int:
            for conv_id in ids[::100]:
                path = folder / f"{conv_id}.json"
                st = path.stat()
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
            return open_and_list()

        def list_only() -> int:
            with ConversationStore(root, cache) as store:
                started = time.perf_counter()
                store.list()
                return int((time.perf_counter() - started) * 1e9)

        rows: list[tuple[str, float]] = []
        for label, run in [
            ("open()+list(), no index (parse all)", cold),
            ("open()+list(), warm index", open_and_list),
            ("open()+list(), warm, 1% changed", stale),
        ]:
            rows.append((label, best(run, args.repeat)))
        rows.append(("list() alone, warm", min(list_only() for _ in range(args.repeat)) / 1e9))
        print(f"{args.count} conversations, {size:.1f} MiB, Python {sys.version.split()[0]}")
        print(f"{'case':40} {'best of ' + str(args.repeat):>12}")
        for label, seconds in rows:
            print(f"{label:40} {seconds * 1000:9.1f} ms")
    finally:
        shutil.rmtree(base)


def best(run: Callable[[], int], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


if __name__ == "__main__":
    main()
