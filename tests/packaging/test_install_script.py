"""`packaging/linux/install.sh` run for real into a temporary home, with a stand-in bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "linux" / "install.sh"
METAINFO = "com.writer.WriterDesktop.metainfo.xml"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the Linux installer")


def unescape(value: str) -> str:
    """A Desktop Entry string value's escapes (``\\s``, ``\\n``, ``\\t``, ``\\r``, ``\\\\``)."""
    out, chars = [], iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(nxt, ch + nxt))
        else:
            out.append(ch)
    return "".join(out)


def exec_words(value: str) -> list[str]:
    """An Exec value as its arguments, by the spec's quoting rules (no field codes used)."""
    text, words, word, quoted, i = unescape(value), [], "", False, 0
    while i < len(text):
        ch = text[i]
        if quoted and ch == "\\" and i + 1 < len(text) and text[i + 1] in '"`$\\':
            word += text[i + 1]
            i += 1
        elif ch == '"':
            quoted = not quoted
        elif ch == " " and not quoted:
            words.append(word)
            word = ""
        else:
            word += ch
        i += 1
    return [w.replace("%%", "%") for w in [*words, word]]


def entry(path: Path) -> dict[str, list[str]]:
    """Each key of the file, with its values in order (Exec appears once per group)."""
    keys: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """An unpacked release folder: the script, the menu entry, an icon, and a "bundle" that
    writes what it was run with."""
    folder = tmp_path / "release"
    (folder / "writer-desktop").mkdir(parents=True)
    program = folder / "writer-desktop" / "writer-desktop"
    program.write_text('#!/bin/sh\nprintf "%s\\n" "$0" "$@" > "$RAN"\n', encoding="utf-8")
    program.chmod(0o755)
    (folder / "share" / "applications").mkdir(parents=True)
    shutil.copy(
        ROOT / "packaging" / "linux" / "writer-desktop.desktop", folder / "share" / "applications"
    )
    icons = folder / "share" / "icons" / "hicolor" / "48x48" / "apps"
    icons.mkdir(parents=True)
    (icons / "writer-desktop.png").write_bytes(b"\x89PNG")
    (folder / "share" / "metainfo").mkdir()
    shutil.copy(ROOT / "packaging" / "linux" / METAINFO, folder / "share" / "metainfo")
    shutil.copy(SCRIPT, folder / "install.sh")
    return folder


def run(release: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "RAN": str(home.parent / "ran")}
    return subprocess.run(
        ["sh", str(release / "install.sh"), *args],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip


def installed_into(release: Path, home: Path) -> Path:
    """Run the installer into ``home`` (made here); the program it installed."""
    home.mkdir()
    run(release, home)
    return home / ".local" / "opt" / "writer-desktop" / "writer-desktop"


@pytest.mark.parametrize("name", ["home sp", 'o"dd $HOME `x` 100% a&b|c\\d'])
def test_the_menu_entry_runs_the_installed_copy_whatever_the_home(
    release: Path, tmp_path: Path, name: str
) -> None:
    # With a space in the home folder's path the entry was `Exec=/tmp/home sp/...`, unquoted:
    # the desktop could not start it (gio: "Unable to load application information").
    home = tmp_path / name
    installed = installed_into(release, home)
    keys = entry(home / ".local" / "share" / "applications" / "writer-desktop.desktop")
    assert [exec_words(v) for v in keys["Exec"]] == [[str(installed)], [str(installed), "quick"]]
    assert [unescape(v) for v in keys["TryExec"]] == [str(installed)]
    for words in (exec_words(v) for v in keys["Exec"]):
        subprocess.run(words, env={"RAN": str(tmp_path / "ran")}, check=True, timeout=30)
        assert (tmp_path / "ran").read_text(encoding="utf-8").splitlines() == words
    assert (home / ".local" / "bin" / "writer-desktop").resolve() == installed
    assert (home / ".local" / "share" / "metainfo" / METAINFO).is_file()


@pytest.mark.parametrize("name", ["home", "back\\slash"])
def test_uninstall_removes_its_login_entry_and_empty_icon_folders(
    release: Path, tmp_path: Path, name: str
) -> None:
    # The login entry (Settings ▸ "Start Writer Desktop when I log in") stayed after
    # uninstalling, running a removed program at every login; and so did empty icon folders.
    from writer_desktop.core.autostart import desktop_entry

    home = tmp_path / name
    installed = installed_into(release, home)
    autostart = home / ".config" / "autostart"
    autostart.mkdir(parents=True)
    entry = desktop_entry(["/usr/bin/env", "WRITER_DESKTOP_HOME=/d", str(installed)])
    (autostart / "writer-desktop.desktop").write_text(entry, encoding="utf-8")  # as the app does
    data = home / ".local" / "share" / "my-notes"
    data.mkdir()  # the user's own files next to ours
    out = run(release, home, "--uninstall")
    assert "kept" in out.stdout
    assert not (autostart / "writer-desktop.desktop").exists()
    assert not (home / ".local" / "opt" / "writer-desktop").exists()
    assert not (home / ".local" / "bin" / "writer-desktop").exists()
    assert not (home / ".local" / "share" / "applications" / "writer-desktop.desktop").exists()
    assert list((home / ".local" / "share" / "icons" / "hicolor").iterdir()) == []
    assert not (home / ".local" / "share" / "metainfo" / METAINFO).exists()
    assert data.is_dir()


def test_uninstall_keeps_a_login_entry_of_another_copy(release: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    installed_into(release, home)
    autostart = home / ".config" / "autostart"
    autostart.mkdir(parents=True)
    other = "[Desktop Entry]\nExec=/usr/bin/python3 -m writer_desktop\n"  # a pip install's
    (autostart / "writer-desktop.desktop").write_text(other, encoding="utf-8")
    run(release, home, "--uninstall")
    assert (autostart / "writer-desktop.desktop").read_text(encoding="utf-8") == other
