"""ConversationStore: layout, listing, read-only files, recovery, trash, lock, index rebuilds."""

from __future__ import annotations

import codecs
import errno
import json
import os
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from writer_desktop.core import codec
from writer_desktop.core.errors import DiskFull, ReadOnlyConversation, StorageError
from writer_desktop.core.models import SCHEMA_VERSION, Conversation, Message, Role, Status, new_id
from writer_desktop.core.store import (
    INDEX_NAME,
    AlreadyLocked,
    ConversationNotFound,
    ConversationStore,
)
from writer_desktop.core.trash import TrashEntry

POSIX = sys.platform != "win32"
REPO = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "data", tmp_path / "cache"


@pytest.fixture
def store(paths: tuple[Path, Path], clock: Clock) -> Iterator[ConversationStore]:
    with ConversationStore(*paths, clock=clock) as opened:
        yield opened


def reopen(store: ConversationStore) -> ConversationStore:
    store.close()
    return ConversationStore(store.root, store.cache_dir, clock=store._clock).open()


def conv(title: str = "t", updated: str = "2026-01-01T00:00:00.000Z", **kw: object) -> Conversation:
    return Conversation(
        title=title,
        created_at="2026-01-01T00:00:00.000Z",
        updated_at=updated,
        messages=[Message(Role.USER, f"hello from {title}")],
        **kw,  # type: ignore[arg-type]
    )


def file_of(store: ConversationStore, conv_id: str) -> Path:
    return store.conversations_dir / f"{conv_id}.json"


def write_raw(store: ConversationStore, data: dict[str, object]) -> Path:
    path = file_of(store, str(data["id"]))
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_constructing_touches_nothing(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "data", tmp_path / "cache")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StorageError, match="not open"):
        store.list()


def test_open_creates_private_folders(store: ConversationStore) -> None:
    for folder in (store.root, store.conversations_dir, store.trash_dir, store.cache_dir):
        assert folder.is_dir()
        if POSIX:
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (store.cache_dir / INDEX_NAME).is_file()


def test_save_load_and_file_mode(store: ConversationStore) -> None:
    c = conv("héllo 😀")
    store.save(c)
    assert store.load(c.id) == c
    path = file_of(store, c.id)
    if POSIX:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert "héllo 😀" in text  # ensure_ascii=False
    assert list(json.loads(text))[:3] == ["schema_version", "id", "title"]
    assert reopen(store).load(c.id) == c


def test_list_orders_pinned_then_recent(store: ConversationStore) -> None:
    old = conv("old", "2026-01-01T00:00:00.000Z")
    new = conv("new", "2026-03-01T00:00:00.000Z")
    pinned = conv("pinned", "2025-01-01T00:00:00.000Z", pinned=True)
    # 2026-02-01T01:00+02:00 is 2026-01-31T23:00Z: sorts by instant, not by text.
    offset = conv("offset", "2026-02-01T01:00:00+02:00")
    for c in (old, new, pinned, offset):
        store.save(c)
    expected = ["pinned", "new", "offset", "old"]
    assert [s.title for s in store.list()] == expected
    summary = store.list()[1]
    assert (summary.id, summary.message_count, summary.pinned) == (new.id, 1, False)
    assert [s.title for s in reopen(store).list()] == expected


def test_missing_and_bad_ids(store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFound):
        store.load(str(uuid.uuid4()))
    with pytest.raises(ValueError, match="not a conversation id"):
        store.load("../../etc/passwd")
    with pytest.raises(ValueError, match="not a conversation id"):
        store.save(conv(id="ABC"))


def test_disk_full_keeps_file_and_index(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = conv("before")
    store.save(c)
    before = file_of(store, c.id).read_bytes()

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    c.title = "after"
    with pytest.raises(DiskFull):
        store.save(c)
    assert file_of(store, c.id).read_bytes() == before
    assert [s.title for s in store.list()] == ["before"]
    assert [p.name for p in store.conversations_dir.iterdir()] == [f"{c.id}.json"]
    monkeypatch.undo()
    store.save(c)
    assert store.load(c.id).title == "after"


def test_too_large_to_save(paths: tuple[Path, Path]) -> None:
    with ConversationStore(*paths, max_file_size=10_000) as store:
        c = conv()
        c.messages[0].content = "x" * 20_000
        with pytest.raises(StorageError, match="larger than"):
            store.save(c)
        assert store.list() == []


def test_newer_version_is_read_only_and_untouched(store: ConversationStore) -> None:
    data = conv("from the future").to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    data["messages"][0]["status"] = "streaming"
    data["hologram"] = {"x": 1}
    path = write_raw(store, data)
    raw, mtime = path.read_bytes(), path.stat().st_mtime_ns
    store = reopen(store)
    [summary] = store.list()
    assert (summary.title, summary.read_only, summary.has_streaming) == (
        "from the future",
        True,
        False,
    )
    loaded = store.load(data["id"])
    assert loaded.read_only
    assert loaded.messages[0].status is Status.STREAMING  # not "recovered": never rewritten
    with pytest.raises(ReadOnlyConversation, match="newer version"):
        store.save(loaded)
    assert store.recover() == []
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (raw, mtime)
    assert store.problems == []


def test_newer_version_of_unknown_shape_is_listed_not_quarantined(store: ConversationStore) -> None:
    conv_id = str(uuid.uuid4())
    data = {
        "schema_version": SCHEMA_VERSION + 5,
        "id": conv_id,
        "title": "reshaped",
        "created_at": "2026-02-01T00:00:00.000Z",
        "updated_at": "2026-02-02T00:00:00.000Z",
        "messages": {"threads": []},
        "params": "smart",
    }
    path = write_raw(store, data)
    raw = path.read_bytes()
    store = reopen(store)
    [summary] = store.list()
    assert (summary.id, summary.title, summary.updated_at) == (
        conv_id,
        "reshaped",
        data["updated_at"],
    )
    assert summary.read_only
    loaded = store.load(conv_id)
    assert (loaded.read_only, loaded.title, loaded.messages) == (True, "reshaped", [])
    assert path.read_bytes() == raw
    assert store.problems == []


def test_recover_marks_streaming_interrupted(store: ConversationStore) -> None:
    c = conv("streaming")
    c.messages.append(Message(Role.ASSISTANT, "half a rep", status=Status.STREAMING))
    store.mark_streaming(c.id)
    store.save(c)
    assert store.list()[0].has_streaming
    assert store.recover() == []  # this process is streaming it
    assert store.load(c.id).messages[1].status is Status.STREAMING
    store = reopen(store)  # as after a crash: open() recovers
    on_disk = json.loads(file_of(store, c.id).read_text(encoding="utf-8"))
    assert on_disk["messages"][1]["status"] == "interrupted"
    assert on_disk["messages"][1]["content"] == "half a rep"
    assert on_disk["messages"][1]["error"] == "Writer Desktop closed before this reply finished."
    assert on_disk["messages"][1]["error_kind"] == "closed"  # told so, not "connection lost"
    assert not store.list()[0].has_streaming


def test_recover_explicitly_and_on_load(store: ConversationStore) -> None:
    c = conv()
    c.messages.append(Message(Role.ASSISTANT, "x", status=Status.STREAMING))
    store.mark_streaming(c.id)
    store.save(c)
    store.unmark_streaming(c.id)
    assert store.recover() == [c.id]
    assert store.load(c.id).messages[1].status is Status.INTERRUPTED
    # a file edited behind the store's back: load() fixes it too
    data = c.to_dict()
    data["messages"][1]["status"] = "streaming"
    write_raw(store, data)
    assert store.load(c.id).messages[1].status is Status.INTERRUPTED


def test_warm_index_does_not_parse_files(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        store.save(conv(f"c{i}"))
    store.close()
    calls: list[str] = []
    real = codec.decode

    def counting(raw: bytes, conv_id: str) -> Conversation:
        calls.append(conv_id)
        return real(raw, conv_id)

    monkeypatch.setattr("writer_desktop.core.store.decode", counting)
    with ConversationStore(store.root, store.cache_dir) as again:
        assert len(again.list()) == 5
    assert calls == []


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage", "empty", "version", "owner"])
def test_index_is_rebuilt_when_damaged(store: ConversationStore, damage: str) -> None:
    saved = [conv(f"c{i}", f"2026-01-0{i + 1}T00:00:00.000Z") for i in range(4)]
    for c in saved:
        store.save(c)
    store.close()
    db = store.cache_dir / INDEX_NAME
    if damage == "delete":
        db.unlink()
    elif damage == "truncate":
        db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    elif damage == "garbage":
        db.write_bytes(b"this is not a database\x00" * 500)
    elif damage == "empty":
        db.write_bytes(b"")
    else:
        with sqlite3.connect(db) as conn:
            if damage == "version":
                conn.execute("PRAGMA user_version = 99")
            else:
                conn.execute("UPDATE meta SET value = 'elsewhere'")
        conn.close()
    with ConversationStore(store.root, store.cache_dir) as again:
        assert [s.title for s in again.list()] == ["c3", "c2", "c1", "c0"]
        assert again.problems == []


def test_index_locked_by_someone_else_is_replaced(
    store: ConversationStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.save(conv("kept"))
    store.close()
    db = store.cache_dir / INDEX_NAME
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode=DELETE")
        holder.execute("BEGIN EXCLUSIVE")
        with ConversationStore(store.root, store.cache_dir) as again:
            assert [s.title for s in again.list()] == ["kept"]
            again.save(conv("new"))
            assert len(again.list()) == 2
    finally:
        holder.close()
    assert "database is locked" in caplog.text


def test_index_failing_while_open_is_rebuilt(
    store: ConversationStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.save(conv("a"))
    assert store._index is not None
    store._index._conn.close()  # any sqlite3.Error from now on
    store.save(conv("b"))
    assert sorted(s.title for s in store.list()) == ["a", "b"]
    assert "starting a fresh one" in caplog.text
    store = reopen(store)
    assert sorted(s.title for s in store.list()) == ["a", "b"]


def test_index_follows_edits_behind_its_back(store: ConversationStore) -> None:
    a, b, c = conv("a"), conv("b"), conv("c")
    for x in (a, b, c):
        store.save(x)
    store.close()
    edited = a.to_dict()
    edited["title"] = "a, edited elsewhere"
    write_raw(store, edited)
    same_size = b.to_dict()
    same_size["title"] = "B"
    path_b = write_raw(store, same_size)
    os.utime(path_b, ns=(path_b.stat().st_atime_ns, path_b.stat().st_mtime_ns + 10**9))
    file_of(store, c.id).unlink()
    added = conv("added elsewhere")
    write_raw(store, added.to_dict())
    (store.conversations_dir / "notes.txt").write_text("not ours", encoding="utf-8")
    with ConversationStore(store.root, store.cache_dir) as again:
        assert sorted(s.title for s in again.list()) == [
            "B",
            "a, edited elsewhere",
            "added elsewhere",
        ]
        assert again.problems == []
        write_raw(again, {**added.to_dict(), "title": "refreshed"})
        again.refresh()
        assert "refreshed" in {s.title for s in again.list()}


def test_open_cleans_temp_files(store: ConversationStore) -> None:
    store.save(conv())
    leftover = store.conversations_dir / ".x.json.abc123.tmp"
    leftover.write_bytes(b"half")
    store = reopen(store)
    assert not leftover.exists()
    assert len(store.list()) == 1


def test_delete_and_restore(store: ConversationStore, clock: Clock) -> None:
    c = conv("bin me")
    store.save(c)
    raw = file_of(store, c.id).read_bytes()
    store.delete(c.id)
    assert store.list() == []
    assert not file_of(store, c.id).exists()
    [entry] = store.trashed()
    assert (entry.id, entry.deleted_at) == (c.id, clock.now.replace(microsecond=0))
    assert entry.path.read_bytes() == raw
    with pytest.raises(ConversationNotFound):
        store.delete(c.id)
    store = reopen(store)
    assert store.list() == []
    store.restore(c.id)
    assert [s.title for s in store.list()] == ["bin me"]
    assert file_of(store, c.id).read_bytes() == raw
    assert store.trashed() == []
    with pytest.raises(ConversationNotFound):
        store.restore(c.id)


def test_restore_over_the_same_id_brings_back_a_copy(store: ConversationStore) -> None:
    c = conv("first")
    store.save(c)
    store.delete(c.id)
    c.title = "second"  # the same id here again (an import of an export, say)
    store.save(c)
    copy_id = store.restore(c.id)
    assert copy_id != c.id
    assert store.load(c.id).title == "second"  # never overwritten
    copy = store.load(copy_id)
    assert copy.title == "first"
    assert [m.content for m in copy.messages] == [m.content for m in c.messages]
    assert store.trashed() == []
    assert sorted(s.title for s in store.list()) == ["first", "second"]


def test_an_unreadable_trashed_copy_is_not_restored_over_the_same_id(
    store: ConversationStore,
) -> None:
    c = conv("here")
    store.save(c)
    (store.trash_dir / f"{c.id}.deleted-20991231T000000Z.json").write_bytes(b"{broken")
    with pytest.raises(StorageError, match="cannot be read"):
        store.restore(c.id)
    assert store.load(c.id).title == "here"
    assert len(store.trashed()) == 1


def test_trash_contents_show_titles_and_sizes_even_of_unreadable_files(
    store: ConversationStore, clock: Clock
) -> None:
    first, second = conv("first"), conv("second")
    second.messages.append(Message(Role.USER, "hi"))
    for c in (first, second):
        store.save(c)
        store.delete(c.id)
        clock.now += timedelta(minutes=1)
    broken = store.trash_dir / f"{new_id()}.deleted-20260101T000000Z.json"
    broken.write_bytes(b"{not json")
    # the quick look (JSON only) and the full decode agree: a BOM, a newer version's file
    bom, newer = conv("with a BOM"), conv("from a newer version")
    (store.trash_dir / f"{bom.id}.deleted-20251231T000000Z.json").write_bytes(
        codecs.BOM_UTF8 + codec.encode(bom)
    )
    data = json.loads(codec.encode(newer))
    data["schema_version"] = SCHEMA_VERSION + 1
    (store.trash_dir / f"{newer.id}.deleted-20251230T000000Z.json").write_text(json.dumps(data))
    shown = [(t.entry.id, t.title, t.messages) for t in store.trash_contents()]
    assert shown == [
        (second.id, "second", len(first.messages) + 1),
        (first.id, "first", len(first.messages)),
        (broken.name[:36], "", None),
        (bom.id, "with a BOM", len(bom.messages)),
        (newer.id, "from a newer version", len(newer.messages)),
    ]


def test_restore_brings_back_the_copy_asked_for(store: ConversationStore, clock: Clock) -> None:
    c = conv("old words")
    store.save(c)
    store.delete(c.id)
    clock.now += timedelta(minutes=1)
    c.title = "new words"  # the same id again (an import), deleted again
    store.save(c)
    store.delete(c.id)
    newer, older = store.trashed()
    assert store.restore(c.id, older) == c.id
    assert store.load(c.id).title == "old words"
    assert store.trashed() == [newer]
    with pytest.raises(ConversationNotFound):
        store.restore(c.id, older)  # already restored


def test_many_are_deleted_and_restored_in_one_step_each_kept_apart(
    store: ConversationStore, clock: Clock
) -> None:
    convs = [conv(f"n{i}") for i in range(4)]
    for c in convs:
        store.save(c)
    gone = new_id()
    deleted, failed = store.delete_many([convs[0].id, gone, convs[1].id, convs[2].id])
    assert deleted == [convs[0].id, convs[1].id, convs[2].id]
    assert [(i, type(e)) for i, e in failed] == [(gone, ConversationNotFound)]
    assert [s.title for s in store.list()] == ["n3"]
    # The same id twice in one restore: the newest deleted copy, then (its file being back)
    # the older one as a copy; an id not in the trash is said, the rest still comes back.
    clock.now += timedelta(minutes=1)
    again = conv("n0 again")
    again.id = convs[0].id
    store.save(again)
    store.delete(again.id)
    results = store.restore_many(
        [(convs[0].id, None), (convs[0].id, None), (convs[3].id, None), (convs[1].id, None)]
    )
    assert results[0] == (convs[0].id, convs[0].id)
    assert results[1][0] == convs[0].id
    assert isinstance(results[1][1], str)
    assert results[1][1] != convs[0].id  # a copy under a new id
    assert results[2][0] == convs[3].id
    assert isinstance(results[2][1], ConversationNotFound)
    assert results[3] == (convs[1].id, convs[1].id)
    assert store.load(convs[0].id).title == "n0 again"
    assert sorted(s.title for s in store.list()) == ["n0", "n0 again", "n1", "n3"]
    assert [e.id for e in store.trashed()] == [convs[2].id]
    store = reopen(store)  # the listing cache agrees with the folder
    assert sorted(s.title for s in store.list()) == ["n0", "n0 again", "n1", "n3"]


def test_delete_for_good(store: ConversationStore) -> None:
    kept, gone = conv("kept"), conv("gone")
    for c in (kept, gone):
        store.save(c)
        store.delete(c.id)
    entry = next(e for e in store.trashed() if e.id == gone.id)
    store.delete_for_good(entry)
    assert not entry.path.exists()
    assert [e.id for e in store.trashed()] == [kept.id]
    store.delete_for_good(entry)  # already gone: nothing to do
    outside = TrashEntry(kept.id, entry.deleted_at, store.conversations_dir / f"{kept.id}.json")
    with pytest.raises(ValueError, match="not in the trash"):
        store.delete_for_good(outside)


def test_purge_trash(store: ConversationStore, clock: Clock) -> None:
    old, recent = conv("old"), conv("recent")
    for c in (old, recent):
        store.save(c)
    store.delete(old.id)
    clock.now += timedelta(days=20)
    store.delete(recent.id)
    stranger = store.trash_dir / "something-else.json"
    stranger.write_text("{}", encoding="utf-8")
    clock.now += timedelta(days=15)
    store = reopen(store)  # open() purges what is over 30 days old
    assert [e.id for e in store.trashed()] == [recent.id]
    assert store.purge_trash(older_than=timedelta(days=30)) == 0
    assert store.purge_trash(older_than=timedelta(days=1)) == 1
    assert store.trashed() == []
    assert stranger.exists()


def test_second_store_on_same_root_is_refused(
    store: ConversationStore, paths: tuple[Path, Path]
) -> None:
    other = ConversationStore(*paths)
    with pytest.raises(AlreadyLocked, match="already running"):
        other.open()
    store.close()
    with other:
        assert other.list() == []


def test_lock_works_across_processes(paths: tuple[Path, Path]) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from writer_desktop.core.store import ConversationStore\n"
        "s = ConversationStore(Path(sys.argv[1]), Path(sys.argv[2])).open()\n"
        "print('ready', flush=True); sys.stdin.read()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-c", code, *map(str, paths)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
    ) as child:  # fmt: skip
        assert child.stdout is not None
        assert child.stdin is not None
        assert child.stdout.readline() == b"ready\n"
        with pytest.raises(AlreadyLocked):
            ConversationStore(*paths).open()
        child.stdin.close()
        assert child.wait(timeout=10) == 0
    with ConversationStore(*paths) as store:
        assert store.list() == []


def changed_outside(path: Path, title: str) -> bytes:
    """What a sync tool or an editor does: the file rewritten with other text, a later time."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["title"] = title
    raw = json.dumps(data).encode("utf-8")
    path.write_bytes(raw)
    later = path.stat().st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(later, later))
    return raw


def test_a_file_changed_outside_is_kept_aside_before_it_is_replaced(
    store: ConversationStore,
) -> None:
    # Edits made by another program while the app had the conversation open were overwritten
    # at the next save, without a trace.
    conv = Conversation(title="Mine", messages=[Message(Role.USER, "hello")])
    store.save(conv)
    store.save(conv)  # its own saves are no change from outside
    assert store.outside_changes == []
    path = store.conversations_dir / f"{conv.id}.json"
    theirs = changed_outside(path, "Edited elsewhere")
    conv.messages.append(Message(Role.ASSISTANT, "hi"))
    store.save(conv)
    [kept] = store.outside_changes
    assert kept.path == path
    assert kept.moved_to is not None
    assert kept.moved_to.name.startswith(f"{conv.id}.json.changed-")
    assert kept.moved_to.read_bytes() == theirs  # their version, byte for byte
    assert stat.S_IMODE(kept.moved_to.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))["title"] == "Mine"  # ours, as shown
    assert [c.id for c in store.list()] == [conv.id]  # the copy is not a conversation
    store.outside_changes.clear()
    store.save(conv)
    assert store.outside_changes == []  # told once
    loaded = store.load(conv.id)  # read again: what is on disk now is what it knows
    changed_outside(path, "Again")
    store.load(conv.id)
    store.save(loaded)
    assert store.outside_changes == []  # read after the change: nothing of theirs to lose


def test_a_version_changed_outside_that_cannot_be_kept_is_not_replaced(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = Conversation(title="Mine", messages=[Message(Role.USER, "hello")])
    store.save(conv)
    path = store.conversations_dir / f"{conv.id}.json"
    theirs = changed_outside(path, "Edited elsewhere")
    nowhere = store.root / "no such folder" / "x"
    monkeypatch.setattr("writer_desktop.core.trash.free_name", lambda *_: nowhere)
    with pytest.raises(StorageError):
        store.save(conv)
    assert path.read_bytes() == theirs
