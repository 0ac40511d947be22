"""SIGKILL a process that is saving, hundreds of times: the file is always one whole version; and
one that streams replies through the journal: the reply is always a prefix of what it streamed."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.unit.store_child import PIECE, stream_text, version
from writer_desktop.core.codec import decode, encode
from writer_desktop.core.models import Status
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.store import ConversationStore

CHILD = Path(__file__).with_name("store_child.py")
REPO = Path(__file__).resolve().parents[2]
KILLS = 220


@pytest.mark.slow
def test_killed_writer_leaves_old_or_new_version(tmp_path: Path) -> None:
    root, cache = tmp_path / "data", tmp_path / "cache"
    conv_id = str(uuid.uuid4())
    path = root / "conversations" / f"{conv_id}.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(1234)
    last = 0
    started = time.monotonic()
    for kill in range(KILLS):
        with subprocess.Popen(
            [sys.executable, str(CHILD), str(root), str(cache), conv_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        ) as child:
            assert child.stdout is not None
            if kill % 5 == 0:
                time.sleep(rng.uniform(0, 0.08))  # sometimes while it opens the store
            else:
                assert child.stdout.readline() == b"ready\n", (
                    child.stderr.read() if child.stderr else ""
                )
                time.sleep(rng.uniform(0, 0.012))
            child.kill()
            child.wait()
        if path.exists():
            raw = path.read_bytes()
            conv = decode(raw, conv_id)  # raises if torn
            n = int(conv.title[1:])
            assert raw == encode(version(conv_id, n)), f"kill {kill}: not exactly version {n}"
            assert n >= last, f"kill {kill}: went back from version {last} to {n}"
            last = n
        if kill % 10 == 9:
            with ConversationStore(root, cache) as store:
                assert [s.title for s in store.list()] == [f"v{last}"]
                assert store.problems == []
            assert [p.name for p in path.parent.iterdir()] == [path.name]
    with ConversationStore(root, cache) as store:
        assert store.load(conv_id) == version(conv_id, last)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files
    assert last > KILLS // 2, "the child hardly ever got to save"
    assert time.monotonic() - started < 60


STREAM_KILLS = 80


def progress(out: bytes) -> tuple[int, int, bool]:
    """From the child's output: the last reply started, how much of it was appended, ended?"""
    r, at, ended = 0, 0, False
    for line in out.decode().splitlines():
        words = line.split()
        if words[:1] == ["start"]:
            r, at, ended = int(words[1]), 0, False
        elif words[:1] == ["at"] and len(words) == 3:
            at = int(words[2])
        elif words[:1] == ["end"]:
            ended = True
    return r, at, ended


@pytest.mark.slow
def test_killed_while_streaming_keeps_a_prefix_of_the_reply(tmp_path: Path) -> None:
    """SIGKILL while replies stream through the journal: after a restart the conversation parses,
    the reply is a prefix of what was streamed, and nothing the child had appended is lost."""
    root, cache = tmp_path / "data", tmp_path / "cache"
    conv_id = str(uuid.uuid4())
    folder = root / "conversations"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(4321)
    seen = {"start": 0, "streaming": 0, "complete": 0}
    for kill in range(STREAM_KILLS):
        with subprocess.Popen(
            [sys.executable, str(CHILD), str(root), str(cache), conv_id, "stream"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        ) as child:
            assert child.stdout is not None
            if kill % 8 == 0:
                time.sleep(rng.uniform(0, 0.08))  # sometimes while it opens (and recovers)
            else:
                assert child.stdout.readline() == b"ready\n", (
                    child.stderr.read() if child.stderr else ""
                )
                time.sleep(rng.uniform(0, 0.15))
            child.kill()
            out = child.stdout.read()
            child.wait()
        r, appended, ended = progress(out)
        if not (folder / f"{conv_id}.json").exists():
            assert r == 0, f"kill {kill}: the conversation is gone"
            continue  # killed before the first save
        if kill % 4 == 3:  # as another process sees it: the file plus the journal, unrecovered
            reply = ReadOnlyStore(folder).load(conv_id).messages[-1]
        else:  # as the next start does: recovered, the journal gone
            with ConversationStore(root, cache) as store:
                assert store.problems == []
                reply = store.load(conv_id).messages[-1]
            assert [p.name for p in folder.iterdir()] == [f"{conv_id}.json"]
            assert reply.status is not Status.STREAMING
        n = int(reply.id[1:])
        text = stream_text(n)
        assert text.startswith(reply.content), f"kill {kill}: reply {n} is not a prefix"
        if reply.status is Status.COMPLETE:
            assert reply.content == text
        if n == r:  # all the child reported as appended is there; at most one piece more
            assert len(reply.content) >= (len(text) if ended else appended), f"kill {kill}"
            assert reply.status is Status.COMPLETE or len(reply.content) <= appended + PIECE
        elif r:  # killed after it saved the next reply's start, before it said so
            assert (ended, n) == (True, r + 1), f"kill {kill}: reply {n}, the child was at {r}"
            assert reply.status is not Status.COMPLETE
            assert len(reply.content) <= PIECE
        key = "start" if not reply.content else "complete" if reply.content == text else "streaming"
        seen[key] += 1
    print(f"after the kills, the reply was: {seen}")
    assert seen["streaming"] > STREAM_KILLS // 4, seen  # most kills land mid-stream
