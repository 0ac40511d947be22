"""Paths: platform folders by default, one folder with WRITER_DESKTOP_HOME, nothing made early."""

from __future__ import annotations

from pathlib import Path

import pytest

from writer_desktop.core.paths import AppPaths


def test_home_puts_everything_in_one_folder(tmp_path: Path) -> None:
    paths = AppPaths.from_env({"WRITER_DESKTOP_HOME": str(tmp_path / "wd")})
    root = tmp_path / "wd"
    assert paths.conversations == root / "conversations"
    assert paths.trash == root / "trash"
    assert paths.settings_file == root / "settings.json"
    assert paths.logs == root / "logs"
    assert paths.cache == root / "cache"
    assert not root.exists()  # computing paths creates nothing
    paths.ensure()
    for folder in (root, paths.logs, paths.cache, paths.runtime):
        assert folder.is_dir()
        assert folder.stat().st_mode & 0o777 == 0o700


def test_platform_folders_without_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    paths = AppPaths.from_env({})
    assert paths.data == tmp_path / "data" / "Writer Desktop"
    assert paths.settings_file == tmp_path / "config" / "Writer Desktop" / "settings.json"
