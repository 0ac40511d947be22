"""Where Writer Desktop keeps its files.

By default the platform's folders (via platformdirs): conversations in the user data folder,
``settings.json`` in the config folder, the search/list index in the cache folder, logs in the log
folder, the single-instance socket in the runtime folder. ``WRITER_DESKTOP_HOME=DIR`` puts all of it
under one folder instead (portable mode, tests)::

    DIR/conversations/   one JSON file per conversation
    DIR/trash/           deleted conversations, restorable for 30 days
    DIR/settings.json
    DIR/cache/           rebuildable index (safe to delete)
    DIR/logs/
    DIR/run/             the single-instance socket (if DIR is too deep for a socket's
                         address: /tmp/writer-desktop-<uid>/<hash>.sock)

Nothing is created here; :meth:`AppPaths.ensure` makes the folders when the app starts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .. import APP_AUTHOR, APP_NAME

HOME_ENV = "WRITER_DESKTOP_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    data: Path
    config: Path
    cache: Path
    logs: Path
    runtime: Path

    @property
    def conversations(self) -> Path:
        return self.data / "conversations"

    @property
    def trash(self) -> Path:
        return self.data / "trash"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppPaths:
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV, "").strip()
        if home:
            root = Path(home).expanduser().absolute()
            return cls(
                data=root,
                config=root,
                cache=root / "cache",
                logs=root / "logs",
                runtime=root / "run",
            )
        dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR)
        if sys.platform == "win32" or (
            sys.platform.startswith("linux") and not os.environ.get("XDG_RUNTIME_DIR")
        ):
            # Windows needs no socket folder (named pipes). Without XDG_RUNTIME_DIR platformdirs
            # would fall back to a shared /tmp folder with a warning; a private one is safer.
            runtime = Path(dirs.user_cache_dir) / "run"
        else:
            runtime = Path(dirs.user_runtime_dir)
        return cls(
            data=Path(dirs.user_data_dir),
            config=Path(dirs.user_config_dir),
            cache=Path(dirs.user_cache_dir),
            logs=Path(dirs.user_log_dir),
            runtime=runtime,
        )

    def ensure(self) -> None:
        """Create every folder, private to the user on POSIX (0700)."""
        for folder in (self.data, self.config, self.cache, self.logs, self.runtime):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if os.name == "posix":
                os.chmod(folder, 0o700)
