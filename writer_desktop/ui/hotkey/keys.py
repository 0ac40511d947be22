"""Key combinations: parse "Ctrl+Alt+Space" once, then spell it for each platform's API.

:func:`parse_sequence` turns Qt portable text (or a :class:`QKeySequence`) into a :class:`KeyCombo`
of Qt modifiers and a Qt key; ``x11_grab``, ``windows_hotkey``, ``carbon_hotkey`` and
``portal_trigger`` translate it. All of it is pure, so every platform's table is tested on Linux.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QKeySequence

from . import HotkeyError

Mod = Qt.KeyboardModifier
PORTABLE = QKeySequence.SequenceFormat.PortableText
# Modifiers a global shortcut may use; one besides Shift is required, or it would steal typing.
MODIFIERS = Mod.ControlModifier | Mod.AltModifier | Mod.ShiftModifier | Mod.MetaModifier
# Words people write that Qt's parser does not know (Qt's own names are Ctrl, Alt, Shift, Meta).
_ALIASES = {
    "control": "Ctrl",
    "option": "Alt",
    "opt": "Alt",
    "cmd": "Ctrl",
    "command": "Ctrl",
    "super": "Meta",
    "win": "Meta",
}


@dataclass(frozen=True, slots=True)
class KeyCodes:
    """One key as each platform names it."""

    xkb: str  # keysym name, as in XDG shortcut triggers ("space", "F5")
    keysym: int  # X11 keysym
    vk: int  # Windows virtual-key code
    mac: int  # macOS virtual key code (kVK_*, ANSI positions)


# kVK_ANSI_* from HIToolbox/Events.h: positions on the ANSI keyboard, not characters.
_MAC_LETTERS = dict(zip("ASDFHGZXCVBQWERYTOUIPLJKNM", [
    *range(0x00, 0x0A), *range(0x0B, 0x12), 0x1F, 0x20, 0x22, 0x23, 0x25, 0x26, 0x28, 0x2D, 0x2E,
], strict=True))  # fmt: skip
_MAC_DIGITS = dict(zip("1234567890", [
    0x12, 0x13, 0x14, 0x15, 0x17, 0x16, 0x1A, 0x1C, 0x19, 0x1D,
], strict=True))  # fmt: skip
_MAC_F = [
    0x7A,
    0x78,
    0x63,
    0x76,
    0x60,
    0x61,
    0x62,
    0x64,
    0x65,
    0x6D,
    0x67,
    0x6F,
    0x69,
    0x6B,
    0x71,
    0x6A,
    0x40,
    0x4F,
    0x50,
    0x5A,
]  # fmt: skip  (F1…F20)


def _table() -> dict[Qt.Key, KeyCodes]:
    keys: dict[Qt.Key, KeyCodes] = {}
    for ch, mac in (_MAC_LETTERS | _MAC_DIGITS).items():
        keys[Qt.Key(ord(ch))] = KeyCodes(ch.lower(), ord(ch.lower()), ord(ch), mac)
    for n, mac in enumerate(_MAC_F):
        keys[Qt.Key(Qt.Key.Key_F1.value + n)] = KeyCodes(f"F{n + 1}", 0xFFBE + n, 0x70 + n, mac)
    named = [  # Qt key, keysym name, keysym, VK_*, kVK_*
        (Qt.Key.Key_Space, "space", 0x0020, 0x20, 0x31),
        (Qt.Key.Key_Return, "Return", 0xFF0D, 0x0D, 0x24),
        (Qt.Key.Key_Tab, "Tab", 0xFF09, 0x09, 0x30),
        (Qt.Key.Key_Escape, "Escape", 0xFF1B, 0x1B, 0x35),
        (Qt.Key.Key_Backspace, "BackSpace", 0xFF08, 0x08, 0x33),
        (Qt.Key.Key_Insert, "Insert", 0xFF63, 0x2D, 0x72),  # kVK_Help sits where Insert is
        (Qt.Key.Key_Delete, "Delete", 0xFFFF, 0x2E, 0x75),
        (Qt.Key.Key_Home, "Home", 0xFF50, 0x24, 0x73),
        (Qt.Key.Key_End, "End", 0xFF57, 0x23, 0x77),
        (Qt.Key.Key_PageUp, "Page_Up", 0xFF55, 0x21, 0x74),
        (Qt.Key.Key_PageDown, "Page_Down", 0xFF56, 0x22, 0x79),
        (Qt.Key.Key_Left, "Left", 0xFF51, 0x25, 0x7B),
        (Qt.Key.Key_Up, "Up", 0xFF52, 0x26, 0x7E),
        (Qt.Key.Key_Right, "Right", 0xFF53, 0x27, 0x7C),
        (Qt.Key.Key_Down, "Down", 0xFF54, 0x28, 0x7D),
    ]
    for key, xkb, keysym, vk, mac in named:
        keys[key] = KeyCodes(xkb, keysym, vk, mac)
    return keys


KEYS = _table()


_MODIFIER_KEYS = frozenset(
    (Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Shift, Qt.Key.Key_Meta, Qt.Key.Key_AltGr)
)


@dataclass(frozen=True, slots=True)
class KeyCombo:
    """Qt modifiers plus one Qt key, already checked to be usable as a global shortcut."""

    modifiers: Qt.KeyboardModifier
    key: Qt.Key

    @property
    def codes(self) -> KeyCodes:
        return KEYS[self.key]

    def text(self) -> str:
        """The combination as the user's platform writes it ("Ctrl+Alt+Space", "⌥Space")."""
        seq = QKeySequence(QKeyCombination(self.modifiers, self.key))
        return seq.toString(QKeySequence.SequenceFormat.NativeText)


def _normalise(text: str) -> str:
    parts = text.strip().split("+")
    words = [_ALIASES.get(p.strip().lower(), p.strip()) for p in parts[:-1]]
    return "+".join([*words, parts[-1].strip()])


def parse_sequence(sequence: str | QKeySequence) -> KeyCombo:
    """One key plus modifiers, or :class:`HotkeyError` saying what is wrong with it."""
    shown = sequence.toString(PORTABLE) if isinstance(sequence, QKeySequence) else sequence
    if isinstance(sequence, str):
        sequence = QKeySequence.fromString(_normalise(sequence), PORTABLE)
    if sequence.count() == 0:
        raise HotkeyError("No shortcut was given. Press the keys you want to use.")
    if sequence.count() > 1:
        raise HotkeyError(f"{shown} is a sequence of keys; a global shortcut must be one press.")
    combination = sequence[0]  # type: ignore[index]  # the stubs omit QKeySequence.operator[]
    key = combination.key()
    modifiers = combination.keyboardModifiers() & MODIFIERS
    if key == Qt.Key.Key_unknown:
        raise HotkeyError(f"{shown!r} is not a key combination Writer Desktop understands.")
    if key in _MODIFIER_KEYS:
        raise HotkeyError(f"{shown} has only modifiers; add a letter, digit, F-key or Space.")
    if key not in KEYS:
        raise HotkeyError(
            f"{shown} cannot be a global shortcut. Use a letter, digit, F-key, Space, "
            "or an arrow or editing key together with Ctrl, Alt or Meta."
        )
    if not modifiers & (Mod.ControlModifier | Mod.AltModifier | Mod.MetaModifier):
        raise HotkeyError(
            f"{shown} needs Ctrl, Alt or Meta as well; without one it would take that key away "
            "from every other program."
        )
    return KeyCombo(modifiers, key)


# X11 modifier masks (X.h). Alt on Mod1 and Super on Mod4 is the modifier map of Xvfb and every
# mainstream desktop; a machine that remaps them needs a different shortcut, not different code.
X11_SHIFT, X11_LOCK, X11_CONTROL, X11_MOD1, X11_MOD2, X11_MOD4 = 1, 2, 4, 8, 16, 64
X11_NUM_LOCK = X11_MOD2  # where NumLock lives in the usual modifier map
X11_IGNORED = X11_LOCK | X11_NUM_LOCK
# Windows fsModifiers (winuser.h).
MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_WIN, MOD_NOREPEAT = 0x1, 0x2, 0x4, 0x8, 0x4000
# Carbon modifier bits (Events.h).
CMD_KEY, SHIFT_KEY, OPTION_KEY, CONTROL_KEY = 0x100, 0x200, 0x800, 0x1000


def _bits(modifiers: Qt.KeyboardModifier, ctrl: int, alt: int, shift: int, meta: int) -> int:
    pairs = ((Mod.ControlModifier, ctrl), (Mod.AltModifier, alt), (Mod.ShiftModifier, shift))
    bits = sum(bit for mod, bit in pairs if modifiers & mod)
    return bits + (meta if modifiers & Mod.MetaModifier else 0)


def x11_grab(combo: KeyCombo) -> tuple[int, int]:
    """(modifier mask, keysym) for ``xcb_grab_key``; the keysym still needs a keycode lookup."""
    return _bits(combo.modifiers, X11_CONTROL, X11_MOD1, X11_SHIFT, X11_MOD4), combo.codes.keysym


def windows_hotkey(combo: KeyCombo) -> tuple[int, int]:
    """(fsModifiers, virtual-key code) for ``RegisterHotKey``; auto-repeat is switched off."""
    mods = _bits(combo.modifiers, MOD_CONTROL, MOD_ALT, MOD_SHIFT, MOD_WIN)
    return mods | MOD_NOREPEAT, combo.codes.vk


def carbon_hotkey(combo: KeyCombo) -> tuple[int, int]:
    """(modifiers, kVK code) for ``RegisterEventHotKey``.

    Qt maps ⌘ Command to ControlModifier and ⌃ Control to MetaModifier on macOS, so "Ctrl" here is
    ``cmdKey`` and "Meta" is ``controlKey``, matching what a QKeySequenceEdit records there.
    """
    return _bits(combo.modifiers, CMD_KEY, OPTION_KEY, SHIFT_KEY, CONTROL_KEY), combo.codes.mac


def portal_trigger(combo: KeyCombo) -> str:
    """A preferred trigger in the XDG shortcuts format, e.g. "CTRL+ALT+space"."""
    names = ((Mod.ControlModifier, "CTRL"), (Mod.AltModifier, "ALT"), (Mod.ShiftModifier, "SHIFT"))
    words = [word for mod, word in names if combo.modifiers & mod]
    if combo.modifiers & Mod.MetaModifier:
        words.append("LOGO")
    return "+".join([*words, combo.codes.xkb])
