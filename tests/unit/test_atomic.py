"""atomic_write: all or nothing, errors translated, no temp files left; FileLock; moves."""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from writer_desktop.core import atomic
from writer_desktop.core.atomic import (
    AlreadyLocked,
    FileLock,
    atomic_write,
    clean_temp_files,
    move_no_replace,
)
from writer_desktop.core.errors import DiskFull, StorageError

POSIX = sys.platform != "win32"
OLD = b'{"old": true}\n'


def fail_on_call(
    real: Callable[..., Any], n: int, exc: OSError, *, partial: bool = False
) -> Callable[..., Any]:
    """Wrap ``real`` to raise ``exc`` on call ``n`` (from 1); ``partial``: a short write first."""
    calls = 0

    def fake(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == n:
            raise exc
        if partial and calls == n - 1:
            fd, data = args
            return real(fd, data[: max(1, len(data) // 2)])
        return real(*args)

    return fake


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_replaces_and_sets_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    atomic_write(target, OLD)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == []
    if POSIX:
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        atomic_write(target, b"x", mode=0o640)
        assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_large_data_is_written_whole(tmp_path: Path) -> None:
    data = os.urandom(3 * 2**20)
    atomic_write(tmp_path / "big", data)
    assert (tmp_path / "big").read_bytes() == data


@pytest.mark.parametrize("code", [errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)])
@pytest.mark.parametrize("call", [1, 2])
def test_disk_full_during_write_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, call: int
) -> None:
    target = tmp_path / "a.json"
    atomic_write(target, OLD)
    exc = OSError(code, os.strerror(code))
    monkeypatch.setattr(os, "write", fail_on_call(os.write, call, exc, partial=True))
    with pytest.raises(DiskFull) as info:
        atomic_write(target, b"n" * 100_000)
    assert "disk is full" in info.value.user_message
    assert "Traceback" not in str(info.value)
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []
    monkeypatch.undo()  # space is back
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize(("code", "error"), [(errno.EIO, StorageError), (errno.ENOSPC, DiskFull)])
def test_failing_fsync_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, error: type[StorageError]
) -> None:
    target = tmp_path / "a.json"
    atomic_write(target, OLD)
    monkeypatch.setattr(os, "fsync", fail_on_call(os.fsync, 1, OSError(code, "boom")))
    with pytest.raises(error) as info:
        atomic_write(target, b"new")
    assert type(info.value) is error
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"


def test_failing_replace_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.json"
    atomic_write(target, OLD)
    monkeypatch.setattr(os, "replace", fail_on_call(os.replace, 1, OSError(errno.EXDEV, "nope")))
    with pytest.raises(StorageError, match=r"^Could not save a\.json"):
        atomic_write(target, b"new")
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_interrupt_mid_write_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.json"
    atomic_write(target, OLD)

    def interrupted(fd: int, data: bytes) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"new")
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_missing_folder_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="Could not save"):
        atomic_write(tmp_path / "nope" / "a.json", b"x")


def test_folder_fsync_failure_is_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The second fsync is the folder's, after the rename: the new file is already in place.
    monkeypatch.setattr(os, "fsync", fail_on_call(os.fsync, 2, OSError(errno.EINVAL, "no")))
    atomic_write(tmp_path / "a", b"new")
    assert (tmp_path / "a").read_bytes() == b"new"


def test_windows_replace_is_retried_while_the_file_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.json"
    atomic_write(target, OLD)
    monkeypatch.setattr(atomic, "_WINDOWS", True)
    monkeypatch.setattr(time, "sleep", lambda s: None)
    real = os.replace
    calls = 0

    def held_twice(src: Any, dst: Any) -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise PermissionError(errno.EACCES, "held by another process")
        real(src, dst)

    monkeypatch.setattr(os, "replace", held_twice)
    atomic_write(target, b"new")
    assert (target.read_bytes(), calls) == (b"new", 3)

    calls = -100  # held for good: gives up after a bounded number of tries
    with pytest.raises(StorageError):
        atomic_write(target, b"newer")
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_clean_temp_files_removes_only_leftovers(tmp_path: Path) -> None:
    for name in (".a.json.x1.tmp", ".b.tmp", "keep.tmp", ".keep.json", "c.json"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / ".dir.tmp").mkdir()
    assert clean_temp_files(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".dir.tmp",
        ".keep.json",
        "c.json",
        "keep.tmp",
    ]
    assert clean_temp_files(tmp_path / "missing") == 0


def test_move_no_replace(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    with pytest.raises(StorageError, match="already exists"):
        move_no_replace(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"b"
    (tmp_path / "sub").mkdir()
    move_no_replace(tmp_path / "a", tmp_path / "sub" / "c")
    assert (tmp_path / "sub" / "c").read_bytes() == b"a"
    with pytest.raises(StorageError):
        move_no_replace(tmp_path / "a", tmp_path / "d")


def test_file_lock_is_exclusive_until_released(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "lock"), FileLock(tmp_path / "lock")
    first.acquire()
    try:
        with pytest.raises(AlreadyLocked, match="already running"):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()
    second.release()  # twice is harmless
