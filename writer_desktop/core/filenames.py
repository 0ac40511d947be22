"""Safe file names from conversation titles, and writing new files without clobbering any.

``safe_stem`` makes a title usable as a file name on Windows, macOS and Linux alike: no path
separators, no characters Windows forbids (``<>:"/\\|?*``, control characters), no bidirectional
controls (a name could show a false extension), no reserved device
names (``CON``, ``NUL``, ``COM1``… with any extension, any case), no leading or trailing dots or
spaces, at most ``MAX_STEM_BYTES`` bytes of UTF-8 (cut between characters), ``Untitled`` if nothing
is left. ``write_new`` writes through ``atomic.atomic_write`` and never replaces an existing file
unless asked: a taken name gets `` (2)``, `` (3)``… The name is reserved with ``O_EXCL`` first, so
two writers cannot pick the same one. Asked to replace (``force``) a name it made, it replaces
that name, a symbolic link included: a link planted in an export folder must not send the file
elsewhere. A name the user gave (``through``) is written as a shell's ``>`` would: through a
symbolic link (the file it points to is replaced, the link stays), into a character device or a
pipe (``/dev/stdout``, a FIFO); other special files are refused. Replacing the link or the device
node itself broke them (as root, ``-o /dev/stdout --force`` would have replaced the system's
``/dev/stdout``).
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path

from writer_desktop.core.atomic import atomic_write, storage_error
from writer_desktop.core.errors import StorageError
from writer_desktop.core.titles import BIDI_CONTROLS, UNTITLED, visible_end

__all__ = ["MAX_STEM_BYTES", "replace_file", "safe_stem", "write_new"]

MAX_STEM_BYTES = 100
MAX_TRIES = 10_000
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f\u0080-\u009f]')
# Bidirectional controls: "\u202eexe.md" would show in a file manager as "dm.exe", a name that
# lies about its extension; on a terminal they reorder the rest of the line (``cli``).
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_SPACES = re.compile(r"\s+")
_SURROGATES = re.compile("[\ud800-\udfff]")
_DIGITS = "123456789¹²³"
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{dev}{d}" for dev in ("COM", "LPT") for d in _DIGITS}
)


def safe_stem(title: str, max_bytes: int = MAX_STEM_BYTES) -> str:
    """A file name (without extension) for ``title``; see the module docstring for the rules."""
    text = unicodedata.normalize("NFC", _SURROGATES.sub("\ufffd", title))
    text = _FORBIDDEN.sub(lambda m: " " if m.group().isspace() else "_", _BIDI.sub("", text))
    text = _SPACES.sub(" ", text)
    text = _trim(_cut(_trim(text), max_bytes))
    if not text:
        return UNTITLED
    if text.split(".")[0].rstrip(" ").upper() in _RESERVED:
        text = _trim(_cut("_" + text, max_bytes))
    return text


def write_new(
    folder: Path, stem: str, suffix: str, data: bytes, *, force: bool = False, through: bool = False
) -> Path:
    """Write ``data`` to ``folder/<stem><suffix>`` atomically and return the path used.

    ``stem`` must be a plain name (use ``safe_stem``); the result is checked to lie in ``folder``.
    An existing file is replaced only with ``force`` (written through a link or into a device
    if ``through``, see the module docstring); otherwise `` (2)``, `` (3)``… is added.
    Raises ``StorageError`` (or ``DiskFull``).
    """
    base = folder.resolve()
    for n in range(1, MAX_TRIES + 1):
        name = f"{stem}{suffix}" if n == 1 else f"{stem} ({n}){suffix}"
        path = base / name
        if path.parent != base or name in {".", ".."} or os.sep in name or "/" in name:
            raise StorageError(f"Could not save “{name}”: not a plain file name.")
        if force and not path.is_dir():
            if through:
                replace_file(path, data)
            else:
                atomic_write(path, data)
            return path
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        except OSError as exc:
            raise storage_error(exc, f"save {name}") from exc
        try:
            atomic_write(path, data)  # replaces the empty placeholder we just created
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path
    raise StorageError(f"Could not save “{stem}{suffix}”: too many files with that name.")


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` over ``path`` as a shell's ``>`` would (see the module docstring)."""
    try:
        mode = os.stat(path).st_mode  # through a link
    except FileNotFoundError:
        mode = None  # new, or a dangling link: its target is created
    except OSError as exc:
        raise storage_error(exc, f"save {path.name}") from exc
    target = Path(os.path.realpath(path))
    if mode is None or stat.S_ISREG(mode):
        atomic_write(target, data)
    elif stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        try:
            with open(target, "wb") as out:
                out.write(data)
        except OSError as exc:
            raise storage_error(exc, f"write to {path.name}") from exc
    else:
        raise StorageError(f"Could not save {path.name}: it is not a regular file.")


def _trim(text: str) -> str:
    """Without leading/trailing spaces and dots (hidden files; Windows drops trailing ones)."""
    return text.strip(" .")


def _cut(text: str, max_bytes: int) -> str:
    """At most ``max_bytes`` of UTF-8, cut between what shows as characters (no emoji sequence,
    flag or letter with its marks cut in two)."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    cut = text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    return text[: visible_end(text, len(cut))]
