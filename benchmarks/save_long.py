"""Saving a long conversation again (at a send and at each reply's end, on the GUI thread): the
store's cached encoder (``codec.Encoder``) against encoding the whole conversation each time.

Usage: ``python benchmarks/save_long.py [--runs 7]``. A real store in a temporary folder; for each
size the reply at the end grows by a word before each save (as when a reply ends), and each save
is timed whole (encode, atomic write with fsync, the listing cache). Both ways alternate in one
process; prints the median per size and the ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from writer_desktop.core import codec  # noqa: E402
from writer_desktop.core.models import Conversation, Message, Role  # noqa: E402
from writer_desktop.core.store import ConversationStore  # noqa: E402

WORDS = ["the", "model", "cache", "index", "reply", "stream", "token", "window", "sidebar",
         "search", "export", "draft", "key"]  # fmt: skip
SIZES = (20, 200, 2_000, 10_000)


class Whole(codec.Encoder):
    """Encodes the whole conversation every time, as the store did before."""

    def encode(self, conv: Conversation) -> bytes:
        return codec.encode(conv)


def conversation(size: int, rng: random.Random) -> Conversation:
    conv = Conversation(title=f"{size} messages")
    for i in range(size):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        conv.messages.append(Message(role, " ".join(rng.choice(WORDS) for _ in range(120))))
    return conv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = ConversationStore(root, root / "cache")
        store.open()
        cached, whole = codec.Encoder(), Whole()
        print("| messages | whole (ms) | cached (ms) | whole ÷ cached |\n|---:|---:|---:|---:|")
        for size in SIZES:
            conv = conversation(size, rng)
            times: dict[str, list[float]] = {"whole": [], "cached": []}
            for encoder in (cached, whole):  # untimed: the file exists, the cache is warm
                store._encoder = encoder
                store.save(conv)
            for _ in range(args.runs):
                for name, encoder in (("whole", whole), ("cached", cached)):
                    store._encoder = encoder
                    conv.messages[-1].content += " more"
                    start = time.perf_counter()
                    store.save(conv)
                    times[name].append(time.perf_counter() - start)
            a, b = statistics.median(times["whole"]), statistics.median(times["cached"])
            print(f"| {size:,} | {a * 1000:.1f} | {b * 1000:.1f} | {a / b:.1f} × |")
        store.close()


if __name__ == "__main__":
    main()
