"""Every figure of the performance table, measured in one run: ``python -m benchmarks``.

Options: ``--runs N`` (default 5; each figure is a median of N), ``--quick`` (3 runs, smaller
corpora, shorter streams: a check that everything works, not numbers to publish), ``--only
1,4,9`` (figure numbers), ``--bundle PATH`` (measure this frozen bundle instead of building one),
``--markdown FILE`` (also write the table and the machine description, e.g. into
docs/performance.md). Each benchmark runs in its own Python process, so that no figure pays for
another's Qt state. Exit status 0 when every target holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import Figure

ROOT = Path(__file__).resolve().parents[1]

# (module, the figures it measures, keyword arguments for normal and --quick runs)
SUITE: list[tuple[str, tuple[int, ...], dict[str, object], dict[str, object]]] = [
    ("startup", (1, 6), {}, {}),
    ("streaming", (2, 3, 7), {}, {"quick": True}),
    ("open_conversation", (4,), {}, {}),
    ("search", (5,), {}, {"count": 2000}),
    ("hotkey", (8,), {}, {}),
    ("bundle", (9,), {}, {}),
]

RUNNER = """
import dataclasses, json, sys
from benchmarks.{module} import figures
rows = figures(**json.loads(sys.argv[1]))
print("FIGURES " + json.dumps([dataclasses.asdict(r) for r in rows]))
"""


def run_module(module: str, kwargs: dict[str, object]) -> tuple[list[Figure], float]:
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER.format(module=module), json.dumps(kwargs)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    for line in result.stdout.splitlines():
        if line.startswith("FIGURES "):
            return [Figure(**row) for row in json.loads(line[8:])], seconds
    tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"benchmarks/{module}.py failed: {tail}")


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
         if line.startswith("model name")), platform.processor() or "unknown CPU",
    )  # fmt: skip
    mem = next(
        (int(line.split()[1]) / 2**20 for line in _read("/proc/meminfo").splitlines()
         if line.startswith("MemTotal")), 0.0,
    )  # fmt: skip
    import PySide6
    from PySide6.QtCore import qVersion

    return (
        f"{cpu}, {os.cpu_count()} CPUs, {mem:.1f} GiB RAM; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; PySide6 "
        f"{PySide6.__version__} (Qt {qVersion()}); {japanese_font()}"
    )


def japanese_font() -> str:
    """The font for the Japanese text of figure 2's reply, if any: without one, Qt looks for
    its glyphs in every installed font at each layout (docs/performance.md, figure 2)."""
    try:
        found = subprocess.run(
            ["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=False
        ).stdout.split("\n")[0]
    except OSError:
        return "Japanese font: unknown (no fc-list)"
    return f"Japanese font: {found.split(',')[0]}" if found else "no Japanese font"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def table(rows: Sequence[Figure]) -> list[str]:
    lines = ["| # | figure | measured | target | holds | how |", "|---|---|---|---|---|---|"]
    for r in rows:
        value = "—" if r.value != r.value else f"{r.value:.2f} {r.unit}".rstrip()
        holds = "yes" if r.ok else "**no**"
        lines.append(
            f"| {r.number} | {r.what} | {value} | {r.target} {r.unit} | {holds} | {r.detail} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="figure numbers, e.g. 1,4,9")
    parser.add_argument("--bundle", type=Path, default=None)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args(argv)
    runs = 3 if args.quick and args.runs == 5 else args.runs
    wanted = {int(n) for n in args.only.split(",") if n.strip()}
    rows: list[Figure] = []
    failed: list[str] = []
    for module, numbers, normal, quick in SUITE:
        if wanted and not wanted & set(numbers):
            continue
        kwargs: dict[str, object] = {"runs": runs, **normal, **(quick if args.quick else {})}
        if module == "bundle" and args.bundle is not None:
            kwargs["bundle"] = str(args.bundle.resolve())
        print(f"measuring figures {', '.join(map(str, numbers))} ({module}) …", flush=True)
        try:
            got, seconds = run_module(module, kwargs)
        except RuntimeError as exc:
            failed.append(str(exc))
            print(f"  {exc}", flush=True)
            continue
        print(f"  done in {seconds:.0f} s", flush=True)
        rows += [r for r in got if not wanted or r.number in wanted]
    rows.sort(key=lambda r: r.number)
    width = max((len(r.what) for r in rows), default=10)
    print(f"\n{'#':>2}  {'figure':<{width}}  {'measured':>14}  {'target':<14} holds")
    for r in rows:
        value = "—" if r.value != r.value else f"{r.value:.2f} {r.unit}"
        target = f"{r.target} {r.unit}"
        print(f"{r.number:>2}  {r.what:<{width}}  {value:>14}  {target:<14} "
              f"{'yes' if r.ok else 'NO '}  {r.detail}")  # fmt: skip
    print(f"\n{machine()}")
    if args.markdown is not None:
        write_markdown(args.markdown, rows, runs, args.quick)
    for problem in failed:
        print(f"not measured: {problem}")
    return 0 if rows and not failed and all(r.ok for r in rows) else 1


def write_markdown(path: Path, rows: Sequence[Figure], runs: int, quick: bool) -> None:
    """Replace the part of ``path`` between the table markers with this run's table."""
    begin, end = "<!-- benchmark-table -->", "<!-- /benchmark-table -->"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = "\n".join(
        [begin, "", f"Measured {stamp} with `python -m benchmarks{' --quick' if quick else ''}` "
         f"(median of {runs} runs) on: {machine()}.", "", *table(rows), "", end]
    )  # fmt: skip
    text = path.read_text() if path.exists() else ""
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
