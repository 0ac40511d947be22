"""Figure 3 alone, quickly, with the per-run detail: where the CPU of a paced stream goes.

Usage: ``python benchmarks/streaming_cpu.py [--runs 5] [--seconds 10] [--pace 1000]
[--baseline] [--profile DIR]``. Streams ``/pace`` replies into the real app exactly as
``benchmarks/streaming.py`` does (its child process, fresh per run) and prints each run's CPU
share, worst stall and its counters, then the medians. ``--baseline`` adds, interleaved, the
floor the app cannot go under: a bare httpx client reading the same stream on the app's qasync
loop (``qasync``) and on plain asyncio (``asyncio``), doing nothing with the text.
``--profile DIR`` writes a pyinstrument report of each app run there (``STREAMING_PROFILE``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import child_json, median  # noqa: E402
from benchmarks.streaming import (  # noqa: E402
    PROFILE_ENV,
    SSE_HEADERS,
    chat_body,
    expected_chars,
    fake_server,
    run_child,
)


def bare_run(url: str, prompt: str, loop: str, seconds: float) -> dict[str, Any]:
    """A bare httpx client in a fresh process, on qasync (offscreen Qt) or plain asyncio."""
    args = ["--child", loop, "--url", url, "--prompt", prompt]
    result: dict[str, Any] = child_json(__file__, args, seconds + 60, f"{loop} run")
    return result


def child_bare(url: str, prompt: str, loop_kind: str) -> dict[str, Any]:
    """Read the stream with ``aiter_raw`` to EOF; CPU over wall from send to EOF."""
    import asyncio

    import httpx

    async def scenario() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=url, headers=SSE_HEADERS, timeout=90) as http:
            async with http.stream("POST", "/v1/chat", json=chat_body("Hello")) as response:
                async for _ in response.aiter_raw():
                    pass
            cpu0, t0 = time.process_time(), time.perf_counter()
            reads = 0
            async with http.stream("POST", "/v1/chat", json=chat_body(prompt)) as response:
                async for _ in response.aiter_raw():
                    reads += 1
            wall = time.perf_counter() - t0
            return {"wall": wall, "cpu": time.process_time() - cpu0, "reads": reads}

    if loop_kind == "asyncio":
        return asyncio.run(scenario())
    from PySide6.QtWidgets import QApplication

    from writer_desktop.ui.event_loop import run

    app = QApplication.instance() or QApplication(sys.argv[:1])
    try:
        return run(scenario())
    finally:
        del app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--pace", type=int, default=1000)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--child", choices=("qasync", "asyncio"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--prompt", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_bare(args.url, args.prompt, args.child)), flush=True)
        return
    tokens = int(args.seconds * args.pace)
    prompt = f"/pace {args.pace} {tokens}"
    chars = expected_chars(tokens)
    kinds = ["app", "qasync", "asyncio"] if args.baseline else ["app"]
    shares: dict[str, list[float]] = {k: [] for k in kinds}
    stalls: list[float] = []
    with fake_server() as url:
        for i in range(args.runs):
            for kind in kinds:
                if kind == "app":
                    if args.profile is not None:
                        args.profile.mkdir(parents=True, exist_ok=True)
                        os.environ[PROFILE_ENV] = str(args.profile / f"run{i}.txt")
                    r = run_child("app", url, prompt, chars, args.seconds)
                    stalls.append(r["worst_late_ms"])
                    extra = (f"stall {r['worst_late_ms']:5.1f} ms  deltas {r['deltas']}  "
                             f"qt timers {r['qt_timers']}")  # fmt: skip
                else:
                    r = bare_run(url, prompt, kind, args.seconds)
                    extra = f"reads {r['reads']}"
                share = r["cpu"] / r["wall"] * 100
                shares[kind].append(share)
                print(f"run {i} {kind:8} CPU {share:5.1f} %  wall {r['wall']:.2f} s  {extra}",
                      flush=True)  # fmt: skip
    for kind in kinds:
        print(f"median {kind:8} CPU {median(shares[kind]):5.1f} % of a core")
    print(f"median stall {median(stalls):.1f} ms")


if __name__ == "__main__":
    main()
