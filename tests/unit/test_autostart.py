"""Start at login: real files in temporary homes (Linux, macOS), a fake registry (Windows)."""

from __future__ import annotations

import plistlib
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from writer_desktop.core.autostart import RUN_KEY, Autostart, desktop_entry, exec_quote
from writer_desktop.core.errors import StorageError

COMMAND = ["/opt/Writer Desktop/bin/writer-desktop", "--tray", "100%"]


def test_linux_writes_an_xdg_autostart_entry(tmp_path: Path) -> None:
    config = tmp_path / "config"
    auto = Autostart(COMMAND, platform="linux", home=tmp_path, env={"XDG_CONFIG_HOME": str(config)})
    assert auto.path == config / "autostart" / "writer-desktop.desktop"
    assert not auto.enabled()
    auto.enable()
    assert auto.enabled()
    text = auto.path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "[Desktop Entry]"
    for line in (
        "Type=Application",
        "Name=Writer Desktop",
        "Icon=writer-desktop",
        "X-GNOME-Autostart-enabled=true",
        'Exec="/opt/Writer Desktop/bin/writer-desktop" --tray 100%%',
        "TryExec=/opt/Writer Desktop/bin/writer-desktop",
    ):
        assert line in lines
    assert any(line.startswith("Comment=") for line in lines)
    if sys.platform != "win32":
        assert stat.S_IMODE(auto.path.stat().st_mode) == 0o644
    assert [p.name for p in auto.path.parent.iterdir()] == ["writer-desktop.desktop"]  # no temp
    auto.disable()
    assert not auto.enabled()
    assert not auto.path.exists()
    auto.disable()  # twice is harmless


@pytest.mark.parametrize(
    ("command", "tried"),
    [
        (
            ["/usr/bin/env", "WRITER_DESKTOP_HOME=/d", "/opt/wd/writer-desktop"],
            "/opt/wd/writer-desktop",
        ),
        (["/usr/bin/env", "A=1", "B=2", "/opt/a=b/wd", "x=y"], "/opt/a=b/wd"),
        (["/usr/bin/python3", "-m", "writer_desktop"], "/usr/bin/python3"),
        (["/opt/back\\slash/wd"], "/opt/back\\\\slash/wd"),
    ],
)
def test_the_entry_is_skipped_once_its_program_is_gone(command: list[str], tried: str) -> None:
    # After `install.sh --uninstall` the entry stayed, and the session ran a missing program at
    # every login; TryExec (the program, not `env`) makes it skip the entry instead.
    assert f"TryExec={tried}" in desktop_entry(command).splitlines()


def test_linux_without_xdg_config_home_uses_dot_config(tmp_path: Path) -> None:
    for env in ({}, {"XDG_CONFIG_HOME": "relative/ignored"}):
        auto = Autostart(["wd"], platform="linux", home=tmp_path, env=env)
        assert auto.path == tmp_path / ".config" / "autostart" / "writer-desktop.desktop"


def test_linux_entry_switched_off_by_the_desktop_counts_as_disabled(tmp_path: Path) -> None:
    auto = Autostart(["wd"], platform="linux", home=tmp_path, env={})
    auto.enable()
    assert auto.path is not None
    text = auto.path.read_text().replace("enabled=true", "enabled=false")
    auto.path.write_text(text)
    assert not auto.enabled()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/usr/bin/wd"], "/usr/bin/wd"),
        (["a b"], '"a b"'),
        (['say "hi"'], '"say \\\\"hi\\\\""'),  # \" in the argument, each \ escaped once more
        (["$HOME"], '"\\\\$HOME"'),
        (["back\\slash"], '"back\\\\\\\\slash"'),  # four backslashes, as the spec says
        ([""], '""'),
        (["50%"], "50%%"),
    ],
)
def test_exec_quoting_follows_the_desktop_entry_spec(argv: list[str], expected: str) -> None:
    assert exec_quote(argv) == expected


def test_macos_writes_a_launch_agent(tmp_path: Path) -> None:
    auto = Autostart(COMMAND, platform="darwin", home=tmp_path)
    path = tmp_path / "Library" / "LaunchAgents" / "com.writer.desktop.plist"
    assert auto.path == path
    assert not auto.enabled()
    auto.enable()
    assert auto.enabled()
    agent = plistlib.loads(path.read_bytes())
    assert agent == {"Label": "com.writer.desktop", "ProgramArguments": COMMAND, "RunAtLoad": True}
    auto.disable()
    assert not auto.enabled()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a plist")
    assert not auto.enabled()


class FakeKey:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def __enter__(self) -> FakeKey:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class FakeRegistry:
    """Enough of ``winreg`` for the Run key; records every call."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_READ = 1
    KEY_SET_VALUE = 2
    REG_SZ = 7

    def __init__(self) -> None:
        self.keys: dict[tuple[Any, str], dict[str, str]] = {}
        self.fail: OSError | None = None

    def _key(self, root: Any, sub_key: str, create: bool) -> FakeKey:
        if self.fail is not None:
            raise self.fail
        if (root, sub_key) not in self.keys:
            if not create:
                raise FileNotFoundError(2, "The system cannot find the file specified")
            self.keys[root, sub_key] = {}
        return FakeKey(self.keys[root, sub_key])

    def OpenKey(self, key: Any, sub_key: str, reserved: int = 0, access: int = 1) -> FakeKey:
        return self._key(key, sub_key, create=False)

    def CreateKeyEx(self, key: Any, sub_key: str, reserved: int = 0, access: int = 2) -> FakeKey:
        return self._key(key, sub_key, create=True)

    def QueryValueEx(self, key: FakeKey, name: str) -> tuple[str, int]:
        if name not in key.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return key.values[name], self.REG_SZ

    def SetValueEx(self, key: FakeKey, name: str, reserved: int, kind: int, value: str) -> None:
        assert kind == self.REG_SZ
        key.values[name] = value

    def DeleteValue(self, key: FakeKey, name: str) -> None:
        if name not in key.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        del key.values[name]


def test_windows_uses_the_run_key(tmp_path: Path) -> None:
    reg = FakeRegistry()
    auto = Autostart(COMMAND, platform="win32", home=tmp_path, registry=reg)
    assert auto.path is None
    assert not auto.enabled()  # no Run key at all
    auto.enable()
    assert reg.keys["HKCU", RUN_KEY] == {
        "Writer Desktop": '"/opt/Writer Desktop/bin/writer-desktop" --tray 100%'
    }
    assert auto.enabled()
    auto.disable()
    assert not auto.enabled()
    auto.disable()  # no value left: harmless
    assert list(tmp_path.iterdir()) == []


def test_windows_registry_errors_are_storage_errors(tmp_path: Path) -> None:
    reg = FakeRegistry()
    reg.fail = PermissionError(5, "Access is denied")
    auto = Autostart(COMMAND, platform="win32", home=tmp_path, registry=reg)
    for action in (auto.enable, auto.disable, auto.enabled):
        with pytest.raises(StorageError, match="start-up"):
            action()


def test_unusable_config_folder_is_a_storage_error(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("a file where the folder should be")  # fails even for root
    auto = Autostart(["wd"], platform="linux", home=tmp_path, env={"XDG_CONFIG_HOME": str(config)})
    with pytest.raises(StorageError, match="Could not create"):
        auto.enable()
    assert not auto.enabled()
