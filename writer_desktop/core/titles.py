"""How a conversation's title is shown: in lists, exports, file names and on a terminal.

A title is the user's words or an import's, so it may hold control characters or bidirectional
controls. Shown as they are, ``"report \u202eexe.md"`` reads as ``report dm.exe`` and a title can
pass for another; lists drop both kinds (the file name and the CLI have their own rules,
``filenames`` and ``cli``).
"""

from __future__ import annotations

import re

UNTITLED = "Untitled"  # a blank title, wherever it is shown
# Bidirectional controls (and the marks that act like them), as a character class's body.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_HIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}]")


def clean_title(title: str) -> str:
    """``title`` with controls as spaces and runs of spaces as one (what is edited on rename)."""
    return " ".join(_HIDDEN.sub(" ", title).split())


def shown_title(title: str) -> str:
    """A title as lists show it: :func:`clean_title`, and a blank one untitled."""
    return clean_title(title) or UNTITLED


def clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` in at most ``limit`` characters: cut between what shows as characters (never
    inside an emoji sequence, a flag or a letter with its marks), then ``ellipsis`` added."""
    if len(text) <= limit:
        return text
    return text[: visible_end(text, limit - len(ellipsis))].rstrip() + ellipsis


def visible_end(text: str, end: int) -> int:
    """The last place at or before ``end`` where ``text`` can be cut between two of what a
    reader sees as characters: not before a combining mark, a joiner, a variation selector, a
    skin tone or an emoji tag, not after a zero-width joiner, not inside a flag's pair of regional
    indicators."""
    import unicodedata  # here: the sidebar loads this module before the first paint

    end = max(0, min(end, len(text)))
    while 0 < end < len(text):
        after, before = text[end], text[end - 1]
        joined = before == "\u200d" or _extends(after) or unicodedata.category(after) in _MARKS
        halved = _is_flag_half(after) and _is_flag_half(before) and _flag_run(text, end) % 2 == 1
        if not (joined or halved):
            break
        end -= 1
    return end


_MARKS = ("Mn", "Mc", "Me")


def _extends(char: str) -> bool:
    """A character that belongs to the one before: ZWJ, a variation selector, a skin tone, a tag."""
    code = ord(char)
    return (
        code == 0x200D
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
    )


def _is_flag_half(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _flag_run(text: str, end: int) -> int:
    """How many regional indicators come right before ``end``."""
    start = end
    while start > 0 and _is_flag_half(text[start - 1]):
        start -= 1
    return end - start


def folded(text: str) -> str:
    """``text`` as the conversation filter compares it: case, accents and invisible characters
    ignored ("cafe" finds "Café", as search does; "ﬁsh" is "fish")."""
    import unicodedata  # here: the sidebar loads this module before the first paint

    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Cf"))
    return kept.casefold()
