"""The crash handler: unhandled exceptions on any thread or in the event loop are logged and kept
as a report, with the API key (and any Bearer token) scrubbed everywhere they are written."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from writer_desktop.core import crash, logs
from writer_desktop.core.crash import CrashReporter

CANARY = "sk-CANARY-crash-5e1f0a9b7c"
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def redactor() -> logs.Redactor:
    r = logs.Redactor()
    r.add(CANARY)
    return r


@pytest.fixture
def log_dir(tmp_path: Path, redactor: logs.Redactor) -> Iterator[Path]:
    """The app's logging at DEBUG into ``tmp_path/logs``, removed afterwards."""
    folder = tmp_path / "logs"
    folder.mkdir()
    root = logging.getLogger()
    level = root.level
    handlers = logs.configure(folder, {logs.LEVEL_ENV: "DEBUG"}, redactor)
    try:
        yield folder
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)


@pytest.fixture
def reporter(log_dir: Path, redactor: logs.Redactor) -> Iterator[CrashReporter]:
    installed = crash.install(log_dir, redactor, clock=Clock())
    try:
        yield installed
    finally:
        installed.uninstall()


def leaked(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]


def fail_with_key() -> None:
    try:
        _ = dict[str, str]()[CANARY]
    except KeyError as exc:
        raise RuntimeError(f"request failed, Authorization: Bearer {CANARY}") from exc


def test_install_replaces_and_uninstall_restores_the_hooks(
    log_dir: Path, redactor: logs.Redactor
) -> None:
    before = (sys.excepthook, threading.excepthook)
    reporter = crash.install(log_dir, redactor)
    assert crash.installed() is reporter
    assert (sys.excepthook, threading.excepthook) == (reporter.sys_hook, reporter.threading_hook)
    again = crash.install(log_dir, redactor)  # installing twice replaces, never stacks
    assert again._previous_sys == before[0]
    again.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
    assert crash.installed() is None


def test_main_thread_exception_is_reported_scrubbed(
    reporter: CrashReporter, log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[Path | None, str]] = []
    reporter.on_crash = lambda path, summary: seen.append((path, summary))
    try:
        fail_with_key()
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    [path] = reporter.reports
    assert path.parent == log_dir
    assert path.name == "crash-20260501T120001.000000Z.txt"
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert "fail_with_key" in text  # the traceback, with its cause
    assert "KeyError" in text
    assert "The above exception was the direct cause" in text
    assert "Bearer [redacted]" in text
    assert "[redacted]" in text.split("KeyError: ")[1]
    assert seen == [(path, "RuntimeError: request failed, Authorization: Bearer [redacted]")]
    log = (log_dir / logs.LOG_FILE).read_text()
    assert "CRITICAL" in log
    assert "fail_with_key" in log
    err = capsys.readouterr().err
    assert "fail_with_key" in err
    assert CANARY not in err
    assert leaked(log_dir) == []


def test_thread_exception_is_reported(reporter: CrashReporter, log_dir: Path) -> None:
    def work() -> None:
        raise ValueError(f"worker saw {CANARY}")

    thread = threading.Thread(target=work, name="keyring")
    thread.start()
    thread.join()
    [path] = reporter.reports
    text = path.read_text()
    assert "where: thread keyring" in text
    assert "ValueError: worker saw [redacted]" in text
    assert leaked(log_dir) == []


def test_thread_ending_with_system_exit_is_not_a_crash(reporter: CrashReporter) -> None:
    def work() -> None:
        raise SystemExit(0)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert reporter.reports == []


async def test_event_loop_exceptions_are_reported(reporter: CrashReporter, log_dir: Path) -> None:
    loop = asyncio.get_running_loop()
    crash.watch_loop(loop)
    try:

        def callback() -> None:
            raise OSError(f"socket to {CANARY}")

        loop.call_soon(callback)
        await asyncio.sleep(0.01)
        loop.call_exception_handler({"message": f"plain message with {CANARY}"})
    finally:
        reporter.uninstall()
    assert loop.get_exception_handler() is None
    first, second = (p.read_text() for p in reporter.reports)
    assert "where: event loop" in first
    assert "OSError: socket to [redacted]" in first
    assert "handle: " in first  # the context is kept, scrubbed
    assert "plain message with [redacted]" in second
    assert "(no exception)" in second
    assert leaked(log_dir) == []


def test_reports_are_limited_per_run_and_old_ones_pruned(
    log_dir: Path, redactor: logs.Redactor
) -> None:
    (log_dir / "crash-20200101T000000.000000Z.txt").write_text("very old")
    reporter = CrashReporter(log_dir, redactor, max_reports=3, keep=2, clock=Clock())
    paths = [reporter.report(RuntimeError(f"boom {n}"), where="test") for n in range(5)]
    assert [p is not None for p in paths] == [True, True, True, False, False]
    kept = sorted(p.name for p in log_dir.glob("crash-*.txt"))
    assert kept == sorted(p.name for p in paths[1:3] if p is not None)
    log = (log_dir / logs.LOG_FILE).read_text()
    assert log.count("boom") == 5  # each is still logged


def test_unwritable_folder_still_logs_and_never_raises(
    tmp_path: Path, log_dir: Path, redactor: logs.Redactor
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    seen: list[Path | None] = []
    reporter = CrashReporter(blocked, redactor, on_crash=lambda path, _: seen.append(path))
    assert reporter.report(RuntimeError(CANARY), where="test") is None
    assert seen == [None]
    log = (log_dir / logs.LOG_FILE).read_text()
    assert "could not write a crash report" in log
    assert "RuntimeError: [redacted]" in log
    assert leaked(tmp_path) == []


def test_a_failing_callback_does_not_loop_or_raise(
    log_dir: Path, redactor: logs.Redactor, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(path: Path | None, summary: str) -> None:
        raise RuntimeError(f"callback {CANARY}")

    reporter = CrashReporter(log_dir, redactor, on_crash=broken, clock=Clock())
    assert reporter.report(RuntimeError("first"), where="test") is None
    assert "the crash reporter failed (RuntimeError)" in capsys.readouterr().err
    assert len(list(log_dir.glob("crash-*.txt"))) == 1  # the report was written before


def test_unhandled_exception_in_a_real_process(tmp_path: Path) -> None:
    """The real ``sys.excepthook`` path: Python calls it when the script dies."""
    code = (
        "import sys, pathlib\n"
        "from writer_desktop.core import crash, logs\n"
        "r = logs.Redactor(); r.add(sys.argv[2])\n"
        "logs.configure(pathlib.Path(sys.argv[1]), {'WRITER_DESKTOP_LOG_LEVEL': 'DEBUG'}, r)\n"
        "crash.install(pathlib.Path(sys.argv[1]), r)\n"
        "def deep(): raise ConnectionError('Authorization: ' + sys.argv[2])\n"
        "deep()\n"
    )
    folder = tmp_path / "logs"
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", code, str(folder), CANARY],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "ConnectionError: Authorization: [redacted]" in result.stderr
    assert CANARY not in result.stdout + result.stderr
    [report] = folder.glob("crash-*.txt")
    assert "in deep" in report.read_text()
    assert leaked(folder) == []
