"""What an API key may hold: it goes into an HTTP header (``Authorization: Bearer <key>``), so
printable ASCII without spaces. A key pasted with a curly quote, an accented letter or a
zero-width space could not be sent: httpx failed with a ``UnicodeEncodeError`` whose message held
the key, which reached the log and the crash report.
"""

from __future__ import annotations

__all__ = ["key_problem"]


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be an API key, for the user (never quoting it); None if it can."""
    if not key:
        return "The API key is empty."
    if key.isascii() and key.isprintable() and " " not in key:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        return "The API key contains spaces or invisible characters."
    return (
        "The API key contains characters an API key cannot have (accented letters, curly "
        "quotes, symbols outside plain ASCII). Copy it again from Writer."
    )
