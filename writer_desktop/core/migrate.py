"""Upgrading conversation files written in an older ``schema_version``, in memory. No I/O.

``STEPS`` is an ordered table: ``STEPS[n]`` turns the JSON object of a version-``n`` file into a
version-``n + 1`` object. :func:`upgrade` applies the steps from a file's version up to the app's
``SCHEMA_VERSION`` when the file is read (``codec.decode_versioned``); nothing is written then. The
store rewrites the file in the current version only when the conversation is next saved, and keeps
a byte copy of the older file in ``<data>/backups/`` before that first rewrite
(``ConversationStore.save``).

A step that raises, returns something other than an object, or is missing makes
:class:`MigrationFailed`: the store reports the conversation and leaves its file exactly as it is,
where it is (it is neither set aside nor rewritten), so a later version can still read it.

**The table is empty in production**: version 1 is the only format there has ever been, so no file
needs upgrading yet. The machinery is here, and tested with injected steps
(``tests/unit/test_migrate.py``), so that the first real change of format only has to add a step.
How to add one: raise ``models.SCHEMA_VERSION`` to ``n + 1``, teach ``models`` the new shape, and
add ``STEPS[n]``: a pure function that takes a version-``n`` object (already parsed, possibly edited
by hand: check what you rely on and raise ``ValueError`` with a reason otherwise) and returns the
version-``n + 1`` object. It need not set ``schema_version``; :func:`upgrade` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from writer_desktop.core import models
from writer_desktop.core.errors import StorageError

Step = Callable[[dict[str, Any]], dict[str, Any]]

STEPS: dict[int, Step] = {}
"""``STEPS[n]``: version ``n`` → ``n + 1``. Empty: there are no older versions yet."""


class MigrationFailed(StorageError):
    """An older file could not be upgraded; it was left unchanged. ``reason`` is for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def upgrade(
    data: dict[str, Any],
    *,
    steps: Mapping[int, Step] | None = None,
    target: int | None = None,
) -> dict[str, Any]:
    """``data`` (a parsed file of an older version) upgraded to ``target`` (the app's version).

    ``steps`` defaults to :data:`STEPS`. ``data`` itself may be changed by the steps; the caller
    passes a freshly parsed object. Raises :class:`MigrationFailed`.
    """
    table = STEPS if steps is None else steps
    goal = models.SCHEMA_VERSION if target is None else target
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise MigrationFailed("its schema_version is not a positive integer")
    while version < goal:
        step = table.get(version)
        if step is None:
            raise MigrationFailed(
                f"Writer Desktop does not know how to upgrade it from format version {version}"
            )
        try:
            result = step(data)
        except Exception as exc:  # a hand-edited file may trip a step in any way
            raise MigrationFailed(
                f"upgrading it from format version {version} to {version + 1} failed "
                f"({type(exc).__name__}: {str(exc)[:200]})"
            ) from exc
        if not isinstance(result, dict):
            raise MigrationFailed(
                f"upgrading it from format version {version} to {version + 1} gave no object"
            )
        version += 1
        result["schema_version"] = version
        data = result
    return data
