"""Keyring backends for tests, chosen the way a user's configuration would choose one:
``PYTHON_KEYRING_BACKEND=tests.keyring_doubles.FaultyKeyring`` in the environment, which the app's
keyring child process (``writer_desktop/core/keyring_child.py``) inherits.

:class:`FaultyKeyring` reads what to do from ``WD_TEST_KEYRING_FAULT``: ``ok`` keeps the key in
the file named by ``WD_TEST_KEYRING_FILE`` (a test's temporary folder: a stand-in for the
Secret Service, never used by the app itself), ``absent``, ``locked`` and ``failing`` raise what
keyring raises then, and ``hanging`` never answers. Each call appends a line to the file named by
``WD_TEST_KEYRING_CALLS``, if set: the process id, the operation, and the process's arguments.

It is viable only where ``WD_TEST_KEYRING_FAULT`` is set, so keyring never picks it on its own
for anyone else.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, KeyringLocked, NoKeyringError, PasswordDeleteError

BACKEND = "tests.keyring_doubles.FaultyKeyring"
FAULT = "WD_TEST_KEYRING_FAULT"
FILE = "WD_TEST_KEYRING_FILE"
CALLS = "WD_TEST_KEYRING_CALLS"


def environment(fault: str, folder: Path) -> dict[str, str]:
    """The variables that make the app's keyring a :class:`FaultyKeyring` in ``folder``."""
    return {
        "PYTHON_KEYRING_BACKEND": BACKEND,
        FAULT: fault,
        FILE: str(folder / "keyring.json"),
        CALLS: str(folder / "keyring-calls.txt"),
    }


def calls(folder: Path) -> list[str]:
    """The operations asked of the keyring so far, in order."""
    path = folder / "keyring-calls.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line)["op"] for line in lines]


class FaultyKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        if FAULT not in os.environ:
            raise RuntimeError("a test keyring, for tests that ask for it")
        return 0.1

    def _enter(self, op: str) -> dict[str, str]:
        path = os.environ.get(CALLS)
        if path:
            with open(path, "a", encoding="utf-8") as f:
                record = {"pid": os.getpid(), "op": op, "argv": sys.argv}
                f.write(json.dumps(record) + "\n")
        fault = os.environ.get(FAULT, "ok")
        if fault == "hanging":
            time.sleep(60)
        if fault != "ok":
            raise {
                "absent": NoKeyringError("No recommended backend was available."),
                "locked": KeyringLocked("Failed to unlock the collection!"),
                "failing": KeyringError("org.freedesktop.DBus.Error.ServiceUnknown"),
            }[fault]
        store = Path(os.environ[FILE])
        kept: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
        return kept

    def _keep(self, kept: dict[str, str]) -> None:
        Path(os.environ[FILE]).write_text(json.dumps(kept))

    def get_password(self, service: str, username: str) -> str | None:
        return self._enter("get").get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        kept = self._enter("set")
        kept[f"{service}/{username}"] = password
        self._keep(kept)

    def delete_password(self, service: str, username: str) -> None:
        kept = self._enter("delete")
        if kept.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("not found")
        self._keep(kept)

    def __repr__(self) -> str:
        return "FaultyKeyring()"
