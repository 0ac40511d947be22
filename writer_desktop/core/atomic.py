"""Crash-safe writes of user data: the one module that changes files the user owns.

``atomic_write`` writes a temporary file beside the target, fsyncs it, renames it over the target
and fsyncs the folder, so a crash or power cut leaves either the old or the new file, never a mix.
``move_no_replace`` renames without clobbering (trash, quarantine). ``AppendFile`` appends records
durably (a streaming reply's journal): after a crash it holds whole records plus at most a torn
last one. ``FileLock`` keeps a second process from writing the same files. ``OSError`` becomes
``DiskFull`` or ``StorageError`` with a sentence fit for the user; the original is kept as
``__cause__`` for the log.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from writer_desktop.core.errors import AlreadyLocked, DiskFull, StorageError

log = logging.getLogger(__name__)

__all__ = [
    "AlreadyLocked",
    "AppendFile",
    "FileLock",
    "atomic_write",
    "clean_temp_files",
    "move_no_replace",
    "remove_file",
]


TEMP_SUFFIX = ".tmp"
_WINDOWS = sys.platform == "win32"
# Windows: a virus scanner, indexer or backup tool briefly holding the target makes the rename fail
# with PermissionError (ERROR_ACCESS_DENIED / ERROR_SHARING_VIOLATION); it clears within moments.
_REPLACE_DELAYS = (0.01, 0.02, 0.05, 0.1, 0.1, 0.2, 0.2, 0.3)
_FULL_ERRNOS = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None
)
_FULL_WINERRORS = frozenset({39, 112})  # ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL


def storage_error(exc: OSError, action: str) -> StorageError:
    """Translate ``exc`` into ``DiskFull`` or ``StorageError``; ``action`` reads "Could not …"."""
    if exc.errno in _FULL_ERRNOS or getattr(exc, "winerror", None) in _FULL_WINERRORS:
        return DiskFull(f"Could not {action}: the disk is full. Free some space and try again.")
    reason = exc.strerror or type(exc).__name__
    return StorageError(f"Could not {action}: {reason}.")


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically and durably; the file gets ``mode`` (POSIX).

    On failure the previous file is unchanged, no temporary file is left, and ``DiskFull`` or
    ``StorageError`` is raised.
    """
    action = f"save {path.name}"
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent
        )
    except OSError as exc:
        raise storage_error(exc, action) from exc
    tmp = Path(tmp_name)
    fd_open = True
    try:
        if not _WINDOWS:
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        fd_open = False
        os.close(fd)
        _replace(tmp, path)
    except BaseException as exc:
        if fd_open:
            os.close(fd)
        _unlink_quietly(tmp)
        if isinstance(exc, OSError):
            raise storage_error(exc, action) from exc
        raise
    fsync_dir(path.parent)


def private_file(path: Path) -> Path:
    """``path``, made empty if missing, readable by the user alone (POSIX): for a file another
    library writes, such as Qt's window state (it keeps the mode of a file it rewrites)."""
    if os.name == "posix":
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o600))
            os.chmod(path, 0o600)
        except OSError as exc:  # the library will say if it cannot write there
            log.warning("could not make %s private: %s", path.name, exc)
    return path


def move_no_replace(src: Path, dst: Path, *, sync: bool = True) -> None:
    """Rename ``src`` to ``dst`` (same file system), refusing to overwrite an existing ``dst``.

    Callers hold the store lock, so the existence check cannot race with another writer of ours.
    ``sync=False`` leaves the folders' ``fsync`` to a caller moving many files (once at the end).
    """
    action = f"move {src.name}"
    if dst.exists():
        raise StorageError(f"Could not move {src.name}: {dst.name} already exists.")
    try:
        os.rename(src, dst)
    except OSError as exc:
        raise storage_error(exc, action) from exc
    if sync:
        fsync_dir(dst.parent)
        if src.parent != dst.parent:
            fsync_dir(src.parent)


class AppendFile:
    """A file that only grows by whole records, each on the disk (``fdatasync``) when
    ``append`` returns.

    The file is created (``mode``, POSIX) at the first append. A failed append (disk full) is cut
    off again, so the next record starts where the failed one did; if even that fails, the next
    record starts on a fresh line. ``append`` raises ``DiskFull`` or ``StorageError``.
    """

    def __init__(self, path: Path, *, mode: int = 0o600) -> None:
        self.path = path
        self._mode = mode
        self._fd: int | None = None
        self._size = 0  # bytes known to be whole records
        self._torn = False  # the file may end in part of a record: start the next on a new line

    def append(self, data: bytes) -> None:
        try:
            fd = self._open()
        except OSError as exc:
            raise storage_error(exc, f"save {self.path.name}") from exc
        if self._torn:
            data = b"\n" + data
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            _datasync(fd)
        except OSError as exc:
            try:
                os.ftruncate(fd, self._size)
            except OSError:
                self._torn = True
            raise storage_error(exc, f"save {self.path.name}") from exc
        self._size = os.lseek(fd, 0, os.SEEK_END)
        self._torn = False

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int:
        if self._fd is None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
            fd = os.open(self.path, flags, self._mode)
            try:
                size = os.fstat(fd).st_size
                if size:  # left by an earlier writer: does it end with a whole record?
                    with open(self.path, "rb") as f:
                        f.seek(size - 1)
                        self._torn = f.read(1) != b"\n"
                elif not _WINDOWS:
                    os.fchmod(fd, self._mode)
            except BaseException:
                os.close(fd)
                raise
            self._fd, self._size = fd, size
            fsync_dir(self.path.parent)  # the new name survives a power cut too
        return self._fd


def remove_file(path: Path) -> None:
    """Delete ``path`` if it exists; ``StorageError`` if it cannot be deleted."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise storage_error(exc, f"delete {path.name}") from exc


def _datasync(fd: int) -> None:
    sync = getattr(os, "fdatasync", None)  # not on macOS or Windows: fsync does the same there
    (sync or os.fsync)(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX only; best effort: some file systems refuse)."""
    if _WINDOWS:
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        log.debug("cannot open %s to fsync it: %s", folder, exc)
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        log.debug("fsync of folder %s failed: %s", folder, exc)
    finally:
        os.close(fd)


def clean_temp_files(folder: Path) -> int:
    """Remove ``.*.tmp`` leftovers of interrupted writes in ``folder``; return how many went."""
    removed = 0
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError as exc:
        log.warning("cannot list %s to clean temporary files: %s", folder, exc)
        return 0
    for entry in entries:
        name = entry.name
        if name.startswith(".") and name.endswith(TEMP_SUFFIX) and entry.is_file():
            removed += _unlink_quietly(Path(entry.path))
    return removed


class FileLock:
    """An exclusive advisory lock on ``path`` (``flock``/``msvcrt.locking``): one writer at once.

    ``acquire()`` raises ``AlreadyLocked`` at once if anyone else (another process, or another
    ``FileLock`` in this one) holds it. The lock goes with ``release()`` or the process.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise storage_error(exc, "lock the data folder") from exc
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise AlreadyLocked(
                "Writer Desktop is already running with this data folder "
                f"({self._path.parent}). Close the other window first."
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


def _replace(src: Path, dst: Path) -> None:
    delays = _REPLACE_DELAYS if _WINDOWS else ()
    for delay in delays:
        try:
            os.replace(src, dst)
        except PermissionError:
            time.sleep(delay)
        else:
            return
    os.replace(src, dst)


def _unlink_quietly(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("cannot remove temporary file %s: %s", path, exc)
        return False
    return True
