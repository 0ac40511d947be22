"""A lighter version of a check PySide6 runs on every module imported after it.

PySide6 (6.4+, PYSIDE-2029) replaces ``__import__`` and, for each newly imported module, calls
``inspect.getsource(module)`` to see whether its text mentions "PySide6" (which decides whether
``from __feature__ import snake_case`` switching applies to it). ``getsource`` goes through
``linecache``, which keeps every file it read: here ~290 source files, ~11 MB resident for the
whole run, and a noticeable share of start-up time. :func:`lighten_feature_check` swaps in the
same test reading the file's bytes without caching them. Same answers (tested); if a PySide6
version no longer has the hook, nothing is changed.
"""

from __future__ import annotations

import sys
from types import ModuleType

HOOK_MODULE = "shibokensupport.feature"


def uses_pyside(module: ModuleType) -> bool:
    """True if the module's source file mentions PySide6 (False without a source file)."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        with open(path, "rb") as f:
            return b"PySide6" in f.read()
    except OSError:
        return False


def lighten_feature_check() -> bool:
    """Import Qt and replace its per-import source check; True if the hook was found."""
    import PySide6.QtCore  # noqa: F401 - installs the hook this replaces

    feature = sys.modules.get(HOOK_MODULE)
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
    return True
