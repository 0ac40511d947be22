"""The reply journal: its format (torn and bad lines, gaps, stale sections), durable appends that a
full disk cannot tear, and the store's use of it: recovery after a crash, stale and unreadable
journals, deletion, and reading a streaming conversation from another process. Real files."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from writer_desktop.core import atomic, journal
from writer_desktop.core.atomic import AppendFile
from writer_desktop.core.errors import DiskFull
from writer_desktop.core.journal import BadJournal, Section
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.store import ConversationStore

POSIX = sys.platform != "win32"
STAMP = "20260501T120000Z"
T0 = "2026-01-01T00:00:00.000Z"


def clock() -> datetime:
    return datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data", tmp_path / "cache", clock=clock) as opened:
        yield opened


def streaming(text: str = "Once") -> tuple[Conversation, Message]:
    conv = Conversation(title="j", created_at=T0, updated_at=T0)
    conv.messages.append(Message(Role.USER, "Tell me a story", id="u", created_at=T0))
    reply = Message(Role.ASSISTANT, text, id="r", created_at=T0, status=Status.STREAMING)
    conv.messages.append(reply)
    return conv, reply


def start(store: ConversationStore, conv: Conversation) -> None:
    """What ``stream_reply`` does when a reply starts: streaming, and saved."""
    store.mark_streaming(conv.id)
    store.save(conv)


def journal_of(store: ConversationStore, conv: Conversation) -> Path:
    return store.conversations_dir / f"{conv.id}.journal"


def crash_copy(store: ConversationStore, tmp_path: Path) -> ConversationStore:
    """The data folder as a crash would leave it (copied while the store is open), reopened."""
    copy = tmp_path / "after-crash"
    shutil.copytree(store.root, copy, ignore=shutil.ignore_patterns("*.lock"))
    return ConversationStore(copy, tmp_path / "cache-after", clock=clock).open()


# -- the format -----------------------------------------------------------------------------


def lines(*objs: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


def test_pieces_extend_the_saved_text_in_order() -> None:
    raw = journal.header("r", 4) + journal.piece(4, " upon") + journal.piece(9, " a time")
    sections = journal.parse(raw)
    assert sections == [Section("r", 4, [(4, " upon"), (9, " a time")])]
    assert journal.extend("Once", sections[0].pieces) == "Once upon a time"


def test_text_json_cannot_hold_round_trips() -> None:
    text = 'line\nbreak "quoted" \\ \u2028 \ud800 😀 \x00'
    [section] = journal.parse(journal.header("r", 0) + journal.piece(0, text))
    assert section.pieces == [(0, text)]


def test_a_torn_last_line_is_ignored() -> None:
    whole = journal.header("r", 0) + journal.piece(0, "Once")
    torn = journal.piece(4, " upon a time")[:-5]
    assert journal.parse(whole + torn) == journal.parse(whole)
    assert journal.parse(journal.header("r", 0)[:-3]) == []  # torn in its very first line


def test_a_bad_line_is_skipped_and_a_gap_ends_the_text() -> None:
    raw = (
        journal.header("r", 0)
        + journal.piece(0, "Once")
        + b'{"at": 4, "t": " up\n'  # what a failed append that could not be cut off leaves
        + journal.piece(9, " a time")  # after the lost piece: a gap
    )
    [section] = journal.parse(raw)
    assert journal.extend("", section.pieces) == "Once"


def test_text_already_saved_is_not_cut_back() -> None:
    # saved while streaming (a rename) after the journal had "Once upon": the file holds more
    pieces = [(0, "Once"), (4, " upon")]
    assert journal.extend("Once upon a", pieces) == "Once upon a"
    assert journal.extend("Once up", pieces) == "Once upon"


@pytest.mark.parametrize(
    "raw",
    [
        b"not a journal\n",
        b"\x00\xff\xfe\n",
        lines({"at": 0, "t": "no header"}),
        lines({"v": 2, "message": "r", "base": 0}, {"at": 0, "t": "x"}),  # a newer version
        lines({"v": 1, "message": "r", "base": 0}, {"v": 9, "message": "r", "base": 0}),
        lines({"v": 1, "message": 5, "base": 0}),
        lines({"v": 1, "message": "r", "base": -1}),
        lines([1, 2]),  # type: ignore[arg-type]
    ],
)
def test_what_is_not_a_journal_is_refused(raw: bytes) -> None:
    with pytest.raises(BadJournal):
        journal.parse(raw)


def test_only_streaming_messages_take_journaled_text_and_the_last_section_wins() -> None:
    conv, reply = streaming("")
    done = Message(Role.ASSISTANT, "kept", id="done", created_at=T0)
    conv.messages.insert(1, done)
    raw = (
        journal.header("r", 0)
        + journal.piece(0, "an earlier stream of the same reply")
        + journal.header("done", 0)
        + journal.piece(0, "stale")
        + journal.header("r", 0)
        + journal.piece(0, "the stream that counts")
    )
    assert journal.apply(conv, journal.parse(raw)) == ["r"]
    assert reply.content == "the stream that counts"
    assert reply.status is Status.STREAMING  # statuses are the store's business
    assert done.content == "kept"
    assert journal.apply(conv, journal.parse(journal.header("nobody", 0))) == []


# -- durable appends ------------------------------------------------------------------------


class _Os:
    """The ``os`` module as ``atomic`` sees it, with some functions replaced."""

    def __init__(self, **replaced: Callable[..., Any]) -> None:
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def test_append_file_appends_whole_records(tmp_path: Path) -> None:
    path = tmp_path / "a.journal"
    log = AppendFile(path)
    assert not path.exists()  # created by the first append
    log.append(b"one\n")
    log.append(b"two\n")
    log.close()
    assert path.read_bytes() == b"one\ntwo\n"
    if POSIX:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = AppendFile(path)  # a later writer appends after what is there
    again.append(b"three\n")
    again.close()
    assert path.read_bytes() == b"one\ntwo\nthree\n"


def test_a_failed_append_is_cut_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.journal"
    log = AppendFile(path)
    log.append(b"one\n")
    real = os.write

    def half_then_full(fd: int, data: Any) -> int:
        if len(data) > 2:
            return real(fd, bytes(data[:2]))  # a short write: part of the record is on disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "os", _Os(write=half_then_full))
    with pytest.raises(DiskFull):
        log.append(b"two\n")
    assert path.read_bytes() == b"one\n"
    monkeypatch.undo()
    log.append(b"two\n")
    log.close()
    assert path.read_bytes() == b"one\ntwo\n"


def test_when_cutting_off_fails_too_the_next_record_starts_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.journal"
    log = AppendFile(path)
    log.append(journal.header("r", 0))
    real = os.write
    written = 0

    def five_bytes_then_fail(fd: int, data: Any) -> int:
        nonlocal written
        if written:
            raise OSError(errno.EIO, "Input/output error")
        written = real(fd, bytes(data[:5]))
        return written

    def refuse(fd: int, size: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic, "os", _Os(write=five_bytes_then_fail, ftruncate=refuse))
    with pytest.raises(Exception, match="Input/output error"):
        log.append(journal.piece(0, "Once"))
    assert path.read_bytes().endswith(b'\n{"at"')  # torn
    monkeypatch.undo()
    log.append(journal.piece(0, "Once upon"))  # the text since the last append, retried
    log.append(journal.piece(9, " a time"))
    log.close()
    [section] = journal.parse(path.read_bytes())
    assert journal.extend("", section.pieces) == "Once upon a time"


# -- the store ------------------------------------------------------------------------------


def test_appends_leave_the_file_alone_and_a_save_deletes_the_journal(
    store: ConversationStore,
) -> None:
    conv, reply = streaming()
    start(store, conv)
    path = store.conversations_dir / f"{conv.id}.json"
    saved = path.read_bytes()
    store.append_reply(conv.id, reply.id, 4, " upon")
    store.append_reply(conv.id, reply.id, 9, " a time")
    assert path.read_bytes() == saved
    [section] = journal.parse(journal_of(store, conv).read_bytes())
    assert (section.message, section.base) == (reply.id, 4)
    reply.content, reply.status = "Once upon a time.", Status.COMPLETE
    store.unmark_streaming(conv.id)
    store.save(conv)
    assert not journal_of(store, conv).exists()
    assert sorted(p.name for p in store.conversations_dir.iterdir()) == [path.name]


def test_recovery_applies_the_journal_and_marks_interrupted(
    store: ConversationStore, tmp_path: Path
) -> None:
    conv, reply = streaming()
    start(store, conv)
    store.append_reply(conv.id, reply.id, 4, " upon")
    store.append_reply(conv.id, reply.id, 9, " a time")
    with journal_of(store, conv).open("ab") as f:
        f.write(journal.piece(16, " there was")[:-4])  # torn by the crash
    with crash_copy(store, tmp_path) as after:
        assert after.problems == []
        loaded = after.load(conv.id)
        [message] = [m for m in loaded.messages if m.id == reply.id]
        assert message.content == "Once upon a time"
        assert message.status is Status.INTERRUPTED
        assert message.error
        on_disk = json.loads((after.conversations_dir / f"{conv.id}.json").read_bytes())
        assert on_disk["messages"][1]["content"] == "Once upon a time"
        assert on_disk["messages"][1]["status"] == "interrupted"
        assert not (after.conversations_dir / f"{conv.id}.journal").exists()
        assert not after.list()[0].has_streaming


def test_a_stale_journal_is_deleted(store: ConversationStore, tmp_path: Path) -> None:
    """The end's save landed, the journal's deletion did not (a crash in between)."""
    conv, reply = streaming()
    start(store, conv)
    store.append_reply(conv.id, reply.id, 4, " upon")
    left = journal_of(store, conv).read_bytes()
    reply.content, reply.status = "Once upon a time.", Status.COMPLETE
    store.unmark_streaming(conv.id)
    store.save(conv)
    journal_of(store, conv).write_bytes(left)
    with crash_copy(store, tmp_path) as after:
        assert after.problems == []
        assert not (after.conversations_dir / f"{conv.id}.journal").exists()
        assert after.load(conv.id).messages[1].content == "Once upon a time."


def test_an_unreadable_journal_is_set_aside_and_reported(
    store: ConversationStore, tmp_path: Path
) -> None:
    conv, _ = streaming()
    start(store, conv)
    journal_of(store, conv).write_bytes(b"\x00garbage\nmore garbage\n")
    with crash_copy(store, tmp_path) as after:
        [problem] = after.take_problems()
        folder = after.conversations_dir
        assert problem.path == folder / f"{conv.id}.journal"
        assert problem.moved_to == folder / f"{conv.id}.journal.corrupt-{STAMP}"
        assert problem.moved_to.read_bytes() == b"\x00garbage\nmore garbage\n"  # unchanged
        loaded = after.load(conv.id)  # the conversation itself is fine: recovered as saved
        assert (loaded.messages[1].content, loaded.messages[1].status) == (
            "Once",
            Status.INTERRUPTED,
        )
    with ConversationStore(tmp_path / "after-crash", tmp_path / "cache-after") as again:
        assert again.problems == []  # set aside once, not reported at every start


def test_an_orphaned_journal_is_set_aside(store: ConversationStore, tmp_path: Path) -> None:
    conv, reply = streaming()
    start(store, conv)
    store.append_reply(conv.id, reply.id, 4, " upon")
    (store.conversations_dir / f"{conv.id}.json").unlink()  # removed by hand, say
    with crash_copy(store, tmp_path) as after:
        [problem] = after.take_problems()
        assert problem.moved_to is not None
        assert journal.parse(problem.moved_to.read_bytes())[0].pieces == [(4, " upon")]
        assert after.list() == []


def test_delete_removes_the_journal(store: ConversationStore) -> None:
    conv, reply = streaming()
    start(store, conv)
    store.append_reply(conv.id, reply.id, 4, " upon")
    store.unmark_streaming(conv.id)
    store.delete(conv.id)
    assert list(store.conversations_dir.iterdir()) == []
    assert [e.id for e in store.trashed()] == [conv.id]


def test_a_journal_stays_until_a_save_lands(
    store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end's save fails (disk full): the journal keeps the text until a later one lands."""
    conv, reply = streaming()
    start(store, conv)
    store.append_reply(conv.id, reply.id, 4, " upon")
    real = os.write

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "os", _Os(write=full))
    reply.content, reply.status = "Once upon a time.", Status.COMPLETE
    store.unmark_streaming(conv.id)
    with pytest.raises(DiskFull):
        store.save(conv)
    assert journal_of(store, conv).exists()
    with crash_copy(store, tmp_path) as after:  # a crash now keeps what the journal has
        assert after.load(conv.id).messages[1].content == "Once upon"
    monkeypatch.setattr(atomic, "os", _Os(write=real))
    store.save(conv)
    assert not journal_of(store, conv).exists()


def test_another_process_reads_the_streamed_text(store: ConversationStore) -> None:
    conv, reply = streaming()
    start(store, conv)
    store.append_reply(conv.id, reply.id, 4, " upon")
    reader = ReadOnlyStore(store.conversations_dir)
    assert reader.ids() == [conv.id]  # the journal is not listed as a conversation
    loaded = reader.load(conv.id)
    assert (loaded.messages[1].content, loaded.messages[1].status) == (
        "Once upon",
        Status.STREAMING,
    )
    journal_of(store, conv).write_bytes(b"garbage\n")  # ignored by a reader, never touched
    assert reader.load(conv.id).messages[1].content == "Once"
    assert journal_of(store, conv).read_bytes() == b"garbage\n"
