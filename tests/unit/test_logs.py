"""Logs: level from the environment, and secrets scrubbed from every line and traceback."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from writer_desktop.core.logs import LOG_FILE, Redactor, RotatingLog, configure, parse_level


def test_level_from_environment() -> None:
    assert parse_level({}) == logging.INFO
    assert parse_level({"WRITER_DESKTOP_LOG_LEVEL": "debug"}) == logging.DEBUG
    assert parse_level({"WRITER_DESKTOP_LOG_LEVEL": "nonsense"}) == logging.INFO


def test_secrets_never_reach_the_log_file(tmp_path: Path) -> None:
    redactor = Redactor()
    redactor.add("sk-canary-1234567890")
    handlers = configure(tmp_path, {"WRITER_DESKTOP_LOG_LEVEL": "DEBUG"}, redactor)
    log = logging.getLogger("test.secrets")
    try:
        log.debug("header Authorization: Bearer sk-canary-1234567890")
        log.info("args %s", {"key": "sk-canary-1234567890"})
        log.warning("other bearer Bearer abc.def-ghi here")
        try:
            raise ValueError("failed with sk-canary-1234567890")
        except ValueError:
            log.exception("boom")
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
        logging.getLogger().setLevel(logging.WARNING)
    text = (tmp_path / LOG_FILE).read_text()
    assert "sk-canary" not in text
    assert "abc.def-ghi" not in text
    assert text.count("[redacted]") >= 5


def test_the_log_file_moves_aside_when_full(tmp_path: Path) -> None:
    handler = RotatingLog(tmp_path / LOG_FILE, max_bytes=1000, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("test.rotation")
    log.propagate = False
    log.addHandler(handler)
    try:
        for i in range(100):
            log.warning("line %03d %s", i, "x" * 40)
    finally:
        log.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [LOG_FILE, f"{LOG_FILE}.1", f"{LOG_FILE}.2"]  # older ones are dropped
    assert "line 099" in (tmp_path / LOG_FILE).read_text()
    for name in names:
        assert (tmp_path / name).stat().st_size < 1000 + 100  # at most one line over
    newest_backup = (tmp_path / f"{LOG_FILE}.1").read_text().splitlines()
    current = (tmp_path / LOG_FILE).read_text().splitlines()
    assert int(newest_backup[-1].split()[1]) + 1 == int(current[0].split()[1])  # nothing lost


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_log_file_is_private(tmp_path: Path) -> None:
    # It was created with the umask's mode (0644); every other file of the app is 0600.
    old = tmp_path / f"{LOG_FILE}.older"
    for path in (tmp_path / LOG_FILE, old):
        if path is old:
            path.write_text("from an older version\n")
            path.chmod(0o644)
        handler = RotatingLog(path, max_bytes=1000, backups=1)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.emit(logging.makeLogRecord({"msg": "a line"}))
        handler.close()
        assert path.stat().st_mode & 0o777 == 0o600, path
        assert path.read_text().endswith("a line\n")
    assert old.read_text().startswith("from an older version\n")


class FullDisk:
    """A log stream on a full disk: every write fails as the kernel says."""

    def write(self, _text: str) -> int:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        raise OSError(28, "No space left on device")

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        pass


def test_a_full_disk_is_said_once_not_a_traceback_a_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = RotatingLog(tmp_path / LOG_FILE, max_bytes=1000, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.stream = FullDisk()  # type: ignore[assignment]
    log = logging.getLogger("test.full")
    log.propagate = False
    log.addHandler(handler)
    try:
        for i in range(5):
            log.warning("model list not cached: %s", i)
    finally:
        log.removeHandler(handler)
        handler.stream = None
        handler.close()
    err = capsys.readouterr().err
    assert err == (
        f"Writer Desktop: the log {tmp_path / LOG_FILE} cannot be written "
        "(No space left on device).\n"
    )
