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


def folded(text: str) -> str:
    """``text`` as the conversation filter compares it: case, accents and invisible characters
    ignored ("cafe" finds "Café", as search does; "ﬁsh" is "fish")."""
    import unicodedata  # here: the sidebar loads this module before the first paint

    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Cf"))
    return kept.casefold()
