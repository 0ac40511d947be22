"""The sidebar's packed rows give back exactly what the summaries held, and find rows by id."""

from __future__ import annotations

import pytest

from writer_desktop.core.index import ConversationSummary
from writer_desktop.ui.conversation_rows import ConversationRows, Row


def summary(conv_id: str, title: str, *, pinned: bool = False, count: int = 2,
            model: str = "palmyra-x5") -> ConversationSummary:  # fmt: skip
    return ConversationSummary(
        id=conv_id, title=title, created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-02T00:00:00Z", pinned=pinned, model=model, message_count=count,
        has_streaming=False, read_only=False, size=100, mtime_ns=1,
    )  # fmt: skip


def test_rows_round_trip_every_shown_field() -> None:
    summaries = [
        summary("a1", "Bread", pinned=True, count=7),
        summary("b22", "", count=0, model="palmyra-x4"),  # untitled
        summary("c333", "Café 東京 📌\nsecond line\0", count=123456),  # any text, any width
        summary("d", "Bread"),  # same title twice
    ]
    rows = ConversationRows(summaries)
    assert len(rows) == 4
    assert [rows[i] for i in range(4)] == [
        Row(s.id, s.title, s.pinned, s.message_count, s.model) for s in summaries
    ]
    assert [rows.id(i) for i in range(4)] == ["a1", "b22", "c333", "d"]
    assert [rows.title(i) for i in range(4)] == [s.title for s in summaries]
    assert [rows.pinned(i) for i in range(4)] == [True, False, False, False]
    with pytest.raises(IndexError):
        rows[4]


def test_row_of_finds_whole_ids_only() -> None:
    rows = ConversationRows([summary("ab", "x"), summary("b", "y"), summary("abc", "z")])
    assert [rows.row_of(i) for i in ("ab", "b", "abc")] == [0, 1, 2]
    for absent in ("a", "bc", "c", "", "ab\0b", "\0"):
        assert rows.row_of(absent) == -1


def test_empty() -> None:
    rows = ConversationRows()
    assert len(rows) == 0
    assert rows.row_of("anything") == -1
