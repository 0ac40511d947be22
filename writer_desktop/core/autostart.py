"""Start Writer Desktop when the user logs in: one switch, one mechanism per operating system.

=======  ==================================================================================
Linux    XDG autostart entry ``$XDG_CONFIG_HOME/autostart/writer-desktop.desktop``
Windows  value "Writer Desktop" under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``
macOS    LaunchAgent ``~/Library/LaunchAgents/com.writer.desktop.plist`` with RunAtLoad
=======  ==================================================================================

The platform, home folder, environment and registry module are injectable, so every branch is
tested on any machine. Failures raise :class:`~writer_desktop.core.errors.StorageError`.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from .atomic import atomic_write
from .errors import StorageError

APP_NAME = "Writer Desktop"
DESKTOP_FILE = "writer-desktop.desktop"
AGENT_LABEL = "com.writer.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
# Desktop Entry spec, "The Exec key": arguments holding these must be double-quoted.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")  # env NAME=value


class WinReg(Protocol):
    """The part of the standard ``winreg`` module used here (tests pass a fake)."""

    HKEY_CURRENT_USER: Any
    KEY_READ: int
    KEY_SET_VALUE: int
    REG_SZ: int

    def OpenKey(self, key: Any, sub_key: str, reserved: int = 0, access: int = ...) -> Any: ...
    def CreateKeyEx(self, key: Any, sub_key: str, reserved: int = 0, access: int = ...) -> Any: ...
    def QueryValueEx(self, key: Any, name: str) -> tuple[Any, int]: ...
    def SetValueEx(self, key: Any, name: str, reserved: int, kind: int, value: str) -> None: ...
    def DeleteValue(self, key: Any, name: str) -> None: ...


def exec_quote(argv: Sequence[str]) -> str:
    """A command line as a Desktop Entry ``Exec`` value (arguments quoted, ``%`` doubled)."""
    words = []
    for arg in argv:
        arg = arg.replace("%", "%%")
        if arg == "" or any(ch in _RESERVED for ch in arg):
            for ch in '\\"`$':
                arg = arg.replace(ch, "\\" + ch)
            arg = f'"{arg}"'
        words.append(arg)
    return escape_value(" ".join(words))


def escape_value(text: str) -> str:
    """A Desktop Entry string value: backslash and control characters escaped."""
    table = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return "".join(table.get(ch, ch) for ch in text)


def program(command: Sequence[str]) -> str:
    """The program ``command`` runs: its first word, or what ``env NAME=value …`` runs."""
    words = list(command)
    if len(words) > 1 and os.path.basename(words[0]) == "env":
        rest = words[1:]
        while len(rest) > 1 and _ASSIGNMENT.match(rest[0]):
            rest = rest[1:]
        return rest[0]
    return words[0]


def desktop_entry(command: Sequence[str]) -> str:
    """The XDG autostart entry that runs ``command``. ``TryExec`` makes the session skip it
    once the program is gone (an uninstalled bundle) instead of failing at every login."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Chat with Writer's Palmyra models\n"
        f"Exec={exec_quote(command)}\n"
        f"TryExec={escape_value(program(command))}\n"
        "Icon=writer-desktop\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def launch_agent(command: Sequence[str]) -> bytes:
    """The LaunchAgent property list that runs ``command`` at login."""
    import plistlib  # macOS only; with xml.parsers.expat, ~0.3 MiB elsewhere for nothing

    plist = {"Label": AGENT_LABEL, "ProgramArguments": list(command), "RunAtLoad": True}
    return plistlib.dumps(plist)


class Autostart:
    """Whether ``command`` runs at login; ``enable()`` also refreshes an outdated entry."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        platform: str = sys.platform,
        home: Path | None = None,
        env: Mapping[str, str] | None = None,
        registry: WinReg | None = None,
    ) -> None:
        self.command = list(command)
        self.platform = platform
        self._home = home if home is not None else Path.home()
        self._env = env if env is not None else os.environ
        self._registry = registry

    @property
    def path(self) -> Path | None:
        """The file that switches autostart on (None on Windows, which uses the registry)."""
        if self.platform == "darwin":
            return self._home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
        if self.platform == "win32":
            return None
        config = self._env.get("XDG_CONFIG_HOME", "")
        base = Path(config) if os.path.isabs(config) else self._home / ".config"
        return base / "autostart" / DESKTOP_FILE

    def enabled(self) -> bool:
        if self.platform == "win32":
            return self._run_value() is not None
        path = self.path
        assert path is not None
        try:
            text = path.read_bytes()
        except OSError:
            return False
        if self.platform == "darwin":
            import plistlib

            try:
                agent = plistlib.loads(text)
            except Exception:  # plistlib raises several types for a damaged file
                return False
            return isinstance(agent, dict) and agent.get("RunAtLoad") is True
        lines = text.decode("utf-8", "replace").splitlines()
        return not {"Hidden=true", "X-GNOME-Autostart-enabled=false"} & set(lines)

    def enable(self) -> None:
        if self.platform == "win32":
            self._set_run_value(subprocess.list2cmdline(self.command))
            return
        path = self.path
        assert path is not None
        if self.platform == "darwin":
            data = launch_agent(self.command)
        else:
            data = desktop_entry(self.command).encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Could not create {path.parent}: {exc.strerror}.") from exc
        atomic_write(path, data, mode=0o644)

    def disable(self) -> None:
        if self.platform == "win32":
            self._delete_run_value()
            return
        path = self.path
        assert path is not None
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"Could not remove {path}: {exc.strerror}.") from exc

    # -- Windows ------------------------------------------------------------------------------

    def _winreg(self) -> WinReg:
        if self._registry is None:
            self._registry = cast(WinReg, importlib.import_module("winreg"))
        return self._registry

    def _run_value(self) -> str | None:
        reg = self._winreg()
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_READ) as key:
                value, _kind = reg.QueryValueEx(key, APP_NAME)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"Could not read the Windows start-up list: {exc}.") from exc
        return str(value)

    def _set_run_value(self, value: str) -> None:
        reg = self._winreg()
        try:
            with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
                reg.SetValueEx(key, APP_NAME, 0, reg.REG_SZ, value)
        except OSError as exc:
            raise StorageError(f"Could not add Writer Desktop to start-up: {exc}.") from exc

    def _delete_run_value(self) -> None:
        reg = self._winreg()
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY, 0, reg.KEY_SET_VALUE) as key:
                reg.DeleteValue(key, APP_NAME)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StorageError(f"Could not remove Writer Desktop from start-up: {exc}.") from exc
