"""The packed conversation list gives back exactly what the index held, and finds rows by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from writer_desktop.core.listing import Listing, Row
from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.store import ConversationStore


def test_rows_round_trip_every_shown_field() -> None:
    given = [
        ("a1", "Bread", True, 7, "palmyra-x5"),
        ("b22", "", 0, 0, "palmyra-x4"),  # untitled; SQLite gives pinned as 0/1
        ("c333", "Café 東京 📌\nsecond line\0", 1, 123456, "palmyra-x5"),  # any text, any width
        ("d", "Bread", False, 2, "palmyra-x5"),  # same title twice
    ]
    rows = Listing(iter(given))  # one pass, as from a cursor
    assert len(rows) == 4
    assert [rows[i] for i in range(4)] == [Row(i, t, bool(p), c, m) for i, t, p, c, m in given]
    assert [rows.id(i) for i in range(4)] == ["a1", "b22", "c333", "d"]
    assert [rows.title(i) for i in range(4)] == [g[1] for g in given]
    assert [rows.pinned(i) for i in range(4)] == [True, False, True, False]
    with pytest.raises(IndexError):
        rows[4]


def test_row_of_finds_whole_ids_only() -> None:
    rows = Listing([("ab", "x", 0, 1, "m"), ("b", "y", 0, 1, "m"), ("abc", "z", 0, 1, "m")])
    assert [rows.row_of(i) for i in ("ab", "b", "abc")] == [0, 1, 2]
    for absent in ("a", "bc", "c", "", "ab\0b", "\0"):
        assert rows.row_of(absent) == -1


def test_empty() -> None:
    rows = Listing()
    assert len(rows) == 0
    assert rows.row_of("anything") == -1


def test_the_stores_listing_is_its_list_packed(tmp_path: Path) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    clock = iter(now + timedelta(minutes=i) for i in range(100))
    with ConversationStore(
        tmp_path / "data", tmp_path / "cache", clock=lambda: next(clock)
    ) as store:
        for i in range(12):
            conv = Conversation(title=f"Chat {i}", model=f"palmyra-x{i % 3}", pinned=i in (3, 7))
            conv.messages = [Message(Role.USER, "hi")] * (i % 4)
            store.save(conv)
        summaries = store.list()
        expected = [Row(s.id, s.title, s.pinned, s.message_count, s.model) for s in summaries]
        listing = store.listing()
        assert [listing[i] for i in range(len(listing))] == expected
        assert [r.title for r in expected[:2]] == ["Chat 7", "Chat 3"]  # pinned first
        first = store.listing(5)
        assert [first[i] for i in range(len(first))] == expected[:5]
