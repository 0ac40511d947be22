"""Safe file names from conversation titles, and writing new files without clobbering any.

``safe_stem`` makes a title usable as a file name on Windows, macOS and Linux alike: no path
separators, no characters Windows forbids (``<>:"/\\|?*``, control characters), no bidirectional
controls (a name could show a false extension), no reserved device
names (``CON``, ``NUL``, ``COM1``… with any extension, any case), no leading or trailing dots or
spaces, at most ``MAX_STEM_BYTES`` bytes of UTF-8 (cut between characters), ``Untitled`` if nothing
is left. ``write_new`` writes through ``atomic.atomic_write`` and never replaces an existing file
unless asked: a taken name gets `` (2)``, `` (3)``… The name is reserved with ``O_EXCL`` first, so
two writers cannot pick the same one.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from writer_desktop.core.atomic import atomic_write, storage_error
from writer_desktop.core.errors import StorageError
from writer_desktop.core.titles import BIDI_CONTROLS, UNTITLED

__all__ = ["MAX_STEM_BYTES", "safe_stem", "write_new"]

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
# Characters that only make sense after another one: a cut must not leave them dangling.
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")


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


def write_new(folder: Path, stem: str, suffix: str, data: bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``folder/<stem><suffix>`` atomically and return the path used.

    ``stem`` must be a plain name (use ``safe_stem``); the result is checked to lie in ``folder``.
    An existing file is replaced only with ``force``; otherwise `` (2)``, `` (3)``… is added.
    Raises ``StorageError`` (or ``DiskFull``).
    """
    base = folder.resolve()
    for n in range(1, MAX_TRIES + 1):
        name = f"{stem}{suffix}" if n == 1 else f"{stem} ({n}){suffix}"
        path = base / name
        if path.parent != base or name in {".", ".."} or os.sep in name or "/" in name:
            raise StorageError(f"Could not save “{name}”: not a plain file name.")
        if force and not path.is_dir():
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


def _trim(text: str) -> str:
    """Without leading/trailing spaces and dots (hidden files; Windows drops trailing ones)."""
    return text.strip(" .")


def _cut(text: str, max_bytes: int) -> str:
    """At most ``max_bytes`` of UTF-8, cut between characters, no dangling mark or joiner."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    cut = text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    while cut and (cut[-1] in _JOINERS or unicodedata.combining(cut[-1])):
        cut = cut[:-1]
    return cut
