"""Time a frozen Writer Desktop from launch until its window is up (warm start).

    python packaging/measure_start.py "dist/Writer Desktop" [-n 5]

Each run starts the bundle's executable with ``QT_QPA_PLATFORM=offscreen``, a fresh
``WRITER_DESKTOP_HOME``, ``WRITER_API_KEY=test-key`` and ``WRITER_BASE_URL`` pointing at the fake
Writer server from ``tests/``. The app cannot report its first paint, so the clock stops when the
fake server receives ``GET /v1/models``, which the app sends right after the main window is shown.
The files are in the page cache after the first run and caches cannot be dropped here, so this is a
*warm* start; a cold start from disk is slower. Prints every run and the median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fake_writer import FakeWriter  # noqa: E402


def executable(bundle: Path) -> Path:
    for name in ("writer-desktop", "writer-desktop.exe", "Contents/MacOS/writer-desktop"):
        if (bundle / name).is_file():
            return bundle / name
    raise SystemExit(f"no writer-desktop executable in {bundle}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def models_requested(srv: FakeWriter) -> bool:
    return any(r.method == "GET" and r.path.endswith("/models") for r in srv.requests)


def one_start(exe: Path, srv: FakeWriter, timeout: float = 30.0) -> float:
    srv.reset()
    with tempfile.TemporaryDirectory(prefix="wd-start-") as home:
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            WRITER_DESKTOP_HOME=home,
            WRITER_API_KEY="test-key",
            WRITER_BASE_URL=srv.base_url,
        )
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(exe)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while not models_requested(srv):
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited with {proc.returncode} before its window")
                if time.perf_counter() - start > timeout:
                    raise RuntimeError(f"no GET /v1/models within {timeout:.0f} s")
                time.sleep(0.005)
            return time.perf_counter() - start
        finally:
            stop(proc)


def measure(bundle: Path, runs: int = 5) -> list[float]:
    exe = executable(bundle)
    with FakeWriter() as srv:
        return [one_start(exe, srv) for _ in range(runs)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help='the onedir bundle, e.g. "dist/Writer Desktop"')
    parser.add_argument("-n", "--runs", type=int, default=5)
    args = parser.parse_args()
    times = measure(args.bundle, args.runs)
    for i, t in enumerate(times, 1):
        print(f"run {i}: {t:.3f} s")
    print(f"warm start to window (median of {len(times)}): {statistics.median(times):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
