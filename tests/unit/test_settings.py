"""Settings: typed declaration, atomic save, corrupt files kept aside, unknown keys preserved."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from writer_desktop.core.errors import ConfigError
from writer_desktop.core.settings import (
    Settings,
    SettingsFile,
    base_url_at_start,
    describe,
    effective_base_url,
)


def test_defaults_when_missing(tmp_path: Path) -> None:
    file = SettingsFile(tmp_path / "settings.json")
    assert file.load() == Settings()
    assert file.problems == []


def test_round_trip_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    file = SettingsFile(path)
    changed = dataclasses.replace(Settings(), theme="dark", temperature=1.25, max_tokens=2000)
    file.save(changed)
    assert SettingsFile(path).load() == changed
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["version"] == 1


def test_unknown_keys_from_newer_version_survive_save(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 2, "theme": "light", "future_option": {"x": [1, 2]}}))
    file = SettingsFile(path)
    settings = file.load()
    assert settings.theme == "light"
    file.save(dataclasses.replace(settings, theme="dark"))
    data = json.loads(path.read_text())
    assert data["future_option"] == {"x": [1, 2]}
    assert data["theme"] == "dark"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\x00" * 64, b"\xff\xfe garbage", b"[1, 2, 3]", b'{"theme": "dark"', b""],
)
def test_unparseable_file_is_kept_aside_and_user_told(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    file = SettingsFile(path)
    assert file.load() == Settings()
    assert len(file.problems) == 1
    assert "defaults are in use" in file.problems[0]
    kept = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == content
    assert not path.exists()
    file.save(Settings())  # saving afterwards never touches the kept copy
    assert kept[0].read_bytes() == content


def test_wrong_types_fall_back_to_defaults_with_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "temperature": "hot",
                "max_tokens": 10**9,
                "theme": "neon",
                "close_to_tray": 1,
                "text_scale": 120,
                "default_model": " ",
                "idle_timeout": -1,
            }
        )
    )
    file = SettingsFile(path)
    settings = file.load()
    assert settings.temperature == Settings().temperature
    assert settings.max_tokens == Settings().max_tokens
    assert settings.theme == "system"
    assert settings.close_to_tray is True
    assert settings.text_scale == 120
    assert settings.default_model == Settings().default_model  # was taken: a blank model picker
    assert settings.idle_timeout == Settings().idle_timeout
    assert len(file.problems) == 6
    told = "\n".join(file.problems)  # in words a reader of settings.json knows, not Python's
    assert "default_model: is empty; using the default" in told
    assert "temperature: expected a number, found 'hot'" in told
    assert 'theme: expected "system" or "light" or "dark", found \'neon\'' in told
    assert "close_to_tray: expected true or false, found 1" in told
    assert "max_tokens: 1000000000 is outside 1–8192; using the default" in told
    # not "-1 is outside 5.0–None"
    assert "idle_timeout: -1 is below the least allowed, 5; using the default" in told


def test_utf8_bom_accepted(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"theme": "dark"}).encode())
    assert SettingsFile(path).load().theme == "dark"


def test_every_setting_is_described() -> None:
    rows = describe()
    assert {r[0] for r in rows} == {f.name for f in dataclasses.fields(Settings)}
    assert all(r[3] for r in rows)
    assert "api_key" not in {r[0] for r in rows}


def test_base_url_env_overrides_and_is_validated() -> None:
    settings = dataclasses.replace(Settings(), base_url="https://proxy.example.com/")
    assert effective_base_url(Settings(), {}) == "https://api.writer.com"
    assert effective_base_url(settings, {}) == "https://proxy.example.com"
    assert (
        effective_base_url(settings, {"WRITER_BASE_URL": "http://127.0.0.1:9"})
        == "http://127.0.0.1:9"
    )
    with pytest.raises(ConfigError, match="unencrypted"):
        effective_base_url(settings, {"WRITER_BASE_URL": "http://api.writer.com"})


def test_a_bad_address_in_the_settings_file_does_not_stop_the_start() -> None:
    saved = Settings(base_url="http://example.com", theme="dark")
    settings, address, problem = base_url_at_start(saved, {})
    assert address == "https://api.writer.com"
    assert settings == Settings(base_url="", theme="dark")  # the rest is kept
    assert problem is not None
    assert "http://example.com cannot be used" in problem
    assert "Change it in Settings" in problem
    assert base_url_at_start(Settings(), {}) == (Settings(), "https://api.writer.com", None)


def test_a_bad_writer_base_url_stops_the_start_and_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^WRITER_BASE_URL cannot be used"):
        base_url_at_start(Settings(), {"WRITER_BASE_URL": "http://example.com"})
    ok = base_url_at_start(Settings(base_url="http://bad"), {"WRITER_BASE_URL": "https://x.org"})
    assert ok[1:] == ("https://x.org", None)
