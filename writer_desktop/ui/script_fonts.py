"""Naming the font Qt falls back to for Chinese characters, so it need not look for it each time.

Qt finds a font for Han characters anew for every run of text it lays out when the chat font has
none: on this machine 50,000 characters of Chinese or Japanese took 700–800 ms to show, against
~70 ms with the fallback font named in the font's family list (the same glyphs: it is the font
Qt itself picks). Looking it up lays out one character (~25 ms, and loads the font), so it is
done once, when Han text first appears.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QFont, QFontInfo, QTextLayout

HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # CJK ideographs (BMP)
_SAMPLE = "漢"


def han_fallback(font: QFont) -> str | None:
    """The family Qt draws Han characters with for ``font``; None if it is ``font``'s own."""
    layout = QTextLayout(_SAMPLE, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    runs = layout.glyphRuns()
    family = runs[0].rawFont().familyName() if runs else ""
    return family if family and family not in families(font) else None


def families(font: QFont) -> list[str]:
    return font.families() or [font.family()]


def with_fallback(font: QFont, family: str | None) -> QFont:
    """``font`` with ``family`` named after its own families (unchanged for None).

    The family the font resolves to comes first: a font named by a generic alias ("Sans
    Serif", which fontconfig resolves to, say, Noto Sans) followed by a real family resolved to
    the real one, and once Chinese or Japanese text appeared the whole chat was drawn in the
    fallback font (IPAGothic here), Latin text included."""
    own = families(font)
    if family is None or family in own:
        return font
    resolved = QFontInfo(font).family()
    named = QFont(font)
    named.setFamilies([*([resolved] if resolved not in own else []), *own, family])
    return named
