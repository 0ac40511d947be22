"""The system keyring, asked from a short-lived child process of the app.

``keyring`` with its Secret Service backend loads ``secretstorage``, ``jeepney`` and
``cryptography`` (its own OpenSSL): +10.5 MB that the app would keep for its whole life to read
one key at start-up. And a keyring that never answers (a prompt nobody sees) would hold a thread
forever. Here each call starts ``writer-desktop --keyring-helper`` (the frozen app runs itself;
from source, ``python -m writer_desktop``), which does the one call and exits; at the timeout it
is killed.

The key travels through the child's stdin and stdout only: never in its arguments (which any
user can read in the process list) or its environment. The child answers one JSON
line: ``{"value": ...}``, or ``{"error": kind, "message": ...}`` where ``kind`` is the name of
the exception keyring raised (the message only for the kinds whose message is shown).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from .errors import SecretsError

HELPER_FLAG = "--keyring-helper"
SHOWN = ("NoKeyringError", "SecretsError")  # kinds whose message is told to the user


class KeyringFailure(Exception):
    """A keyring call failed in the child; ``kind`` is the name of what keyring raised."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message)
        self.kind = kind


def helper_command() -> list[str]:
    if getattr(sys, "frozen", False):  # the PyInstaller bundle: the app's own executable
        return [sys.executable, HELPER_FLAG]
    return [sys.executable, "-m", "writer_desktop", HELPER_FLAG]


def call(op: str, key: str | None, timeout: float) -> str | None:
    """Do ``op`` ("get", "set" or "delete") in a child; its value (the key for "get", if any).

    Raises TimeoutError (the child was killed), SecretsError (no secure keyring) or
    :class:`KeyringFailure`.
    """
    request = json.dumps({"op": op, "key": key})
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console flashing up on Windows
    try:
        done = subprocess.run(
            helper_command(), input=request, capture_output=True, text=True, timeout=timeout,
            creationflags=flags,
        )  # fmt: skip
    except subprocess.TimeoutExpired:  # run() has killed it
        raise TimeoutError("the keyring helper did not answer") from None
    except OSError as exc:
        raise KeyringFailure("HelperNotStarted", str(exc)) from None
    lines = done.stdout.strip().splitlines()
    try:
        reply: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise KeyringFailure("HelperFailed") from None
    if "error" in reply:
        kind, message = str(reply["error"]), str(reply.get("message") or "")
        if kind == "SecretsError":
            raise SecretsError(message)
        raise KeyringFailure(kind, message)
    value = reply.get("value")
    return value if isinstance(value, str) else None


def serve() -> int:
    """The child's side: one request from stdin, one answer on stdout."""
    from .secrets import run_op

    try:
        request = json.loads(sys.stdin.read())
        import keyring  # discovery itself may touch D-Bus: it fails here, not in the app

        value = run_op(keyring.get_keyring(), str(request["op"]), request.get("key"))
        reply: dict[str, Any] = {"value": value}
    except Exception as exc:
        kind = type(exc).__name__
        reply = {"error": kind, "message": str(exc) if kind in SHOWN else ""}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
    return 0
