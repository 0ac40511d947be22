"""Upgrading older files: in memory on read, rewritten only on the next save, a byte copy kept
first; a failed upgrade leaves every original byte-identical and in place.

There is only format version 1 so far, so these tests pretend the app is at version 2 (or 3) and
inject the steps (``pretend``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from writer_desktop.core import migrate, models
from writer_desktop.core.codec import decode, decode_versioned, encode
from writer_desktop.core.errors import StorageError
from writer_desktop.core.migrate import MigrationFailed, upgrade
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.store import BACKUPS, ConversationStore

STAMP = "20260501T120000Z"
Step = Callable[[dict[str, Any]], dict[str, Any]]


def clock() -> datetime:
    return datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def v1_file(conv_id: str, *, title: str = "old", status: Status = Status.COMPLETE) -> bytes:
    """A file as version 1 writes it (``encode`` of today's app)."""
    return encode(
        Conversation(
            id=conv_id,
            title=title,
            created_at="2026-01-01T00:00:00.000Z",
            updated_at="2026-01-01T00:00:00.000Z",
            messages=[
                Message(Role.USER, "hi", id="u", created_at="2026-01-01T00:00:00.000Z"),
                Message(
                    Role.ASSISTANT, "hello", id="a", status=status,
                    created_at="2026-01-01T00:00:01.000Z",
                ),
            ],
        )
    )  # fmt: skip


def rename_title(data: dict[str, Any]) -> dict[str, Any]:
    """A plausible 1 → 2 step: version 2 writes titles in upper case (a change of meaning)."""
    data["title"] = str(data["title"]).upper()
    return data


@pytest.fixture
def pretend(monkeypatch: pytest.MonkeyPatch) -> Callable[[int, Mapping[int, Step]], None]:
    """Make the app believe it writes format ``version``, with ``steps`` as the table."""

    def set_up(version: int, steps: Mapping[int, Step]) -> None:
        monkeypatch.setattr(models, "SCHEMA_VERSION", version)
        monkeypatch.setattr(migrate, "STEPS", steps)

    return set_up


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    conversations = tmp_path / "data" / "conversations"
    conversations.mkdir(parents=True)
    return conversations


def open_store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(tmp_path / "data", tmp_path / "cache", clock=clock).open()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- the table itself ---------------------------------------------------------------------------


def test_production_table_is_empty_and_version_1_is_current() -> None:
    assert migrate.STEPS == {}
    assert models.SCHEMA_VERSION == 1
    data = json.loads(v1_file(str(uuid.uuid4())))
    assert upgrade(dict(data)) == data  # nothing to do for a current file


def test_steps_run_in_order_and_set_the_version() -> None:
    seen: list[int] = []

    def step(n: int) -> Step:
        def run(data: dict[str, Any]) -> dict[str, Any]:
            seen.append(data["schema_version"])
            return {**data, f"step{n}": True}

        return run

    out = upgrade({"schema_version": 1}, steps={1: step(1), 2: step(2), 3: step(3)}, target=4)
    assert seen == [1, 2, 3]
    assert out == {"schema_version": 4, "step1": True, "step2": True, "step3": True}


@pytest.mark.parametrize(
    ("steps", "reason"),
    [
        ({}, "does not know how to upgrade it from format version 1"),
        ({1: lambda d: 1 / 0}, "from format version 1 to 2 failed (ZeroDivisionError"),
        ({1: lambda d: [d]}, "gave no object"),
        ({1: lambda d: d}, "does not know how to upgrade it from format version 2"),
    ],
)
def test_failures_say_why(steps: dict[int, Step], reason: str) -> None:
    with pytest.raises(MigrationFailed) as info:
        upgrade({"schema_version": 1}, steps=steps, target=3)
    assert reason in info.value.reason
    assert isinstance(info.value, StorageError)


# -- through the codec and the store -----------------------------------------------------------


def test_older_file_is_upgraded_in_memory_and_not_rewritten_on_open(
    tmp_path: Path, folder: Path, pretend: Callable[[int, Mapping[int, Step]], None]
) -> None:
    pretend(2, {1: rename_title})
    conv_id = str(uuid.uuid4())
    original = v1_file(conv_id)
    (folder / f"{conv_id}.json").write_bytes(original)
    conv, version = decode_versioned(original, conv_id)
    assert (conv.title, conv.schema_version, version, conv.read_only) == ("OLD", 2, 1, False)
    with open_store(tmp_path) as store:
        assert [s.title for s in store.list()] == ["OLD"]
        loaded = store.load(conv_id)
        assert loaded.title == "OLD"
        assert store.problems == []
    assert (folder / f"{conv_id}.json").read_bytes() == original  # opening never rewrites
    assert not (tmp_path / "data" / BACKUPS).exists()


def test_first_save_keeps_a_byte_copy_then_writes_the_current_version(
    tmp_path: Path, folder: Path, pretend: Callable[[int, Mapping[int, Step]], None]
) -> None:
    pretend(2, {1: rename_title})
    conv_id = str(uuid.uuid4())
    original = v1_file(conv_id)
    path = folder / f"{conv_id}.json"
    path.write_bytes(original)
    with open_store(tmp_path) as store:
        conv = store.load(conv_id)
        conv.messages.append(Message(Role.USER, "more"))
        store.save(conv)
        backups = tmp_path / "data" / BACKUPS
        [copy] = backups.iterdir()
        assert copy.name == f"{conv_id}.v1-{STAMP}.json"
        assert copy.read_bytes() == original
        assert copy.stat().st_mode & 0o777 == 0o600
        assert backups.stat().st_mode & 0o777 == 0o700
        written = json.loads(path.read_bytes())
        assert (written["schema_version"], written["title"]) == (2, "OLD")
        store.save(conv)  # later saves keep no more copies
        assert len(list(backups.iterdir())) == 1
    with open_store(tmp_path) as store:  # now a current file: no copy on save either
        store.save(store.load(conv_id))
        assert len(list(backups.iterdir())) == 1


def test_recovering_an_orphaned_reply_also_keeps_the_copy(
    tmp_path: Path, folder: Path, pretend: Callable[[int, Mapping[int, Step]], None]
) -> None:
    pretend(2, {1: rename_title})
    conv_id = str(uuid.uuid4())
    original = v1_file(conv_id, status=Status.STREAMING)
    (folder / f"{conv_id}.json").write_bytes(original)
    with open_store(tmp_path) as store:  # sync marks it interrupted, which saves
        assert store.load(conv_id).messages[-1].status is Status.INTERRUPTED
    [copy] = (tmp_path / "data" / BACKUPS).iterdir()
    assert copy.read_bytes() == original
    assert json.loads((folder / f"{conv_id}.json").read_bytes())["schema_version"] == 2


def test_failing_copy_keeps_the_original(
    tmp_path: Path,
    folder: Path,
    pretend: Callable[[int, Mapping[int, Step]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pretend(2, {1: rename_title})
    conv_id = str(uuid.uuid4())
    original = v1_file(conv_id)
    (folder / f"{conv_id}.json").write_bytes(original)
    with open_store(tmp_path) as store:
        conv = store.load(conv_id)
        (tmp_path / "data" / BACKUPS).write_bytes(b"a file where the folder should be")
        with pytest.raises(StorageError):
            store.save(conv)
        assert (folder / f"{conv_id}.json").read_bytes() == original
        (tmp_path / "data" / BACKUPS).unlink()
        store.save(conv)  # space (or the folder) is back: the copy, then the upgrade
        [copy] = (tmp_path / "data" / BACKUPS).iterdir()
        assert copy.read_bytes() == original


@pytest.mark.parametrize("failure", ["raises", "bad result", "missing step"])
def test_failed_migration_leaves_every_original_intact(
    tmp_path: Path,
    folder: Path,
    pretend: Callable[[int, Mapping[int, Step]], None],
    failure: str,
) -> None:
    def explode(data: dict[str, Any]) -> dict[str, Any]:
        if data["title"] == "poison":
            raise KeyError("no such field: tone")
        return rename_title(data)

    def drop_messages(data: dict[str, Any]) -> dict[str, Any]:
        if data["title"] == "poison":
            del data["messages"]
        return rename_title(data)

    steps: Mapping[int, Step] = {
        "raises": {1: explode},
        "bad result": {1: drop_messages},
        "missing step": {2: rename_title},  # the app is at 3; nothing upgrades version 1
    }[failure]
    target = 3 if failure == "missing step" else 2
    pretend(target, steps)
    poison, fine, current = (str(uuid.uuid4()) for _ in range(3))
    files = {
        poison: v1_file(poison, title="poison"),
        fine: v1_file(fine, title="fine"),
        current: encode(Conversation(id=current, title="NOW", schema_version=target)),
    }
    if failure == "missing step":  # the good older file is a version-2 one
        files[fine] = files[fine].replace(b'"schema_version": 1', b'"schema_version": 2')
    for conv_id, raw in files.items():
        (folder / f"{conv_id}.json").write_bytes(raw)
    before = snapshot(folder)

    with open_store(tmp_path) as store:
        assert sorted(s.title for s in store.list()) == ["FINE", "NOW"]
        [bad] = store.take_problems()
        assert bad.path.name == f"{poison}.json"
        with pytest.raises(MigrationFailed) as info:
            store.load(poison)
        assert store.load(fine).title == "FINE"
    reason = {
        "raises": "from format version 1 to 2 failed (KeyError",
        "bad result": "after upgrading it from format version 1 it is not a valid conversation",
        "missing step": "does not know how to upgrade it from format version 1",
    }[failure]
    assert reason in bad.reason
    assert bad.moved_to is None
    message = info.value.user_message
    assert f"{poison}.json" in message
    assert "left unchanged" in message
    assert snapshot(folder) == before  # nothing renamed, rewritten or set aside
    assert not (tmp_path / "data" / BACKUPS).exists()


def test_failed_migration_is_reported_again_not_hidden(
    tmp_path: Path, folder: Path, pretend: Callable[[int, Mapping[int, Step]], None]
) -> None:
    pretend(2, {})
    conv_id = str(uuid.uuid4())
    (folder / f"{conv_id}.json").write_bytes(v1_file(conv_id))
    for _ in range(2):  # unlike a set-aside file, it stays where it is and is told each start
        with open_store(tmp_path) as store:
            [problem] = store.take_problems()
            assert problem.path.name == f"{conv_id}.json"
            assert store.list() == []


def test_read_only_readers_upgrade_too(
    folder: Path, pretend: Callable[[int, Mapping[int, Step]], None]
) -> None:
    pretend(2, {1: rename_title})
    conv_id = str(uuid.uuid4())
    original = v1_file(conv_id)
    (folder / f"{conv_id}.json").write_bytes(original)
    assert ReadOnlyStore(folder).load(conv_id).title == "OLD"
    assert decode(original, conv_id).title == "OLD"
    assert (folder / f"{conv_id}.json").read_bytes() == original
