"""Decoding and parsing figure 2's reply alone: 20,000 of Writer's chunks, no network, no view.

Usage: ``python benchmarks/stream_parse.py``. Encodes the reply as the fake server sends it
(``tests.fake_writer``: one chunk per token, Writer's full chunk shape, ~390 bytes each), then
feeds it to :class:`~writer_desktop.core.sse.SSEDecoder` and
:class:`~writer_desktop.core.stream.ChunkParser` in 4 KiB and 64 KiB pieces; prints the best of 7
for each. 2026-11-27, alternated twice: 74–75 ms (64 KiB) with frozen dataclasses for events and
deltas, 65–68 ms without.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fake_writer.sse import ChunkEncoder  # noqa: E402
from tests.fake_writer.texts import token_stream  # noqa: E402
from writer_desktop.core.sse import SSEDecoder  # noqa: E402
from writer_desktop.core.stream import ChunkParser  # noqa: E402

TOKENS = 20_000


def body() -> bytes:
    encoder = ChunkEncoder("palmyra-x5", "\n", random.Random(1))
    events = [encoder.chunk(token) for token in token_stream(TOKENS)]
    return b"".join([*events, encoder.chunk("", "stop"), encoder.done()])


def parse(pieces: list[bytes]) -> int:
    decoder, parser, deltas = SSEDecoder(), ChunkParser(), 0
    for raw in pieces:
        for event in decoder.decode(raw):
            deltas += len(parser.feed(event))
    return deltas


def main() -> None:
    data = body()
    print(f"{TOKENS:,} chunks, {len(data) / TOKENS:.0f} bytes each")
    for size in (4096, 65536):
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        best = float("inf")
        for _ in range(7):
            start = time.perf_counter()
            parse(pieces)
            best = min(best, time.perf_counter() - start)
        print(f"{size // 1024:>3} KiB pieces: {best * 1000:.1f} ms")


if __name__ == "__main__":
    main()
