"""The command line: --version and --help need no display, no key and no Qt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from writer_desktop import __version__


def run(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WRITER_DESKTOP_HOME": str(tmp / "home")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run([*args], capture_output=True, text=True, env=env, timeout=60, check=False)


def test_version_via_module(tmp_path: Path) -> None:
    result = run(sys.executable, "-m", "writer_desktop", "--version", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"writer-desktop {__version__}"
    assert not (tmp_path / "home").exists()  # asking the version touches nothing


def test_version_via_installed_command(tmp_path: Path) -> None:
    exe = shutil.which("writer-desktop", path=str(Path(sys.executable).parent))
    assert exe, "pip install should have created the writer-desktop command"
    result = run(exe, "--version", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert __version__ in result.stdout


def test_help_mentions_environment(tmp_path: Path) -> None:
    result = run(sys.executable, "-m", "writer_desktop", "--help", tmp=tmp_path)
    assert result.returncode == 0
    assert "WRITER_API_KEY" in result.stdout
    assert "WRITER_DESKTOP_HOME" in result.stdout
