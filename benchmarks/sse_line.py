"""Decoding one long unbroken line (a hostile or broken server): time grows with its length only.

Usage: ``python benchmarks/sse_line.py``. Feeds ``data: `` and then 16 KiB pieces with no line
ending to :class:`~writer_desktop.core.sse.SSEDecoder`, then the blank line; prints the time for
5, 10 and 20 MB (median of 3). Quadratic before 2026-11-26 (0.41 / 1.47 / 6.33 s), linear since.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from writer_desktop.core.sse import SSEDecoder  # noqa: E402

PIECE = b"x" * 16384


def decode_seconds(megabytes: int) -> float:
    decoder = SSEDecoder()
    started = time.perf_counter()
    decoder.decode(b"data: ")
    for _ in range(megabytes * 64):
        decoder.decode(PIECE)
    [event] = decoder.decode(b"\n\n")
    assert len(event.data) == megabytes * 64 * len(PIECE)
    return time.perf_counter() - started


def main() -> None:
    print("| line | decode (median of 3) |\n|---:|---:|")
    for megabytes in (5, 10, 20):
        seconds = statistics.median(decode_seconds(megabytes) for _ in range(3))
        print(f"| {megabytes} MB | {seconds:.3f} s |")


if __name__ == "__main__":
    main()
