"""SIGKILL a process that is saving, hundreds of times: the file is always one whole version."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.unit.store_child import version
from writer_desktop.core.codec import decode, encode
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
