"""The hotkey's pure parts: parsing, each platform's key tables, the chooser, message parsing.

The X11 backend is exercised for real in tests/e2e/test_hotkey_x11.py; these tests keep the
Windows, macOS and portal spellings honest on any machine, and run the portal backend's D-Bus
conversation against a fake portal (tests/e2e/fake_portal.py) on a private bus.
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtDBus import QDBusConnection
from PySide6.QtGui import QGuiApplication, QKeySequence
from pytestqt.qtbot import QtBot

from writer_desktop.ui.hotkey import (
    HotkeyBackend,
    HotkeyError,
    choose_backend,
    default_sequence,
    manual_binding_hint,
    pick_backend,
    unavailable_reason,
)
from writer_desktop.ui.hotkey import keys as k
from writer_desktop.ui.hotkey.keys import KeyCombo, parse_sequence
from writer_desktop.ui.hotkey.macos import EventHotKeyID, MacBackend, four_cc, is_our_hotkey
from writer_desktop.ui.hotkey.portal import PortalBackend, portal_version
from writer_desktop.ui.hotkey.windows import MSG, WM_HOTKEY, WindowsBackend, parse_hotkey_message
from writer_desktop.ui.hotkey.x11 import X11Backend

ROOT = Path(__file__).resolve().parents[2]
Mod = Qt.KeyboardModifier
CTRL_ALT = Mod.ControlModifier | Mod.AltModifier


@pytest.mark.parametrize(
    ("text", "modifiers", "key"),
    [
        ("Ctrl+Alt+Space", CTRL_ALT, Qt.Key.Key_Space),
        ("ctrl+alt+space", CTRL_ALT, Qt.Key.Key_Space),
        (" Control + Option + Space ", CTRL_ALT, Qt.Key.Key_Space),
        ("Alt+Space", Mod.AltModifier, Qt.Key.Key_Space),
        ("Cmd+Shift+K", Mod.ControlModifier | Mod.ShiftModifier, Qt.Key.Key_K),
        ("Super+F5", Mod.MetaModifier, Qt.Key.Key_F5),
        ("Meta+Alt+PgDown", Mod.MetaModifier | Mod.AltModifier, Qt.Key.Key_PageDown),
        ("Ctrl+Alt+7", CTRL_ALT, Qt.Key.Key_7),
    ],
)
def test_parse_accepts_qt_text_and_common_aliases(
    text: str, modifiers: Qt.KeyboardModifier, key: Qt.Key
) -> None:
    assert parse_sequence(text) == KeyCombo(modifiers, key)


def test_parse_accepts_a_key_sequence() -> None:
    seq = QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.ALT | Qt.Key.Key_Space)
    assert parse_sequence(seq) == parse_sequence("Ctrl+Alt+Space")
    assert parse_sequence(seq).text() == "Ctrl+Alt+Space"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "No shortcut was given"),
        ("Space", "needs Ctrl, Alt or Meta"),
        ("Shift+A", "needs Ctrl, Alt or Meta"),
        ("Ctrl+A, B", "must be one press"),
        ("Ctrl+Frobnicate", "not a key combination"),
        ("Ctrl+Alt", "has only modifiers"),
        ("Meta+Shift", "has only modifiers"),
        ("Ctrl+Alt+ä", "cannot be a global shortcut"),
        ("Ctrl+Alt+Print", "cannot be a global shortcut"),
    ],
)
def test_parse_rejects_with_a_sentence(text: str, words: str) -> None:
    with pytest.raises(HotkeyError, match=words):
        parse_sequence(text)


def test_table_has_letters_digits_and_f_keys_with_distinct_codes() -> None:
    for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
        assert Qt.Key(ord(ch)) in k.KEYS
    assert Qt.Key.Key_F20 in k.KEYS
    for column in ("xkb", "keysym", "vk", "mac"):
        values = [getattr(codes, column) for codes in k.KEYS.values()]
        assert len(set(values)) == len(values), column


@pytest.mark.parametrize(
    ("text", "x11", "windows", "mac", "portal"),
    [
        ("Ctrl+Alt+Space", (4 | 8, 0x20), (0x4003, 0x20), (0x900, 0x31), "CTRL+ALT+space"),
        ("Alt+Space", (8, 0x20), (0x4001, 0x20), (0x800, 0x31), "ALT+space"),
        ("Meta+Shift+F5", (64 | 1, 0xFFC2), (0x400C, 0x74), (0x1200, 0x60), "SHIFT+LOGO+F5"),
        ("Ctrl+Alt+K", (12, ord("k")), (0x4003, ord("K")), (0x900, 0x28), "CTRL+ALT+k"),
        ("Ctrl+Alt+5", (12, ord("5")), (0x4003, ord("5")), (0x900, 0x17), "CTRL+ALT+5"),
        ("Ctrl+Return", (4, 0xFF0D), (0x4002, 0x0D), (0x100, 0x24), "CTRL+Return"),
        ("Alt+Left", (8, 0xFF51), (0x4001, 0x25), (0x800, 0x7B), "ALT+Left"),
    ],
)
def test_each_platform_spells_the_combination(
    text: str, x11: tuple[int, int], windows: tuple[int, int], mac: tuple[int, int], portal: str
) -> None:
    combo = parse_sequence(text)
    assert k.x11_grab(combo) == x11
    assert k.windows_hotkey(combo) == windows
    assert k.carbon_hotkey(combo) == mac
    assert k.portal_trigger(combo) == portal


def test_defaults_and_the_manual_hint() -> None:
    assert default_sequence("linux") == default_sequence("win32") == "Ctrl+Alt+Space"
    assert default_sequence("darwin") == "Alt+Space"
    for platform in ("linux", "win32", "darwin"):
        parse_sequence(default_sequence(platform))
    assert "writer-desktop quick" in manual_binding_hint()


def _no_probe() -> int | None:
    raise AssertionError("the portal must not be probed here")


@pytest.mark.parametrize(
    ("platform_name", "os_name", "session", "probe", "expected"),
    [
        ("xcb", "linux", "x11", _no_probe, X11Backend),
        ("xcb", "linux", "wayland", lambda: None, X11Backend),  # XWayland, no portal
        ("xcb", "linux", "wayland", lambda: 1, PortalBackend),  # XWayland grabs need X focus
        ("wayland", "linux", "wayland", lambda: 1, PortalBackend),
        ("windows", "win32", "", _no_probe, WindowsBackend),
        ("cocoa", "darwin", "", _no_probe, MacBackend),
    ],
)
def test_chooser_picks_by_platform(
    platform_name: str, os_name: str, session: str, probe: object, expected: type
) -> None:
    factory, reason = pick_backend(platform_name, os_name, session, probe)  # type: ignore[arg-type]
    assert (factory, reason) == (expected, "")


@pytest.mark.parametrize(
    ("platform_name", "probe", "words"),
    [
        ("offscreen", _no_probe, "without a display"),
        ("wayland", lambda: None, "does not offer the GlobalShortcuts portal"),
        ("eglfs", _no_probe, "not supported on the Qt platform 'eglfs'"),
    ],
)
def test_chooser_explains_when_there_is_no_backend(
    platform_name: str, probe: object, words: str
) -> None:
    factory, reason = pick_backend(platform_name, "linux", "wayland", probe)  # type: ignore[arg-type]
    assert factory is None
    assert words in reason


def test_chooser_needs_jeepney_for_the_portal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("writer_desktop.ui.hotkey.portal.jeepney_available", lambda: False)
    factory, reason = pick_backend("wayland", "linux", "wayland", lambda: 1)
    assert factory is None
    assert "jeepney" in reason


def test_offscreen_app_gets_no_backend_and_a_reason() -> None:
    app = QCoreApplication.instance()
    assert isinstance(app, QGuiApplication)
    assert app.platformName() == "offscreen"
    assert choose_backend(app) is None
    assert "without a display" in unavailable_reason(app)


@pytest.mark.parametrize("backend", [X11Backend, WindowsBackend, MacBackend])
def test_foreign_backends_refuse_to_start_in_words(backend: type[HotkeyBackend]) -> None:
    with pytest.raises(HotkeyError, match=r"\w+ \w+"):
        backend()


def test_windows_message_parsing() -> None:
    msg = MSG(None, WM_HOTKEY, 7, 0)
    assert parse_hotkey_message(ctypes.addressof(msg), 7)
    assert not parse_hotkey_message(ctypes.addressof(msg), 8)
    other = MSG(None, 0x0100, 7, 0)  # WM_KEYDOWN
    assert not parse_hotkey_message(ctypes.addressof(other), 7)


def test_macos_hotkey_id() -> None:
    assert four_cc("keyb") == 0x6B657962
    assert is_our_hotkey(EventHotKeyID(four_cc("WrDk"), 1))
    assert not is_our_hotkey(EventHotKeyID(four_cc("Othr"), 1))


class FakeBackend(HotkeyBackend):
    """Grabs succeed except for the combinations listed as taken."""

    name = "fake"

    def __init__(self, taken: set[str]) -> None:
        super().__init__()
        self.taken, self.held = taken, set[str]()

    def _grab(self, combo: KeyCombo) -> None:
        if combo.text() in self.taken:
            raise HotkeyError(f"{combo.text()} is already used by another program.")
        self.held.add(combo.text())

    def _release(self) -> None:
        self.held.clear()


def test_register_replaces_and_restores_on_failure() -> None:
    backend = FakeBackend(taken={"Ctrl+Alt+K"})
    backend.register("Ctrl+Alt+Space")
    backend.register("Ctrl+Alt+J")
    assert (backend.sequence, backend.held) == ("Ctrl+Alt+J", {"Ctrl+Alt+J"})
    with pytest.raises(HotkeyError, match="already used"):
        backend.register("Ctrl+Alt+K")
    assert (backend.sequence, backend.held) == ("Ctrl+Alt+J", {"Ctrl+Alt+J"})
    with pytest.raises(HotkeyError):
        backend.register("Shift+A")  # invalid: the old one is not even released
    assert backend.held == {"Ctrl+Alt+J"}
    backend.unregister()
    backend.unregister()
    assert (backend.sequence, backend.held) == (None, set())


def test_portal_probe_without_a_bus_or_portal() -> None:
    assert portal_version(QDBusConnection("writer-desktop-test-no-such-bus")) is None
    assert PortalBackend.name == "XDG desktop portal (GlobalShortcuts)"
    if shutil.which("dbus-run-session") is None:
        pytest.skip("dbus-run-session not installed (apt-get install dbus)")
    code = (
        "from PySide6.QtCore import QCoreApplication\n"
        "from writer_desktop.ui.hotkey.portal import portal_version\n"
        "app = QCoreApplication([])\n"
        "print(portal_version())\n"
    )
    result = subprocess.run(
        ["dbus-run-session", "--", sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "None", result.stderr


def read_line(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> str:
    """One line of a child's stdout, read unbuffered so that select() stays truthful."""
    assert proc.stdout is not None
    fd, line = proc.stdout.fileno(), b""
    while not line.endswith(b"\n"):
        if not select.select([fd], [], [], timeout)[0]:
            raise AssertionError(f"no complete line within {timeout} s (got {line!r})")
        chunk = os.read(fd, 1)
        if not chunk:
            raise AssertionError(f"the child closed its output (got {line!r})")
        line += chunk
    return line.decode().strip()


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)
    assert proc.stdout is not None
    proc.stdout.close()


@pytest.fixture
def fake_portal() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private session bus with tests/e2e/fake_portal.py on it: (bus address, portal process)."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon not installed (apt-get install dbus)")
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        address = read_line(bus)
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
        portal = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.fake_portal"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
        )
        try:
            assert read_line(portal) == "ready"
            yield address, portal
        finally:
            stop(portal)
    finally:
        stop(bus)


def test_portal_binds_activates_closes_and_reports_refusal(
    fake_portal: tuple[str, subprocess.Popen[bytes]], qtbot: QtBot
) -> None:
    address, portal = fake_portal
    name = "writer-desktop-test-portal"
    try:
        assert portal_version(QDBusConnection.connectToBus(address, name)) == 1
    finally:
        QDBusConnection.disconnectFromBus(name)
    backend = PortalBackend(bus=address)
    try:
        with qtbot.waitSignal(backend.activated, timeout=5000):  # the fake presses once
            backend.register("Ctrl+Alt+Space")
        assert read_line(portal) == "bind quick-prompt CTRL+ALT+space"
        assert backend.sequence == "Ctrl+Alt+Space"
        backend.unregister()
        assert read_line(portal).startswith("closed /org/freedesktop/portal/desktop/session/")
        with qtbot.waitSignal(backend.failed, timeout=5000) as refused:  # the fake cancels F12
            backend.register("Ctrl+Alt+F12")
        assert refused.args == ["Binding Ctrl+Alt+F12 through the desktop was cancelled."]
        assert backend.sequence is None
    finally:
        backend.close()


def test_portal_without_a_bus_refuses_in_words(tmp_path: Path) -> None:
    with pytest.raises(HotkeyError, match="Cannot reach the desktop portal"):
        PortalBackend(bus=f"unix:path={tmp_path}/no-bus")
