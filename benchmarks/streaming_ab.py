"""Figure 2 for this checkout against another, alternated in one run (this VM drifts by ±30 %).

Usage: ``python benchmarks/streaming_ab.py OTHER_CHECKOUT [--runs 10]`` (e.g. a ``git worktree``
of the commit before a change). Each run is a fresh process of each checkout's own
``benchmarks/streaming.py`` child (``child_app``: the real main window, offscreen) streaming the
unpaced 20,000-token reply from one fake server, in alternating order, plus this checkout's bare
httpx client. Prints, per checkout: the median time, its ratio to the bare client, the per-token
row (last 10 % ÷ first 10 %: median and range) and the event loop's worst stall (a 5 ms timer's
worst lateness: median and max).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import child_json, median  # noqa: E402
from benchmarks.streaming import UNPACED_TOKENS, expected_chars, fake_server, run_child  # noqa: E402

PROMPT = f"/tokens {UNPACED_TOKENS}"


def app_run(checkout: Path, url: str) -> dict[str, Any]:
    """One measured reply in a fresh process of ``checkout``'s own code."""
    args = ["--child", "app", "--url", url, "--prompt", PROMPT]
    args += ["--expect-chars", str(expected_chars(UNPACED_TOKENS))]
    script = checkout / "benchmarks" / "streaming.py"
    result: dict[str, Any] = child_json(str(script), args, 180, f"app run of {checkout}")
    return result


def row(name: str, runs: list[dict[str, Any]], bare: float) -> str:
    wall = median([r["wall"] for r in runs])
    flat = [r["rate_last"] / r["rate_first"] for r in runs]
    stall = [r["worst_late_ms"] for r in runs]
    return (
        f"| {name} | {wall:.3f} s | {wall / bare:.2f} × "
        f"| {median(flat):.2f} × ({min(flat):.2f}–{max(flat):.2f}) "
        f"| {median(stall):.1f} ms ({max(stall):.1f}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="another checkout of this repository")
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    other = options.other.resolve()
    if not (other / "benchmarks" / "streaming.py").is_file():
        sys.exit(f"{other} has no benchmarks/streaming.py")
    checkouts = {"this checkout": ROOT, str(other): other}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in checkouts}
    bare: list[float] = []
    with fake_server() as url:
        for i in range(options.runs):
            order = list(checkouts.items())
            for name, path in order if i % 2 == 0 else order[::-1]:
                results[name].append(app_run(path, url))
            chars = expected_chars(UNPACED_TOKENS)
            bare.append(run_child("httpx", url, PROMPT, chars, 60)["wall"])
    baseline = median(bare)
    print(f"bare httpx: {baseline:.3f} s, median of {options.runs}\n")
    print("| checkout | app | ÷ httpx | last ÷ first 10 % (range) | worst stall (max) |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        print(row(name, runs, baseline))


if __name__ == "__main__":
    main()
