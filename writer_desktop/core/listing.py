"""The conversation list as the sidebar shows it, packed: a few large objects, not ~8 per row.

A ``ConversationSummary`` with its strings and integers costs ~570 bytes; 10,000 of them are
5.7 MB of small objects, and building them from SQLite took ~40 ms every time the list was
published (each send, rename, delete). The list shows the title, the pin, and a tooltip with
the message count and model, and finds rows by id, so a ``Listing`` keeps only those, read
straight from the listing index's rows: every id in one string (``\\0``-separated, so a lookup
is one ``str.find``), every title in another, arrays of offsets, counts and model numbers:
~80 bytes a row.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from itertools import accumulate
from typing import NamedTuple

__all__ = ["Listing", "Row"]

_SEP = "\0"  # never in an id (ids are file names)


class Row(NamedTuple):
    """One row as the list shows it, unpacked on demand."""

    id: str
    title: str
    pinned: bool
    message_count: int
    model: str


class Listing:
    """Rows in the order given; read-only (a new list makes a new object)."""

    def __init__(self, rows: Iterable[tuple[str, str, bool | int, int, str]] = ()) -> None:
        """``rows``: ``(id, title, pinned, message_count, model)`` each, read in one pass (an
        SQLite cursor is fine: no row object outlives its turn)."""
        ids: list[str] = []
        titles: list[str] = []
        self._counts = array("I")
        pinned = bytearray()
        self._model_of = array("I")
        numbers: dict[str, int] = {}
        for conv_id, title, pin, count, model in rows:
            ids.append(conv_id)
            titles.append(title)
            pinned.append(1 if pin else 0)
            self._counts.append(count)
            self._model_of.append(numbers.setdefault(model, len(numbers)))
        self._ids = _SEP + _SEP.join(ids) + _SEP
        # id i is self._ids[self._id_at[i] : self._id_at[i + 1] - 1]
        self._id_at = array("L", accumulate((len(i) + 1 for i in ids), initial=1))
        self._titles = "".join(titles)
        # title i is self._titles[self._title_at[i] : self._title_at[i + 1]]
        self._title_at = array("L", accumulate((len(t) for t in titles), initial=0))
        self._pinned = bytes(pinned)
        self._models = list(numbers)

    def __len__(self) -> int:
        return len(self._counts)

    def id(self, row: int) -> str:
        return self._ids[self._id_at[row] : self._id_at[row + 1] - 1]

    def title(self, row: int) -> str:
        return self._titles[self._title_at[row] : self._title_at[row + 1]]

    def pinned(self, row: int) -> bool:
        return bool(self._pinned[row])

    def __getitem__(self, row: int) -> Row:
        if not 0 <= row < len(self):
            raise IndexError(row)
        return Row(
            self.id(row), self.title(row), self.pinned(row), self._counts[row],
            self._models[self._model_of[row]],
        )  # fmt: skip

    def present(self, conv_ids: Iterable[str]) -> set[str]:
        """Those of ``conv_ids`` that are listed: a scan each for a few, one set for many (a
        scan each for 10,000 deleted ones took seconds at every publish)."""
        wanted = set(conv_ids)
        if len(wanted) <= 16:
            return {conv_id for conv_id in wanted if self.row_of(conv_id) >= 0}
        return wanted.intersection(self._ids.split(_SEP))

    def row_of(self, conv_id: str) -> int:
        """The row of ``conv_id``, or -1."""
        if not conv_id or _SEP in conv_id:
            return -1
        found = self._ids.find(_SEP + conv_id + _SEP)
        if found < 0:
            return -1
        row = bisect_left(self._id_at, found + 1)
        return row if row < len(self) and self._id_at[row] == found + 1 else -1
