"""The frozen bundle: unpacked and compressed size, and a cold start to the first paint.

Usage: ``python benchmarks/bundle.py [--bundle "dist/Writer Desktop"] [--runs 5]``. Without
``--bundle``, one is built from this checkout with PyInstaller in a temporary folder (a minute
or two), so the figures never describe a stale build.
Sizes: every file's bytes, and the folder as ``tar.gz``. Cold start: before each run every file
of the bundle is dropped from the page cache (``posix_fadvise(DONTNEED)``; the system's own
libraries stay cached, as they would on a desktop in use), then the executable starts under a
private Xvfb with an empty data folder and reports its first paint (``WRITER_DESKTOP_TRACE_START``).
The warm start (files cached) is given for comparison.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Figure, median, stop  # noqa: E402
from benchmarks.startup import display, wait_for  # noqa: E402


def build(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dest / "dist"), "--workpath", str(dest / "build"),
         str(ROOT / "pyinstaller.spec")],
        check=True, cwd=ROOT,
    )  # fmt: skip
    return dest / "dist" / "Writer Desktop"


def executable(bundle: Path) -> Path:
    for name in ("writer-desktop", "writer-desktop.exe", "Contents/MacOS/writer-desktop"):
        if (bundle / name).is_file():
            return bundle / name
    raise SystemExit(f"no writer-desktop executable in {bundle}")


def evict(bundle: Path) -> None:
    """Drop the bundle's files from the page cache, so the next start reads them from disk."""
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def start_to_paint(exe: Path, env: dict[str, str], cold: bool, bundle: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="wd-bundle-") as tmp:
        trace = Path(tmp) / "trace.txt"
        trace.touch()
        run_env = {**env, "WRITER_DESKTOP_HOME": str(Path(tmp) / "home"),
                   "WRITER_DESKTOP_TRACE_START": str(trace)}  # fmt: skip
        if cold:
            evict(bundle)
        started = time.time()
        proc = subprocess.Popen([str(exe)], env=run_env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)  # fmt: skip
        try:
            marks = wait_for(proc, trace, ("first_paint",))
        finally:
            stop(proc)
        return marks["first_paint"] - started


def figures(runs: int = 5, bundle: Path | None = None) -> list[Figure]:
    from tests.fake_writer import FakeWriter

    with tempfile.TemporaryDirectory(prefix="wd-bundle-build-") as tmp:
        where = bundle or Path(tmp)
        built = f"from {bundle}"
        if bundle is None:
            if importlib.util.find_spec("PyInstaller") is None:
                return [Figure(9, "frozen bundle", float("nan"), "", "≤ 120 / ≤ 50 MB, ≤ 0.7 s",
                               False, "not measured: PyInstaller is not installed")]  # fmt: skip
            where = build(Path(tmp))
            built = "built from this checkout for this run"
        unpacked = sum(p.lstat().st_size for p in where.rglob("*") if not p.is_dir()) / 1e6
        archive = Path(tmp) / "bundle.tar.gz"
        subprocess.run(["tar", "czf", str(archive), "-C", str(where.parent), where.name],
                       check=True)  # fmt: skip
        packed = archive.stat().st_size / 1e6
        exe = executable(where)
        with FakeWriter() as srv, display("xcb") as screen:
            env = {**os.environ, **screen, "WRITER_API_KEY": "test-key",
                   "WRITER_BASE_URL": srv.base_url}  # fmt: skip
            start_to_paint(exe, env, cold=False, bundle=where)  # first run ever: caches fonts
            cold = [start_to_paint(exe, env, cold=True, bundle=where) for _ in range(runs)]
            warm = [start_to_paint(exe, env, cold=False, bundle=where) for _ in range(runs)]
    cold_s = median(cold)
    return [
        Figure(9, "bundle unpacked", unpacked, "MB", "≤ 120", unpacked <= 120, built),
        Figure(9, "bundle compressed (tar.gz)", packed, "MB", "≤ 50", packed <= 50, ""),
        Figure(9, "bundle cold start to first paint", cold_s, "s", "≤ 0.7", cold_s <= 0.7,
               f"bundle evicted from the page cache; warm {median(warm):.2f} s; median of {runs}"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for fig in figures(args.runs, args.bundle):
        print(f"{fig.number}  {fig.what}: {fig.value:.2f} {fig.unit} (target {fig.target}) "
              f"{fig.detail}")  # fmt: skip


if __name__ == "__main__":
    main()
