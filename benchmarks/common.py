"""What every benchmark returns: one row of issue 7's table, measured in this run."""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


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
