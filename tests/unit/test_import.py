"""Import: JSON exports come back identical; nothing in the store is ever overwritten."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from writer_desktop.core.export import render
from writer_desktop.core.importer import (
    ImportRefused,
    Outcome,
    import_conversation,
    import_files,
    read_file,
)
from writer_desktop.core.models import SCHEMA_VERSION, Conversation, Message, Role, Status, Usage
from writer_desktop.core.store import ConversationStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as opened:
        yield opened


def sample(title: str = "Round trip 😀") -> Conversation:
    return Conversation(
        title=title,
        model="palmyra-x5",
        system_prompt="Be brief.",
        pinned=True,
        messages=[
            Message(Role.USER, "Hello\n```\nunclosed"),
            Message(
                Role.ASSISTANT, "Hi!", model="palmyra-x5", finish_reason="stop",
                usage=Usage(3, 2, 5),
            ),
            Message(Role.ASSISTANT, "", status=Status.ERROR, error="Rate limited."),
        ],
        extra={"tool_data": {"kept": True}},
    )  # fmt: skip


def exported(tmp_path: Path, conv: Conversation, name: str = "c.json") -> Path:
    path = tmp_path / name
    path.write_bytes(render(conv, "json"))
    return path


def test_round_trip_is_identical(tmp_path: Path, store: ConversationStore) -> None:
    conv = sample()
    report = import_files(store, [exported(tmp_path, conv)])
    assert report.failed == []
    assert [(d.outcome, d.conversation_id) for d in report.done] == [(Outcome.IMPORTED, conv.id)]
    assert store.load(conv.id) == conv
    assert render(store.load(conv.id), "json") == render(conv, "json")


def test_identical_conversation_is_skipped(tmp_path: Path, store: ConversationStore) -> None:
    conv = sample()
    store.save(conv)
    before = (store.conversations_dir / f"{conv.id}.json").stat().st_mtime_ns
    assert import_conversation(store, read_file(exported(tmp_path, conv))) == (
        Outcome.SKIPPED, conv.id,
    )  # fmt: skip
    assert (store.conversations_dir / f"{conv.id}.json").stat().st_mtime_ns == before
    assert len(store.list()) == 1


def test_clash_with_a_different_conversation_gets_a_new_id(
    tmp_path: Path, store: ConversationStore
) -> None:
    mine = sample("Mine")
    store.save(mine)
    theirs = sample("Theirs")
    theirs.id = mine.id
    path = exported(tmp_path, theirs)
    outcome, new_id = import_conversation(store, read_file(path))
    assert outcome is Outcome.RENAMED
    assert new_id != mine.id
    assert store.load(mine.id) == mine  # untouched
    assert store.load(new_id).title == "Theirs"
    # Importing the same file again finds the copy made the first time.
    assert import_conversation(store, read_file(path)) == (Outcome.SKIPPED, new_id)
    assert len(store.list()) == 2


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    data = sample().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    path = tmp_path / "new.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ImportRefused, match="newer version of Writer Desktop"):
        read_file(path)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"", "not a JSON file"),
        (b"\xff\xfe", "not a JSON file"),
        (b"[1, 2]", "not a Writer Desktop conversation"),
        (b'{"schema_version": 1, "id": "nope"}', "id must be a UUID"),
        (b'{"x": NaN}', "not a JSON file"),
        (b"[" * 100_000, "not a JSON file"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, raw: bytes, match: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(ImportRefused, match=match):
        read_file(path)


def test_streaming_reply_comes_in_interrupted(tmp_path: Path, store: ConversationStore) -> None:
    conv = sample()
    conv.messages[1].status = Status.STREAMING
    import_files(store, [exported(tmp_path, conv)])
    assert store.load(conv.id).messages[1].status is Status.INTERRUPTED


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path, store: ConversationStore) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    good = exported(tmp_path, sample())
    report = import_files(store, [bad, tmp_path / "missing.json", good])
    assert [d.path for d in report.done] == [good]
    assert [p for p, _ in report.failed] == [bad, tmp_path / "missing.json"]
    assert "Could not read missing.json" in report.failed[1][1]


def test_bom_is_accepted(tmp_path: Path, store: ConversationStore) -> None:
    conv = sample()
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + render(conv, "json"))
    assert read_file(path) == conv


@pytest.mark.parametrize("form", ["upper", "braced", "urn", "URN", "bare"])
def test_an_id_in_another_uuid_form_is_imported_under_its_usual_form(
    tmp_path: Path, store: ConversationStore, form: str
) -> None:
    # A UUID as other tools write it passed the id check, and the store refused it later:
    # ValueError "not a conversation id" crashed the import and the files after it.
    conv = sample()
    data = json.loads(render(conv, "json"))
    data["id"] = {
        "upper": conv.id.upper(),
        "braced": "{" + conv.id + "}",
        "urn": "urn:uuid:" + conv.id,
        "URN": "URN:UUID:" + conv.id.upper(),
        "bare": conv.id.replace("-", ""),
    }[form]
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(data), encoding="utf-8")
    after = exported(tmp_path, sample("After"), "after.json")
    report = import_files(store, [odd, after])
    assert report.failed == []
    assert report.done[0].conversation_id == conv.id
    assert store.load(conv.id).title == conv.title
    assert len(report.done) == 2


def test_a_file_refused_deeper_down_fails_alone(
    tmp_path: Path, store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = sample("First"), sample("Second")
    paths = [exported(tmp_path, first, "1.json"), exported(tmp_path, second, "2.json")]
    save = store.save

    def refusing(conv: Conversation) -> None:
        if conv.title == "First":
            raise ValueError("not a conversation id: 'x'")
        save(conv)

    monkeypatch.setattr(store, "save", refusing)
    report = import_files(store, paths)
    assert [p.name for p, _ in report.failed] == ["1.json"]
    assert "1.json could not be imported: not a conversation id" in report.failed[0][1]
    assert [d.title for d in report.done] == ["Second"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_pipe_is_refused_not_waited_on(tmp_path: Path, store: ConversationStore) -> None:
    # A FIFO given to import waited for a writer for good, the files before it unreported.
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    good = exported(tmp_path, sample())
    report = import_files(store, [fifo, tmp_path, good])
    assert [p for p, _ in report.failed] == [fifo, tmp_path]
    assert report.failed[0][1] == "pipe.json is not a file (a folder, a pipe or a device)."
    assert [d.path for d in report.done] == [good]
