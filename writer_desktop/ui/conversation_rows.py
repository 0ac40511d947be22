"""The sidebar's rows, packed: a handful of large objects instead of ~8 small ones per row.

A ``ConversationSummary`` with its strings and integers costs ~570 bytes; kept for 10,000
conversations that is 5.7 MB of small objects. The sidebar only shows the title, the pin, and
a tooltip with the message count and model, and finds rows by id, so those are all it keeps:
every id in one string (``\\0``-separated, so a lookup is one ``str.find``), every title in
another, with arrays of offsets, counts and model numbers: ~80 bytes a row.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate
from typing import NamedTuple

from writer_desktop.core.index import ConversationSummary

__all__ = ["ConversationRows", "Row"]

_SEP = "\0"  # never in an id (ids are file names)


class Row(NamedTuple):
    """One row as the list shows it, unpacked on demand."""

    id: str
    title: str
    pinned: bool
    message_count: int
    model: str


class ConversationRows:
    """The rows of ``summaries`` in their order; read-only (a new list makes a new object)."""

    def __init__(self, summaries: Sequence[ConversationSummary] = ()) -> None:
        ids = [s.id for s in summaries]
        titles = [s.title for s in summaries]
        self._ids = _SEP + _SEP.join(ids) + _SEP
        # id i is self._ids[self._id_at[i] : self._id_at[i + 1] - 1]
        self._id_at = array("L", accumulate((len(i) + 1 for i in ids), initial=1))
        self._titles = "".join(titles)
        # title i is self._titles[self._title_at[i] : self._title_at[i + 1]]
        self._title_at = array("L", accumulate((len(t) for t in titles), initial=0))
        self._counts = array("I", (s.message_count for s in summaries))
        self._pinned = bytes(s.pinned for s in summaries)
        numbers: dict[str, int] = {}
        self._model_of = array("I", (numbers.setdefault(s.model, len(numbers)) for s in summaries))
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

    def row_of(self, conv_id: str) -> int:
        """The row of ``conv_id``, or -1."""
        if not conv_id or _SEP in conv_id:
            return -1
        found = self._ids.find(_SEP + conv_id + _SEP)
        if found < 0:
            return -1
        row = bisect_left(self._id_at, found + 1)
        return row if row < len(self) and self._id_at[row] == found + 1 else -1
