"""User settings: one typed, versioned declaration, saved atomically as JSON.

Each field of :class:`Settings` is declared once with its type, default and description
(``metadata["doc"]``); loading validates every value against that declaration. The API key is never
a setting (see ``core.secrets``).

An unparseable ``settings.json`` is moved aside unchanged (``settings.json.corrupt-<time>``) and the
defaults are used; a value of the wrong type falls back to its default; keys this version does not
know (written by a newer version) are kept and written back on save.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from .atomic import atomic_write
from .base_url import DEFAULT_BASE_URL, check_base_url
from .errors import ConfigError, StorageError
from .trash import set_aside

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
Theme = Literal["system", "light", "dark"]
_MAX_SETTINGS_BYTES = 1024 * 1024


def _opt(default: Any, doc: str, **limits: Any) -> Any:
    return field(default=default, metadata={"doc": doc, **limits})


@dataclass(frozen=True, slots=True)
class Settings:
    """Every user setting, with its default. Replace with ``dataclasses.replace``."""

    default_model: str = _opt("palmyra-x5", "Model for new conversations.", filled=True)
    temperature: float = _opt(0.7, "Sampling temperature for new conversations.", lo=0.0, hi=2.0)
    max_tokens: int = _opt(4096, "Longest reply, in tokens, for new conversations.", lo=1, hi=8192)
    base_url: str = _opt(
        "", "API address; empty means https://api.writer.com (WRITER_BASE_URL overrides)."
    )
    theme: Theme = _opt("system", "Colours: follow the system, or always light or dark.")
    text_scale: int = _opt(100, "Chat text size, in percent.", lo=50, hi=300)
    hotkey: str = _opt("", "Global quick-prompt shortcut; empty means the platform default.")
    hotkey_enabled: bool = _opt(True, "Listen for the global quick-prompt shortcut.")
    close_to_tray: bool = _opt(True, "Closing the window keeps the app in the tray.")
    start_at_login: bool = _opt(False, "Start Writer Desktop when you log in.")
    idle_timeout: float = _opt(90.0, "Seconds of silence before a reply counts as cut off.", lo=5.0)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def describe() -> list[tuple[str, str, Any, str]]:
    """(name, type, default, description) for every setting, for docs and ``--help``."""
    return [
        (f.name, str(f.type), f.default, f.metadata["doc"]) for f in dataclasses.fields(Settings)
    ]


def _coerce(f: dataclasses.Field[Any], value: Any) -> Any:
    """Return ``value`` checked against the field's declaration, or raise ValueError."""
    kind = f.type
    if kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return _bounded(f, value)
    elif kind == "float":
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return _bounded(f, float(value))
    elif kind == "str":
        if isinstance(value, str) and not value.strip() and f.metadata.get("filled"):
            raise ValueError(f"{f.name}: is empty")  # no model at all: a blank picker
        if isinstance(value, str):
            return value
    elif kind == "Theme":
        if value in get_args(Theme):
            return value
    else:  # pragma: no cover - a declaration this function was not taught
        raise TypeError(f"unsupported setting type {kind}")
    raise ValueError(f"{f.name}: expected {_KINDS.get(kind, kind)}, found {value!r:.40}")


_KINDS = {  # the declarations' types, as a person reading settings.json would say them
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "str": "text in quotes",
    "Theme": " or ".join(f'"{name}"' for name in get_args(Theme)),
}


def _bounded(f: dataclasses.Field[Any], value: Any) -> Any:
    lo: float | None = f.metadata.get("lo")
    hi: float | None = f.metadata.get("hi")
    below, above = lo is not None and value < lo, hi is not None and value > hi
    if not (below or above):
        return value
    given = f"{f.name}: {_number(value)}"
    if lo is None:
        assert hi is not None  # a bound was passed: ``above``
        raise ValueError(f"{given} is above the most allowed, {_number(hi)}")
    if hi is None:
        raise ValueError(f"{given} is below the least allowed, {_number(lo)}")
    raise ValueError(f"{given} is outside {_number(lo)}–{_number(hi)}")


def _number(value: float) -> str:
    """A number as settings.json would hold it: 5, not 5.0."""
    return str(int(value)) if float(value).is_integer() else str(value)


def from_dict(data: Mapping[str, Any]) -> tuple[Settings, dict[str, Any], list[str]]:
    """Build settings from parsed JSON: (settings, unknown keys, problems found)."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, value in data.items():
        f = fields.get(name)
        if f is None:
            continue
        try:
            values[name] = _coerce(f, value)
        except ValueError as exc:
            problems.append(f"{exc}; using the default")
    extra = {k: v for k, v in data.items() if k not in fields and k != "version"}
    return Settings(**values), extra, problems


class SettingsFile:
    """Loads and saves ``settings.json``; ``problems`` says what the user should be told."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._extra: dict[str, Any] = {}
        self.problems: list[str] = []

    def load(self) -> Settings:
        self._extra = {}
        try:
            if self.path.stat().st_size > _MAX_SETTINGS_BYTES:
                raise ValueError("the file is implausibly large")
            raw = self.path.read_bytes()
            data = json.loads(raw.decode("utf-8-sig"))
            if not isinstance(data, dict):
                raise ValueError("the file does not hold a JSON object")
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError, RecursionError) as exc:
            kept = self._set_aside()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = f" It was kept as {kept.name}." if kept else ""
            self.problems.append(
                f"Your settings file could not be read ({reason:.200}); defaults are in use.{where}"
            )
            log.warning("settings unreadable: %s", reason)
            return Settings()
        settings, self._extra, problems = from_dict(data)
        self.problems.extend(f"Settings: {p}" for p in problems)
        return settings

    def save(self, settings: Settings) -> None:
        """Write atomically, keeping keys a newer version wrote. Raises StorageError."""
        data = {**self._extra, "version": SETTINGS_VERSION, **settings.to_dict()}
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        atomic_write(self.path, text.encode("utf-8"))

    def _set_aside(self) -> Path | None:
        try:
            return set_aside(self.path, datetime.now(UTC))
        except StorageError:
            return None


def effective_base_url(settings: Settings, environ: Mapping[str, str]) -> str:
    """``WRITER_BASE_URL``, else the setting, else Writer's; validated (ConfigError)."""
    chosen = environ.get("WRITER_BASE_URL", "").strip() or settings.base_url or DEFAULT_BASE_URL
    return check_base_url(chosen)


def base_url_at_start(
    settings: Settings, environ: Mapping[str, str]
) -> tuple[Settings, str, str | None]:
    """The address to start with: ``(settings, address, problem)``.

    An unusable ``WRITER_BASE_URL`` stops the start (``ConfigError``, naming the variable): it
    was asked for now. An unusable address in the settings file does not: the app starts with
    Writer's own, the returned settings no longer hold it, and ``problem`` says so (the user
    fixes it in Settings, which could not be reached if the app did not start).
    """
    try:
        return settings, effective_base_url(settings, environ), None
    except ConfigError as exc:
        if environ.get("WRITER_BASE_URL", "").strip():
            raise ConfigError(f"WRITER_BASE_URL cannot be used. {exc.user_message}") from None
        problem = (
            f"Settings: the API address {settings.base_url} cannot be used, so Writer's own is "
            f"used. {exc.user_message} Change it in Settings."
        )
        plain = dataclasses.replace(settings, base_url="")
        return plain, effective_base_url(plain, environ), problem
