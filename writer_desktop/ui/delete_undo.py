"""What Ctrl+Z can still bring back: this session's deletes, latest last, each as it was asked.

Del on five selected conversations is one delete to the user: one Undo brings the five back,
and the notice says "Deleted 5 conversations". Conversations deleted one after another are
undone in turn. The trash keeps everything; this is only what Undo reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNDO_DEPTH = 50  # deletes Ctrl+Z can still undo, latest first (the trash keeps them all)


@dataclass
class _Delete:
    batch: int  # the request it came from: one Del, one menu choice
    items: list[tuple[str, str]] = field(default_factory=list)  # (id, title as listed)


class DeletedStack:
    """The deletes Undo reaches, latest last; conversations of one request are one delete."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self._depth = depth
        self._deletes: list[_Delete] = []

    def __bool__(self) -> bool:
        return bool(self._deletes)

    def push(self, conv_id: str, title: str, batch: int) -> None:
        """``conv_id`` was deleted by request ``batch``: part of the latest delete if that
        came from the same request, else a delete of its own."""
        if not self._deletes or self._deletes[-1].batch != batch:
            self._deletes.append(_Delete(batch))
            del self._deletes[: -self._depth]
        self._deletes[-1].items.append((conv_id, title))

    def pop(self) -> list[str]:
        """The ids of the latest delete, taken off the stack (in the order deleted)."""
        return [conv_id for conv_id, _ in self._deletes.pop().items] if self._deletes else []

    def ids(self) -> set[str]:
        return {conv_id for delete in self._deletes for conv_id, _ in delete.items}

    def forget(self, conv_ids: set[str]) -> bool:
        """Undo is no longer to bring back ``conv_ids`` (back already, or deleted for good).
        Whether that changed anything."""
        if not conv_ids & self.ids():
            return False
        for delete in self._deletes:
            delete.items = [(i, t) for i, t in delete.items if i not in conv_ids]
        self._deletes = [delete for delete in self._deletes if delete.items]
        return True

    def latest(self) -> tuple[int, str]:
        """How many conversations the latest delete holds, and the title of the last one."""
        if not self._deletes:
            return 0, ""
        items = self._deletes[-1].items
        return len(items), items[-1][1]
