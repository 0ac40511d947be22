"""``python -m tests.fake_writer``: serve the fake Writer API until Ctrl+C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Literal

from .server import FakeWriter


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve, and stop cleanly on Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m tests.fake_writer", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--key", default="test-key", help="the API key to accept (default test-key)")
    keys.add_argument("--any-key", action="store_true", help="accept any Bearer key")
    parser.add_argument("--done", action="store_true", help="end streams with data: [DONE]")
    endings = parser.add_mutually_exclusive_group()
    endings.add_argument("--crlf", action="store_true", help="\\r\\n line endings in streams")
    endings.add_argument("--cr", action="store_true", help="\\r line endings in streams")
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and chunk splits")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)

    line_ending: Literal["\n", "\r\n", "\r"] = "\r\n" if args.crlf else "\r" if args.cr else "\n"
    srv = FakeWriter(
        host=args.host,
        port=args.port,
        api_key=None if args.any_key else args.key,
        done_marker=args.done,
        line_ending=line_ending,
        seed=args.seed,
        log=None if args.quiet else lambda line: print(line, file=sys.stderr, flush=True),
    )
    stop = threading.Event()
    # Explicit handlers: a shell starts background jobs with SIGINT ignored, and SIGTERM should
    # stop cleanly too.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    srv.start()
    print(f"Fake Writer listening on {srv.base_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
