"""Safe file names from hostile titles, and writing without clobbering."""

from __future__ import annotations

import os
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from writer_desktop.core.errors import StorageError
from writer_desktop.core.filenames import MAX_STEM_BYTES, safe_stem, write_new
from writer_desktop.core.titles import UNTITLED

FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)}
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)}


def check_safe(name: str) -> None:
    assert name
    assert not FORBIDDEN & set(name), name
    assert name not in {".", ".."}
    assert not name.startswith((".", " "))
    assert not name.endswith((".", " "))
    assert len(name.encode("utf-8")) <= MAX_STEM_BYTES
    assert name.split(".")[0].rstrip(" ").upper() not in RESERVED
    name.encode("utf-8")  # no lone surrogates


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Haiku about autumn", "Haiku about autumn"),
        ("", UNTITLED),
        ("   ", UNTITLED),
        ("...", UNTITLED),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a/b\\c", "a_b_c"),
        ('What is <b>"2*3"</b>?', "What is _b__2_3___b__"),
        ("line\nbreak\ttab", "line break tab"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("Lpt9 .md", "_Lpt9 .md"),
        ("COM1.tar.gz", "_COM1.tar.gz"),
        ("CONSOLE", "CONSOLE"),
        ("trailing dots...", "trailing dots"),
        (".hidden", "hidden"),
        ("e\u0301te\u0301", "été"),  # NFC
        ("\udc80bad", "\ufffdbad"),
        ("a\x00b\x7fc", "a_b_c"),
        ("\u202eevil gpj.exe", "evil gpj.exe"),  # would show as "exe.jpg live" in a file manager
        ("a\u2066b\u2069c\u200fd", "abcd"),
    ],
)
def test_safe_stem_examples(title: str, expected: str) -> None:
    assert safe_stem(title) == expected
    check_safe(safe_stem(title))


def test_length_is_capped_in_utf8_bytes_between_characters() -> None:
    assert safe_stem("a" * 300) == "a" * MAX_STEM_BYTES
    cjk = safe_stem("漢" * 100)  # 3 bytes each
    assert cjk == "漢" * 33
    family = "👨\u200d👩\u200d👧"  # a ZWJ sequence must not end in a dangling joiner
    stem = safe_stem(family * 20)
    assert not stem.endswith("\u200d")
    assert len(stem.encode()) <= MAX_STEM_BYTES


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=st.text(max_size=400))
def test_any_title_gives_a_safe_name(title: str) -> None:
    check_safe(safe_stem(title))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=st.text(max_size=120))
def test_any_title_writes_inside_the_folder(tmp_path: Path, title: str) -> None:
    folder = tmp_path / "out"
    folder.mkdir(exist_ok=True)
    path = write_new(folder, safe_stem(title), ".md", b"x")
    assert path.parent == folder.resolve()
    assert path.read_bytes() == b"x"
    path.unlink()


def test_existing_files_get_a_number_never_overwritten(tmp_path: Path) -> None:
    first = write_new(tmp_path, "Notes", ".md", b"one")
    second = write_new(tmp_path, "Notes", ".md", b"two")
    third = write_new(tmp_path, "Notes", ".md", b"three")
    assert [p.name for p in (first, second, third)] == ["Notes.md", "Notes (2).md", "Notes (3).md"]
    assert first.read_bytes() == b"one"
    assert third.read_bytes() == b"three"


def test_force_replaces(tmp_path: Path) -> None:
    write_new(tmp_path, "Notes", ".md", b"one")
    path = write_new(tmp_path, "Notes", ".md", b"two", force=True)
    assert path.name == "Notes.md"
    assert path.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Notes.md"]


def test_a_folder_with_the_name_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "Notes.md").mkdir()
    assert write_new(tmp_path, "Notes", ".md", b"x", force=True).name == "Notes (2).md"


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlink_is_not_followed_out_of_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes(b"precious")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "Notes.md").symlink_to(outside)
    assert write_new(folder, "Notes", ".md", b"x").name == "Notes (2).md"
    write_new(folder, "Notes", ".md", b"y", force=True)  # replaces the link, not its target
    assert outside.read_bytes() == b"precious"


def test_names_that_escape_are_refused(tmp_path: Path) -> None:
    for stem in ("../evil", "a/b", ".."):
        with pytest.raises(StorageError):
            write_new(tmp_path, stem, "", b"x")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_placeholder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StorageError, match="disk is full"):
        write_new(tmp_path, "Notes", ".md", b"x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_written_file_is_private(tmp_path: Path) -> None:
    path = write_new(tmp_path, "Notes", ".md", b"x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks, FIFOs and /dev are POSIX")
def test_a_name_the_user_gave_is_written_as_a_shell_would(tmp_path: Path) -> None:
    # "--force" replaced a link, a FIFO or a device node itself with a regular file: the link
    # broke, and as root "-o /dev/stdout --force" would replace the system's /dev/stdout.
    real = tmp_path / "real.md"
    real.write_bytes(b"old")
    (tmp_path / "link.md").symlink_to(real)
    path = write_new(tmp_path, "link", ".md", b"new", force=True, through=True)
    assert path == tmp_path / "link.md"
    assert path.is_symlink()
    assert real.read_bytes() == b"new"
    (tmp_path / "dangling.md").symlink_to(tmp_path / "made.md")
    write_new(tmp_path, "dangling", ".md", b"made", force=True, through=True)
    assert (tmp_path / "made.md").read_bytes() == b"made"
    assert (tmp_path / "dangling.md").is_symlink()

    write_new(Path("/dev"), "null", "", b"into the device", force=True, through=True)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_new(tmp_path, "pipe", "", b"through the pipe", force=True, through=True)
    reader.join(5)
    assert got == [b"through the pipe"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)

    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock"))
        with pytest.raises(StorageError, match="not a regular file"):
            write_new(tmp_path, "sock", "", b"x", force=True, through=True)
