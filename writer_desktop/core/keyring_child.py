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

SERVICE = "writer-desktop"
USERNAME = "api-key"
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


class Pending:
    """A call started in a child: the request is sent at once, the answer read later."""

    def __init__(self, op: str, key: str | None = None) -> None:
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console flashing up on Windows
        self._proc = subprocess.Popen(
            helper_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, creationflags=flags,
        )  # fmt: skip
        assert self._proc.stdin is not None
        try:  # a few bytes: the pipe takes them without waiting for the child
            self._proc.stdin.write(json.dumps({"op": op, "key": key}))
            self._proc.stdin.close()
        except OSError:
            pass  # the child died at once; answer() says so

    def answer(self, timeout: float) -> str | None:
        """Wait at most ``timeout`` seconds; the call's value (the key for "get", if any).

        Raises TimeoutError (the child is killed), SecretsError (no secure keyring) or
        :class:`KeyringFailure`.
        """
        assert self._proc.stdout is not None
        with self._proc.stdout as stdout:
            try:
                self._proc.wait(timeout)  # its answer is one short line: the pipe holds it
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
                raise TimeoutError("the keyring helper did not answer") from None
            out = stdout.read()
        lines = out.strip().splitlines()
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


def call(op: str, key: str | None, timeout: float) -> str | None:
    """Do ``op`` ("get", "set" or "delete") in a child, as :meth:`Pending.answer` tells."""
    try:
        pending = Pending(op, key)
    except OSError as exc:
        raise KeyringFailure("HelperNotStarted", str(exc)) from None
    return pending.answer(timeout)


def _insecure(backend: Any) -> bool:
    module = type(backend).__module__
    name = type(backend).__name__
    return (
        module.startswith("keyrings.alt")
        or module in ("keyring.backends.null", "keyring.backends.fail")
        or "Plaintext" in name
    )


def run_op(backend: Any, op: str, key: str | None = None) -> str | None:
    """One keyring call on ``backend``: "get" (the key, if one is kept), "set" or "delete" (a
    missing entry is not an error). A plain-text backend is refused."""
    if _insecure(backend):
        raise SecretsError("No secure system keyring is available.")
    if op == "get":
        value = backend.get_password(SERVICE, USERNAME)
        return value if isinstance(value, str) and value.strip() else None
    if op == "set" and key:
        backend.set_password(SERVICE, USERNAME, key)
    elif op == "delete":
        try:
            backend.delete_password(SERVICE, USERNAME)
        except Exception as exc:
            if type(exc).__name__ != "PasswordDeleteError":
                raise
    else:
        raise ValueError(f"unknown keyring call {op!r}")
    return None


def serve() -> int:
    """The child's side: one request from stdin, one answer on stdout (both plain ASCII JSON)."""
    # A windowed program (the frozen app on Windows and macOS) may start without Python streams
    # even when it was given pipes: read and write the descriptors themselves then.
    stdin = sys.stdin or open(0, encoding="ascii", closefd=False)  # noqa: SIM115
    stdout = sys.stdout or open(1, "w", encoding="ascii", closefd=False)  # noqa: SIM115
    try:
        import keyring  # before the request: a prefetched call is sent while this loads

        request = json.loads(stdin.read())
        value = run_op(keyring.get_keyring(), str(request["op"]), request.get("key"))
        reply: dict[str, Any] = {"value": value}
    except Exception as exc:
        kind = type(exc).__name__
        reply = {"error": kind, "message": str(exc) if kind in SHOWN else ""}
    stdout.write(json.dumps(reply) + "\n")
    stdout.flush()
    return 0
