"""The headless commands end to end, in subprocesses without a display: export, import, search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from writer_desktop.cli import RUNNING
from writer_desktop.core.export import render
from writer_desktop.core.models import SCHEMA_VERSION, Conversation, Message, Role, Status
from writer_desktop.core.store import ConversationStore

CANARY = "sk-canary-4f9d0c1e-never-export-me"
IDS = ("aaaa1111-0000-4000-8000-000000000001", "aaaa2222-0000-4000-8000-000000000002")
QT = ("PySide6", "shiboken6", "qasync", "writer_desktop.ui", "writer_desktop.app", "keyring")


def run(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -X importtime -m writer_desktop ARGS`` with no display and a canary key set."""
    env = {
        **os.environ,
        "WRITER_DESKTOP_HOME": str(home),
        "WRITER_API_KEY": CANARY,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PYTHONIOENCODING": "utf-8",
    }
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "writer_desktop", *args],
        capture_output=True, text=True, encoding="utf-8", env=env, cwd=cwd or home.parent,
        timeout=120, check=False,
    )  # fmt: skip
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "writer_desktop.cli_args" in imported or result.returncode == 2  # the check is live
    loaded_qt = [name for name in imported if name.startswith(QT)]
    assert loaded_qt == [], f"the command imported {loaded_qt}"
    result.stderr = "\n".join(ln for ln in result.stderr.splitlines() if "import time:" not in ln)
    return result


def sample(conv_id: str, title: str) -> Conversation:
    return Conversation(
        id=conv_id,
        title=title,
        model="palmyra-x5",
        messages=[
            Message(Role.USER, "Tell me about café culture.\n## You"),
            Message(Role.ASSISTANT, "```\nunclosed", model="palmyra-x5", status=Status.STOPPED),
        ],
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    with ConversationStore(home, home / "cache") as store:
        store.save(sample(IDS[0], "Café: first/one"))
        store.save(sample(IDS[1], "CON"))
    return home


@pytest.fixture
def app_running(home: Path) -> Iterator[ConversationStore]:
    """The data folder held open (and locked) as the running app holds it."""
    with ConversationStore(home, home / "cache") as store:
        yield store


def test_export_one_to_stdout_while_the_app_runs(home: Path, app_running: object) -> None:
    result = run(home, "export", "aaaa1", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Café: first/one\nModel: palmyra-x5 · Created: ")
    assert "\n#### You\n" in result.stdout
    assert "*Stopped — reply incomplete*" in result.stdout
    assert not (home.parent / "Café_ first_one.md").exists()


def test_export_json_to_stdout_is_the_stored_file(home: Path) -> None:
    result = run(home, "export", IDS[1], "--format", "json", "-o", "-")
    assert result.returncode == 0, result.stderr
    stored = (home / "conversations" / f"{IDS[1]}.json").read_text(encoding="utf-8")
    assert result.stdout == stored


def test_export_json_of_a_newer_versions_file_is_that_file(home: Path) -> None:
    # What this version understands of a newer file may be less than it holds (a message shape
    # it does not know is left out when shown): the JSON export must not drop it.
    conv_id = "bbbb2222-0000-4000-8000-000000000002"
    text = json.dumps(
        {
            "schema_version": SCHEMA_VERSION + 1, "id": conv_id, "title": "From the future",
            "created_at": "2026-11-25T10:00:00.000Z", "updated_at": "2026-11-25T10:00:00.000Z",
            "messages": [
                {"role": "narrator", "content": {"scene": 1}, "id": "n1"},
                {"id": "m2", "role": "user", "content": "Hello", "new_key": [1, 2]},
            ],
            "future": {"kept": True},
        },
        indent=4,
    )  # fmt: skip
    (home / "conversations" / f"{conv_id}.json").write_text(text, encoding="utf-8")
    result = run(home, "export", conv_id, "--format", "json", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout == text


def test_export_several_to_a_new_folder(home: Path) -> None:
    out = home.parent / "exports" / "nested"
    result = run(home, "export", "aaaa1", "aaaa2", "aaaa1", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Café_ first_one.md", "_CON.md"]
    assert sorted(result.stdout.splitlines()) == sorted(str(p) for p in out.resolve().iterdir())


def test_export_one_into_the_current_folder_never_overwrites(home: Path) -> None:
    cwd = home.parent / "cwd"
    cwd.mkdir()
    for _ in range(2):
        assert run(home, "export", "aaaa2", cwd=cwd).returncode == 0
    assert sorted(p.name for p in cwd.iterdir()) == ["_CON (2).md", "_CON.md"]


def test_export_to_a_named_file_then_force(home: Path) -> None:
    target = home.parent / "notes.json"  # the suffix chooses JSON
    target.write_text("precious", encoding="utf-8")
    result = run(home, "export", "aaaa2", "-o", str(target))
    # refused: writing "notes (2).json" instead left a script reading the old notes.json
    assert result.returncode == 1
    assert "exists: add --force to replace it" in result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in home.parent.iterdir() if p.suffix == ".json") == ["notes.json"]
    assert run(home, "export", "aaaa2", "-o", str(target), "--force").returncode == 0
    assert json.loads(target.read_text(encoding="utf-8"))["id"] == IDS[1]


def test_export_into_a_folder_that_does_not_exist_says_so(home: Path) -> None:
    result = run(home, "export", "aaaa2", "-o", str(home.parent / "nowhere" / "x.md"))
    assert result.returncode == 1
    assert f"{home.parent / 'nowhere'} does not exist" in result.stderr  # not "is not a folder"


def test_force_never_replaces_a_file_written_in_the_same_run(home: Path, tmp_path: Path) -> None:
    with ConversationStore(home, home / "cache") as store:
        store.save(sample("cccc0000-0000-4000-8000-000000000003", "CON"))  # same title as IDS[1]
    out = tmp_path / "out"
    out.mkdir()
    (out / "_CON.md").write_text("old", encoding="utf-8")
    result = run(home, "export", "--all", "-o", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Café_ first_one.md", "_CON (2).md", "_CON.md"]
    assert "old" not in (out / "_CON.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "zzz"], "No conversation has an id starting with “zzz”"),
        (["export", "aaaa"], "ambiguous"),
        (["export", "aaaa1", "nope"], "No conversation"),
        (["export"], "or use --all"),
        (["export", "--all", "aaaa1"], "or use --all, not both"),
        (["export", "aaaa1", "aaaa2", "-o", "single.md"], "single.md is a file name"),
        (["export", "--all", "-o", "-"], "exactly one"),
        (["export", "aaaa1", "--format", "pdf"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(home: Path, args: list[str], message: str) -> None:
    result = run(home, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("which", [["aaaa1"], ["--all"]])
def test_an_empty_output_path_is_refused_not_the_current_folder(
    home: Path, tmp_path: Path, which: list[str]
) -> None:
    """``-o "$OUT"`` with OUT unset: files went into the current folder."""
    here = tmp_path / "here"
    here.mkdir()
    result = run(home, "export", *which, "-o", "", cwd=here)
    assert result.returncode == 2
    assert "export: -o is empty" in result.stderr
    assert list(here.iterdir()) == []


def test_export_all_json_imports_back_identically(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "json"
    assert run(home, "export", "--all", "--format", "json", "-o", str(out)).returncode == 0
    files = sorted(out.iterdir())
    assert len(files) == 2
    fresh = tmp_path / "fresh"
    result = run(fresh, "import", *map(str, files))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("imported ") == 2
    for conv_id in IDS:
        original = (home / "conversations" / f"{conv_id}.json").read_bytes()
        assert (fresh / "conversations" / f"{conv_id}.json").read_bytes() == original


def test_import_with_clashes(home: Path, tmp_path: Path) -> None:
    same = tmp_path / "same.json"
    same.write_bytes((home / "conversations" / f"{IDS[0]}.json").read_bytes())
    changed = tmp_path / "changed.json"
    other = sample(IDS[0], "Someone else's")
    changed.write_bytes(render(other, "json"))
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**other.to_dict(), "schema_version": SCHEMA_VERSION + 1}))
    before = (home / "conversations" / f"{IDS[0]}.json").read_bytes()
    result = run(home, "import", str(same), str(changed), str(newer))
    assert result.returncode == 1  # one file was refused
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"skipped  {same}: already there as {IDS[0]}")
    assert lines[1].startswith(f"imported {changed} → ")
    assert "new id" in lines[1]
    assert "newer version of Writer Desktop" in result.stderr
    assert (home / "conversations" / f"{IDS[0]}.json").read_bytes() == before
    assert len(list((home / "conversations").glob("*.json"))) == 3


def test_import_refused_while_the_app_runs(home: Path, tmp_path: Path, app_running: object) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(render(sample("bbbb0000-0000-4000-8000-000000000000", "x"), "json"))
    result = run(home, "import", str(path))
    assert result.returncode == 2
    assert RUNNING in result.stderr


def test_api_key_never_appears_in_exports(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "all"
    outputs = [
        run(home, "export", "--all", "-o", str(out)),
        run(home, "export", "--all", "--format", "json", "-o", str(out)),
        run(home, "export", "aaaa1", "-o", "-"),
        run(home, "export", "aaaa1", "--format", "json", "-o", "-"),
    ]
    assert all(r.returncode == 0 for r in outputs)
    texts = [r.stdout + r.stderr for r in outputs] + [p.read_text("utf-8") for p in out.iterdir()]
    assert len(texts) == 8
    assert not [t for t in texts if CANARY in t]


def test_search_and_list(home: Path, app_running: object) -> None:
    result = run(home, "search", "cafe")
    assert result.returncode == 0, result.stderr
    assert "«café»" in result.stdout
    assert IDS[0][:8] in result.stdout
    assert (home / "cache" / "search.sqlite3").is_file()
    assert run(home, "search", 'NEAR( "').returncode == 0
    listing = run(home, "list")
    assert listing.returncode == 0
    assert sorted(line[:36] for line in listing.stdout.splitlines()) == sorted(IDS)


def test_search_works_without_an_index_it_cannot_open(home: Path) -> None:
    # As on a disk remounted read-only: the index could not be opened nor replaced, and the
    # command ended in two chained tracebacks.
    blocked = home / "cache" / "search.sqlite3"
    blocked.mkdir(parents=True)  # a folder where the database file should be
    result = run(home, "search", "cafe")
    assert result.returncode == 0, result.stderr
    assert "«café»" in result.stdout
    assert "Traceback" not in result.stderr
    assert "the search index cannot be used" in result.stderr
    assert "searching without it" in result.stderr


def test_list_shows_no_bidirectional_controls(home: Path) -> None:
    # U+202E would reverse the rest of the terminal line: a title could show what it is not.
    # Titled as the app lists it: the control gone (not "\ufffd"), one of controls "Untitled".
    with ConversationStore(home, home / "cache") as store:
        store.save(sample("cccc3333-0000-4000-8000-000000000003", "\u202eevil gpj.exe"))
        store.save(sample("cccc3333-0000-4000-8000-000000000004", "\u202e\u2066"))
    listing = run(home, "list")
    assert listing.returncode == 0, listing.stderr
    assert "\u202e" not in listing.stdout
    assert "\ufffd" not in listing.stdout
    assert "  evil gpj.exe\n" in listing.stdout
    assert "  Untitled\n" in listing.stdout


def test_help_lists_the_commands(home: Path) -> None:
    result = run(home, "--help")
    assert result.returncode == 0
    for command in ("export", "import", "search", "list"):
        assert command in result.stdout


def test_force_writes_through_a_link_and_a_dangling_one_needs_it(
    home: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real.md"
    real.write_text("old", encoding="utf-8")
    (tmp_path / "link.md").symlink_to(real)
    result = run(home, "export", "aaaa1", "-o", str(tmp_path / "link.md"), "--force")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "link.md").is_symlink()
    assert "café culture" in real.read_text(encoding="utf-8")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    result = run(home, "export", "aaaa1", "-o", str(tmp_path / "dangling.md"))
    assert result.returncode == 1
    assert "dangling.md exists: add --force" in result.stderr
    assert not (tmp_path / "dangling (2).md").exists()  # the name asked for, or nothing


def test_force_exports_the_same_files_each_time(home: Path, tmp_path: Path) -> None:
    # Each run with the same titles added "CON (3)", "(4)"…: only the first of a title was
    # ever replaced.
    # A title that looks like a numbered copy ("Same (2)") took another's number, and the
    # files still grew at each run (helper's report: 15 → 18 → 19 → 21).
    titles = ["CON", "con", "Same", "Same (2)", "Same", "Same ", "Same (2)"]
    with ConversationStore(home, home / "cache") as store:
        for n, title in enumerate(titles, start=3):
            store.save(sample(f"{n:04d}0000-0000-4000-8000-00000000000{n % 10}", title))
    out = tmp_path / "out"
    runs = []
    for _ in range(3):
        result = run(home, "export", "--all", "-o", str(out), "--force")
        assert result.returncode == 0, result.stderr
        runs.append(result.stdout)
        assert len(list(out.iterdir())) == 2 + len(titles)
    assert runs[0] == runs[1] == runs[2]  # the same conversation to the same file each time
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "Café_ first_one.md", "Same (2) (2).md", "Same (2).md", "Same (3).md", "Same (4).md",
        "Same.md", "_CON (3).md", "_CON.md", "_con (2).md",
    ]  # fmt: skip


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_told_without_a_traceback(
    home: Path, tmp_path: Path
) -> None:
    for args in (["list"], ["export", "aaaa1", "-o", "-"], ["search", "café"]):
        with open("/dev/full", "w") as full:
            env = {**os.environ, "WRITER_DESKTOP_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
            result = subprocess.run(
                [sys.executable, "-m", "writer_desktop", *args], stdout=full,
                stderr=subprocess.PIPE, text=True, env=env, timeout=120, check=False,
            )  # fmt: skip
        assert result.returncode == 1, args
        assert "could not write the output: No space left on device." in result.stderr, args
        assert "Traceback" not in result.stderr
    long = tmp_path / ("a" * 300 + ".md")
    result = run(home, "export", "aaaa1", "-o", str(long))
    assert result.returncode == 1
    assert "File name too long." in result.stderr
    assert "Traceback" not in result.stderr


def test_list_with_an_unreadable_file_exits_1(home: Path) -> None:
    # It exited 0, so a script took the list for complete (export --all exits 1 then).
    (home / "conversations" / "cccc0000-0000-4000-8000-000000000003.json").write_text("{oops")
    result = run(home, "list")
    assert result.returncode == 1
    assert "cccc0000-0000-4000-8000-000000000003" in result.stderr
    assert IDS[0] in result.stdout  # the readable ones are still listed


@pytest.mark.parametrize("command", [["list"], ["search", "x"], ["export", "--all"]])
def test_a_data_folder_that_does_not_exist_is_said_and_not_created(
    tmp_path: Path, command: list[str]
) -> None:
    # A mistyped WRITER_DESKTOP_HOME: `list` printed nothing, `search` created its cache there.
    home = tmp_path / "nope"
    result = run(home, *command)
    assert result.returncode == 0
    assert f"there are no conversations: {home / 'conversations'} does not exist." in result.stderr
    assert not home.exists()
