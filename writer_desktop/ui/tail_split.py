"""Where a streaming reply's finished Markdown ends: the last blank line outside a code fence.

Text before that point is made of complete blocks that later text cannot change (raw HTML is off),
so it can be rendered once; only the rest is re-rendered as deltas arrive. Pure, no Qt.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def stable_end(text: str, start: int = 0) -> int:
    """The end of the last blank line after ``start`` that is outside a fence, else ``start``.

    ``start`` must itself be outside any fence (a previous result, or 0).
    """
    fence: str | None = None  # the opening run of ` or ~ while inside a fence
    end = start
    pos = start
    while True:
        newline = text.find("\n", pos)
        if newline < 0:
            return end  # the last line is unfinished: never part of the stable text
        line = text[pos:newline]
        match = _FENCE.match(line)
        if fence is None:
            if match and not (match.group(1)[0] == "`" and "`" in line[match.end() :]):
                fence = match.group(1)
            elif not line.strip():
                end = newline + 1
        elif (
            match
            and match.group(1)[0] == fence[0]
            and len(match.group(1)) >= len(fence)
            and not line[match.end() :].strip()
        ):
            fence = None
        pos = newline + 1
