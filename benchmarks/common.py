"""What every benchmark returns: one row of issue 7's table, measured in this run."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Figure:
    """One measured figure with its target; ``ok`` says whether the target holds."""

    number: int  # row of the table
    what: str  # short description
    value: float  # the measured figure (a ratio, ms, %, count/s …)
    unit: str  # "×", "ms", "% of a core", "rewrites/s", "MB"
    target: str  # e.g. "≤ 3"
    ok: bool
    detail: str = ""  # e.g. "app 1.9 s vs httpx 0.7 s, median of 5"


def median(values: Sequence[float]) -> float:
    """The median; raises on an empty sequence (a figure with no runs is a bug)."""
    if not values:
        raise ValueError("no runs")
    return statistics.median(values)


def stop(proc: subprocess.Popen[Any], seconds: float = 10) -> None:
    """Ask a child process to end (SIGTERM); kill it if it has not within ``seconds``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def compile_bytecode() -> None:
    """Compile the checkout's modules to bytecode (``__pycache__``), as installing the app does.

    pip compiles a package's modules when it installs them and the bundle carries bytecode, so
    no installed copy compiles source at start-up. A start measured from a checkout does, at
    every start, where ``PYTHONDONTWRITEBYTECODE`` is set (it is on this machine): ~25 ms of
    figure 1 that no user pays, and that the bare window (PySide6, compiled at install) never
    paid.
    """
    import compileall

    if not compileall.compile_dir(ROOT / "writer_desktop", quiet=1):
        raise RuntimeError("could not compile writer_desktop to bytecode")


def child_json(script: str, args: Sequence[str], timeout: float, what: str) -> Any:
    """Run ``script`` with ``args`` in a fresh Python process (offscreen Qt, the checkout as its
    folder, no ``WRITER_DESKTOP_HOME``) and return the JSON of its last line of output."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("WRITER_DESKTOP_HOME", None)
    done = subprocess.run(
        [sys.executable, str(Path(script).resolve()), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])
