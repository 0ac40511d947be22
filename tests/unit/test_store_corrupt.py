"""Unreadable files are set aside unchanged and reported; everything else keeps loading."""

from __future__ import annotations

import codecs
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from writer_desktop.core.codec import encode
from writer_desktop.core.errors import StorageError
from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.store import ConversationStore, CorruptConversation

STAMP = "20260501T120000Z"


def clock() -> datetime:
    return datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def small(conv_id: str) -> bytes:
    return encode(
        Conversation(
            id=conv_id,
            title="tiny",
            created_at="2026-01-01T00:00:00Z",
            updated_at="2026-01-01T00:00:00Z",
            messages=[Message(Role.USER, "hi", id="m", created_at="2026-01-01T00:00:00Z")],
        )
    )


def valid(conv_id: str) -> dict[str, object]:
    return json.loads(small(conv_id))  # type: ignore[no-any-return]


def open_with(tmp_path: Path, files: dict[str, bytes], **kw: object) -> ConversationStore:
    folder = tmp_path / "data" / "conversations"
    folder.mkdir(parents=True, exist_ok=True)
    for conv_id, raw in files.items():
        (folder / f"{conv_id}.json").write_bytes(raw)
    return ConversationStore(tmp_path / "data", tmp_path / "cache", clock=clock, **kw).open()  # type: ignore[arg-type]


def assert_set_aside(store: ConversationStore, bad: dict[str, bytes]) -> None:
    """Every bad file renamed to ``<name>.corrupt-<stamp>``, bytes unchanged, reported once."""
    reported = {p.path.name: p for p in store.problems}
    assert sorted(reported) == sorted(f"{i}.json" for i in bad)
    for conv_id, raw in bad.items():
        problem = reported[f"{conv_id}.json"]
        assert problem.moved_to == store.conversations_dir / f"{conv_id}.json.corrupt-{STAMP}"
        assert problem.moved_to.read_bytes() == raw
        assert problem.reason
        assert not (store.conversations_dir / f"{conv_id}.json").exists()
    assert store.take_problems()
    assert store.problems == []


def test_truncated_at_every_offset(tmp_path: Path) -> None:
    ids = [str(uuid.uuid4()) for _ in range(len(small(str(uuid.uuid4()))))]
    files = {conv_id: small(conv_id)[:offset] for offset, conv_id in enumerate(ids)}
    good = str(uuid.uuid4())
    files[good] = small(good)
    whole_but_newline = ids[-1]  # the file minus its final newline is still whole JSON
    started = time.monotonic()
    with open_with(tmp_path, files) as store:
        assert time.monotonic() - started < 20
        bad = {i: raw for i, raw in files.items() if i not in (good, whole_but_newline)}
        assert_set_aside(store, bad)
        assert sorted(s.id for s in store.list()) == sorted([good, whole_but_newline])
        assert store.load(good).title == "tiny"
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as again:
        assert again.problems == []  # told once: set-aside files are not looked at again
        assert len(again.list()) == 2


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def bad_files() -> dict[str, bytes]:
    cases: list[bytes] = [
        b"",
        b"   \n",
        b"\x00" * 4096,
        '{"title": "caf\xe9"}'.encode("latin-1"),  # not UTF-8
        b"\xff\xfe{\x00}\x00",  # UTF-16
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
        deep(100_000),
        b'{"schema_version": 1, "x": ' + deep(100_000) + b"}",
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"schema_version": 1, "messages": []}',
    ]
    files = {str(uuid.uuid4()): raw for raw in cases}
    wrong: list[tuple[str, object]] = [
        ("messages", "nope"),
        ("messages", [{"role": "wizard", "content": "x"}]),
        ("messages", [{"role": "user", "content": 5}]),
        ("messages", [None]),
        ("pinned", "yes"),
        ("schema_version", "1"),
        ("schema_version", True),
        ("schema_version", 0),
        ("created_at", "yesterday"),
        ("params", {"temperature": "hot"}),
        ("title", ["a"]),
        ("id", str(uuid.uuid4())),  # does not match the file name
    ]
    for key, value in wrong:
        conv_id = str(uuid.uuid4())
        data = valid(conv_id)
        data[key] = value
        files[conv_id] = json.dumps(data).encode()
    for text in ('"temperature": NaN', '"temperature": 1e999', '"temperature": -Infinity'):
        conv_id = str(uuid.uuid4())
        files[conv_id] = small(conv_id).replace(b'"temperature": 0.7', text.encode())
    return files


def test_each_kind_of_bad_file_is_set_aside(tmp_path: Path) -> None:
    bad = bad_files()
    good = {conv_id: small(conv_id) for conv_id in (str(uuid.uuid4()) for _ in range(3))}
    started = time.monotonic()
    with open_with(tmp_path, {**bad, **good}) as store:
        assert time.monotonic() - started < 10
        assert sorted(s.id for s in store.list()) == sorted(good)
        reasons = {p.path.name: p.reason for p in store.problems}
        assert_set_aside(store, bad)
        for conv_id in good:
            assert store.load(conv_id).title == "tiny"
    ids = list(bad)
    assert "nested too deeply" in reasons[f"{ids[8]}.json"]
    assert "not UTF-8" in reasons[f"{ids[3]}.json"]
    assert "empty" in reasons[f"{ids[0]}.json"]
    assert "does not match the file name" in reasons[f"{ids[-4]}.json"]


def test_bom_is_accepted(tmp_path: Path) -> None:
    conv_id = str(uuid.uuid4())
    with open_with(tmp_path, {conv_id: codecs.BOM_UTF8 + small(conv_id)}) as store:
        assert store.problems == []
        assert store.load(conv_id).title == "tiny"


def test_oversized_file_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big, ok = str(uuid.uuid4()), str(uuid.uuid4())
    raw = small(big).replace(b'"hi"', b'"' + b"x" * 5000 + b'"')
    with open_with(tmp_path, {big: raw, ok: small(ok)}, max_file_size=4096) as store:
        [problem] = store.problems
        assert "larger than" in problem.reason
        assert problem.moved_to is not None
        assert problem.moved_to.read_bytes() == raw
        assert [s.id for s in store.list()] == [ok]


def test_unreadable_file_is_reported_not_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked, ok = str(uuid.uuid4()), str(uuid.uuid4())
    real_open = Path.open

    def denied(self: Path, *args: Any, **kw: Any) -> Any:
        if self.name == f"{locked}.json" and args[:1] == ("rb",):
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kw)

    monkeypatch.setattr(Path, "open", denied)
    with open_with(tmp_path, {locked: small(locked), ok: small(ok)}) as store:
        [problem] = store.problems
        assert (problem.moved_to, "Permission denied" in problem.reason) == (None, True)
        assert [s.id for s in store.list()] == [ok]
        with pytest.raises(StorageError, match="Could not read"):
            store.load(locked)
    assert (tmp_path / "data" / "conversations" / f"{locked}.json").read_bytes() == small(locked)


def test_file_damaged_while_open(tmp_path: Path) -> None:
    conv_id = str(uuid.uuid4())
    with open_with(tmp_path, {conv_id: small(conv_id)}) as store:
        path = store.conversations_dir / f"{conv_id}.json"
        path.write_bytes(b"{oops")
        with pytest.raises(CorruptConversation) as told:
            store.load(conv_id)
        # Named as listed, and where it was kept: "A conversation file …" named neither.
        said = str(told.value)
        assert said.startswith(f"The conversation “tiny” ({conv_id}.json) could not be read (it")
        assert said.endswith(f"; it was kept, unchanged, as {conv_id}.json.corrupt-{STAMP}.")
        assert store.list() == []
        path.write_bytes(b"{oops again")  # same id, same second: the names do not collide
        with pytest.raises(CorruptConversation):
            store.load(conv_id)
        aside = sorted(p.name for p in store.conversations_dir.iterdir())
        assert aside == [f"{conv_id}.json.corrupt-{STAMP}", f"{conv_id}.json.corrupt-{STAMP}-1"]
        # What depends on it (its unsent text) stays until the user has seen to the file.
        assert not store.exists(conv_id)
        assert store.was_set_aside(conv_id)
        assert store.exists_or_trashed(conv_id)
        assert not store.was_set_aside(str(uuid.uuid4()))
        assert not store.exists_or_trashed(str(uuid.uuid4()))
        assert [p.reason.startswith("it is not valid JSON") for p in store.take_problems()] == [
            True
        ] * 2
