"""The chat's colours, derived from the widget's QPalette: one light and one dark variant.

``ChatPalette`` is plain data (render.py uses it without Qt); :func:`chat_palette` picks the
variant with ``theme.is_dark`` and takes the base, text and link colours from the QPalette, so the
chat follows the window. User messages are tinted blue, notices (errors, interruptions) amber or
red, in both variants; muted text keeps a contrast of at least 4.5:1 on every surface.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtGui import QPalette

from .theme import is_dark


@dataclass(frozen=True, slots=True)
class ChatPalette:
    dark: bool
    text: str
    assistant_bg: str
    user_bg: str
    border: str
    muted: str
    notice_bg: str
    error_bg: str
    code_bg: str
    inline_code_bg: str  # `code` in a line of text
    link: str
    pygments_style: str


LIGHT = ChatPalette(
    dark=False,
    text="#1f2328",
    assistant_bg="#ffffff",
    user_bg="#e8f0fe",
    border="#d0d7de",
    muted="#5f6670",
    notice_bg="#fff4e5",
    error_bg="#fdecea",
    code_bg="#f6f8fa",
    inline_code_bg="#eaedf0",
    link="#0b57d0",
    pygments_style="default",
)

DARK = ChatPalette(
    dark=True,
    text="#e8e8ea",
    assistant_bg="#17181b",
    user_bg="#1d2a44",
    border="#3a3d43",
    muted="#a2a6ae",
    notice_bg="#3a2e14",
    error_bg="#45201f",
    code_bg="#0d1117",
    inline_code_bg="#2c3038",
    link="#8ab4ff",
    pygments_style="github-dark",
)


def chat_palette(palette: QPalette) -> ChatPalette:
    """The chat colours for a widget palette: its base, text and link on the matching variant."""
    roles = QPalette.ColorRole
    variant = DARK if is_dark(palette) else LIGHT
    base = palette.color(roles.Base)
    if (base.lightness() < 128) != variant.dark:
        return variant  # a mixed palette (dark window, light base): the fixed variant reads best
    return replace(
        variant,
        text=palette.color(roles.Text).name(),
        assistant_bg=base.name(),
        link=palette.color(roles.Link).name(),
    )
