"""Architecture rules: core never imports Qt or the UI; importing a module does no work."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import writer_desktop

PACKAGE = Path(writer_desktop.__file__).parent
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "PySide2", "qasync", "shiboken6", "writer_desktop.ui")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # resolve relative imports against the package path
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
                module = ".".join(parts[: len(parts) - node.level] + ((module,) if module else ()))
            found.append((node.lineno, module))
    return found


def test_core_never_imports_qt_or_ui() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for path in sorted((PACKAGE / "core").rglob("*.py"))
        for line, name in _imports(path)
        if name.startswith(FORBIDDEN)
    ]
    assert offenders == []


def test_importing_core_loads_no_qt_at_runtime() -> None:
    code = (
        "import sys, pkgutil, importlib, writer_desktop.core as c\n"
        "for m in pkgutil.iter_modules(c.__path__):\n"
        "    importlib.import_module('writer_desktop.core.' + m.name)\n"
        f"bad = [m for m in sys.modules if m.startswith({FORBIDDEN!r})]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_every_module_creates_no_files(tmp_path: Path) -> None:
    code = (
        "import pkgutil, importlib, writer_desktop\n"
        "for m in pkgutil.walk_packages(writer_desktop.__path__, 'writer_desktop.'):\n"
        "    importlib.import_module(m.name)\n"
    )
    env = {
        "HOME": str(tmp_path),
        "WRITER_DESKTOP_HOME": str(tmp_path / "wd"),
        "PATH": "/usr/bin:/bin",
        "QT_QPA_PLATFORM": "offscreen",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
