"""macOS: a Carbon hot key (``RegisterEventHotKey``) and an application event handler.

Carbon's hot-key API is still the only public one that needs no Accessibility permission; Cocoa
apps (Qt's included) receive its ``kEventHotKeyPressed`` events on the application event target,
on the main thread. The module imports anywhere: the Carbon framework is loaded inside methods.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any, ClassVar

from PySide6.QtCore import QObject

from . import HotkeyBackend, HotkeyError
from .keys import KeyCombo, carbon_hotkey

log = logging.getLogger(__name__)

CARBON = "/System/Library/Frameworks/Carbon.framework/Carbon"


def four_cc(code: str) -> int:
    """A Mac OSType: four ASCII characters read as a big-endian UInt32."""
    return int.from_bytes(code.encode("ascii"), "big")


K_EVENT_CLASS_KEYBOARD = four_cc("keyb")
K_EVENT_HOT_KEY_PRESSED = 5
K_EVENT_PARAM_DIRECT_OBJECT = four_cc("----")
TYPE_EVENT_HOT_KEY_ID = four_cc("hkid")
SIGNATURE = four_cc("WrDk")  # identifies our hot keys among any others in the process
HOTKEY_ID = 1
# Without this option Carbon lets several processes share a hot key silently; with it, a hot key
# another app holds exclusively (Raycast, Alfred…) fails with eventHotKeyExistsErr. A holder that
# registered without the option still shares it: that case cannot be detected.
K_EVENT_HOT_KEY_EXCLUSIVE = 1 << 0
NO_ERR = 0
EVENT_NOT_HANDLED_ERR = -9874
EVENT_HOT_KEY_EXISTS_ERR = -9878
EVENT_HOT_KEY_INVALID_ERR = -9879


class EventTypeSpec(ctypes.Structure):
    _fields_ = (("eventClass", ctypes.c_uint32), ("eventKind", ctypes.c_uint32))


class EventHotKeyID(ctypes.Structure):
    _fields_ = (("signature", ctypes.c_uint32), ("id", ctypes.c_uint32))


# OSStatus handler(EventHandlerCallRef, EventRef, void *userData); in 64-bit code the "UPP" is
# the plain function pointer (NewEventHandlerUPP is an identity macro there).
EventHandlerProc = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
)


def _carbon() -> Any:
    if sys.platform != "darwin":
        raise HotkeyError("Carbon hot keys exist only on macOS.")
    carbon = ctypes.CDLL(CARBON)
    vp, u32, i32 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int32
    carbon.GetApplicationEventTarget.argtypes, carbon.GetApplicationEventTarget.restype = [], vp
    carbon.InstallEventHandler.argtypes = [
        vp, EventHandlerProc, ctypes.c_ulong, ctypes.POINTER(EventTypeSpec), vp, ctypes.POINTER(vp)
    ]  # fmt: skip
    carbon.InstallEventHandler.restype = i32
    carbon.RemoveEventHandler.argtypes, carbon.RemoveEventHandler.restype = [vp], i32
    carbon.RegisterEventHotKey.argtypes = [u32, u32, EventHotKeyID, vp, u32, ctypes.POINTER(vp)]
    carbon.RegisterEventHotKey.restype = i32
    carbon.UnregisterEventHotKey.argtypes, carbon.UnregisterEventHotKey.restype = [vp], i32
    carbon.GetEventParameter.argtypes = [
        vp, u32, u32, ctypes.POINTER(u32), ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), vp
    ]  # fmt: skip
    carbon.GetEventParameter.restype = i32
    return carbon


class MacBackend(HotkeyBackend):
    """``RegisterEventHotKey`` on the application event target, one handler for its presses."""

    name: ClassVar[str] = "macOS Carbon hot key"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._carbon = _carbon()
        self._hotkey = ctypes.c_void_p()
        self._handler = ctypes.c_void_p()
        self._proc = EventHandlerProc(self._on_event)  # kept: Carbon holds only the pointer

    def _grab(self, combo: KeyCombo) -> None:
        modifiers, keycode = carbon_hotkey(combo)
        target = self._carbon.GetApplicationEventTarget()
        if not self._handler:
            spec = EventTypeSpec(K_EVENT_CLASS_KEYBOARD, K_EVENT_HOT_KEY_PRESSED)
            status = self._carbon.InstallEventHandler(
                target, self._proc, 1, ctypes.byref(spec), None, ctypes.byref(self._handler)
            )
            if status != NO_ERR:
                raise HotkeyError(f"macOS refused the hot-key handler (error {status}).")
        hotkey_id = EventHotKeyID(SIGNATURE, HOTKEY_ID)
        status = self._carbon.RegisterEventHotKey(
            keycode,
            modifiers,
            hotkey_id,
            target,
            K_EVENT_HOT_KEY_EXCLUSIVE,
            ctypes.byref(self._hotkey),
        )
        if status == EVENT_HOT_KEY_EXISTS_ERR:
            raise HotkeyError(
                f"{combo.text()} is already used by another program. Choose another shortcut."
            )
        if status != NO_ERR:
            raise HotkeyError(f"macOS refused {combo.text()} (error {status}).")

    def _release(self) -> None:
        if self._hotkey:
            self._carbon.UnregisterEventHotKey(self._hotkey)
            self._hotkey = ctypes.c_void_p()
        if self._handler:
            self._carbon.RemoveEventHandler(self._handler)
            self._handler = ctypes.c_void_p()

    def _on_event(self, _call: int | None, event: int | None, _data: int | None) -> int:
        """Carbon's callback: claim our hot key's presses, pass everything else on."""
        try:
            hotkey_id = EventHotKeyID()
            status = self._carbon.GetEventParameter(
                event, K_EVENT_PARAM_DIRECT_OBJECT, TYPE_EVENT_HOT_KEY_ID, None,
                ctypes.sizeof(hotkey_id), None, ctypes.byref(hotkey_id),
            )  # fmt: skip
            if status != NO_ERR or not is_our_hotkey(hotkey_id):
                return EVENT_NOT_HANDLED_ERR
            self.activated.emit()
            return NO_ERR
        except Exception:  # an exception must not unwind into Carbon's C frames
            log.exception("hot-key handler failed")
            return EVENT_NOT_HANDLED_ERR


def is_our_hotkey(hotkey_id: EventHotKeyID) -> bool:
    """True for the EventHotKeyID this backend registers (pure, tested anywhere)."""
    return bool(hotkey_id.signature == SIGNATURE and hotkey_id.id == HOTKEY_ID)
