"""The last model list Writer returned, kept in the cache folder for offline starts.

A cache only: unreadable or odd content is ignored (the built-in list is used) and rewritten on
the next successful ``GET /v1/models``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .atomic import atomic_write
from .errors import StorageError

log = logging.getLogger(__name__)

CACHE_NAME = "models.json"
_MAX_BYTES = 256 * 1024


class ModelCache:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[str] | None:
        """The cached model ids, or None when there is no usable cache."""
        try:
            if self.path.stat().st_size > _MAX_BYTES:
                return None
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return None
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, list):
            return None
        ids = [m for m in models if isinstance(m, str) and m.strip() and len(m) < 200]
        return ids or None

    def save(self, models: list[str]) -> None:
        try:
            atomic_write(self.path, json.dumps({"models": models}).encode("utf-8"))
        except StorageError as exc:
            log.info("model list not cached: %s", exc.user_message)
