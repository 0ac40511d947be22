"""Drafts on disk: kept per conversation, written only when changed, unreadable files set aside."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from writer_desktop.core.drafts import NEW, QUICK, Drafts
from writer_desktop.core.errors import StorageError


def test_drafts_round_trip_and_blank_text_removes_one(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    drafts = Drafts(path)
    assert drafts.load() is None  # no file yet: nothing to report
    drafts.put("a", "Hello, half a thought")
    drafts.put(NEW, "Café 東京 🙂\n<b>not html</b>\0")
    drafts.put("b", "   \n")  # blank: not a draft
    assert drafts.changed
    drafts.save()
    assert not drafts.changed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Drafts(path)
    assert again.load() is None
    assert again.get("a") == "Hello, half a thought"
    assert again.get(NEW) == "Café 東京 🙂\n<b>not html</b>\0"
    assert again.get("b") == ""
    again.put("a", "")
    again.put(NEW, " ")
    again.save()
    assert not path.exists()  # nothing left: no file


def test_save_writes_only_when_something_changed(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    drafts = Drafts(path)
    drafts.put("a", "x")
    drafts.save()
    path.write_text(json.dumps({"version": 1, "drafts": {"a": "changed elsewhere"}}))
    drafts.put("a", "x")  # the same text again
    drafts.save()
    assert json.loads(path.read_text())["drafts"] == {"a": "changed elsewhere"}  # not rewritten


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b'{"drafts": "no"}', b"\xff\xfe\x00", b"[" * 100_000]
)
def test_an_unreadable_file_is_set_aside_unchanged_and_reported(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "drafts.json"
    path.write_bytes(content)
    drafts = Drafts(path)
    problem = drafts.load()
    assert problem is not None
    assert "could not be read" in problem
    [kept] = tmp_path.glob("drafts.json.corrupt-*")
    assert kept.read_bytes() == content
    assert kept.name in problem
    assert not path.exists()
    drafts.put("a", "new text")  # and the app goes on keeping drafts
    drafts.save()
    assert json.loads(path.read_text())["drafts"] == {"a": "new text"}


def test_odd_entries_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    path.write_text(json.dumps({"version": 1, "drafts": {"a": "ok", "b": 3, "c": " ", "d": None}}))
    drafts = Drafts(path)
    assert drafts.load() is None
    assert [drafts.get(k) for k in "abcd"] == ["ok", "", "", ""]


def test_a_failed_save_keeps_the_drafts_and_says_why(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    drafts = Drafts(blocker / "drafts.json")  # its folder is a file: every save fails
    drafts.put("a", "keep me")
    with pytest.raises(StorageError) as raised:
        drafts.save()
    assert "drafts.json" in raised.value.user_message
    assert drafts.changed
    assert drafts.get("a") == "keep me"


HERE = "0a7f3c2e-1b2d-4c5e-8f90-123456789abc"
GONE = "9b8e7d6c-5a4b-4c3d-8e2f-0123456789ab"


def test_keep_only_forgets_gone_conversations_but_never_the_new_one(tmp_path: Path) -> None:
    drafts = Drafts(tmp_path / "drafts.json")
    keys = (HERE, GONE, NEW, QUICK, "later-version")
    for key in keys:
        drafts.put(key, f"text of {key}")
    drafts.save()
    drafts.keep_only(lambda conv_id: conv_id == HERE)
    assert drafts.changed
    # Keys that are not conversation ids are never taken for deleted conversations: an early
    # build dropped QUICK that way, and a later version may add keys of its own.
    expected = [f"text of {HERE}", "", "text of new", "text of quick", "text of later-version"]
    assert [drafts.get(k) for k in keys] == expected


def test_what_is_written_is_scrubbed_but_the_text_in_memory_is_not(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    drafts = Drafts(path, scrub=lambda text: text.replace("sk-SECRET", "[redacted]"))
    drafts.put("a", "my key is sk-SECRET, is that right?")
    drafts.save()
    assert b"sk-SECRET" not in path.read_bytes()
    assert Drafts(path).load() is None
    assert json.loads(path.read_text())["drafts"] == {"a": "my key is [redacted], is that right?"}
    assert drafts.get("a") == "my key is sk-SECRET, is that right?"  # on screen as typed


def test_a_second_unreadable_file_is_set_aside_beside_the_first(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    for content in (b"{first", b"{second"):
        path.write_bytes(content)
        assert Drafts(path).load() is not None
    kept = sorted(tmp_path.glob("drafts.json.corrupt-*"), key=lambda p: p.read_bytes())
    assert [p.read_bytes() for p in kept] == [b"{first", b"{second"]  # neither overwritten
