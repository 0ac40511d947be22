"""The model list cache: what Writer said last time, for offline starts; junk is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from writer_desktop.core.model_cache import ModelCache


def test_round_trip(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path / "models.json")
    assert cache.load() is None
    cache.save(["palmyra-x5", "palmyra-new"])
    assert cache.load() == ["palmyra-x5", "palmyra-new"]
    assert (tmp_path / "models.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"[1,2]", b'{"models": "palmyra"}', b'{"models": [1, null, ""]}',
     b"\xff\xfe", b"[" * 100_000],
)  # fmt: skip
def test_junk_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "models.json"
    path.write_bytes(content)
    assert ModelCache(path).load() is None


def test_unwritable_cache_is_not_an_error(tmp_path: Path) -> None:
    ModelCache(tmp_path / "missing-folder" / "models.json").save(["palmyra-x5"])
