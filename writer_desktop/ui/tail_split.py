"""Where a streaming reply's finished Markdown ends: the last blank line outside a code fence.

Text before that point is made of complete blocks that later text cannot change (raw HTML is off),
so it can be rendered once; only the rest is re-rendered as deltas arrive. While the rest ends in
plain one-line paragraphs (:func:`plain_paragraphs`), new text there is simply appended as the
text it shows (:func:`plain_shown`). Pure, no Qt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .markdown_gfm import LINKISH
from .render import breakable

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def stable_end(text: str, start: int = 0, opener: str | None = None) -> int:
    """The end of the last blank line after ``start`` that is outside a fence, else ``start``.

    ``start`` must itself be outside any fence (a previous result, or 0), or inside the one whose
    opening line is ``opener`` (:func:`open_fence_end`).
    """
    fence = _run(opener)  # the opening run of ` or ~ while inside a fence
    end = start
    for line, line_end in _lines(text, start):
        after = _fence_after(line, fence)
        if fence is None and after is None and not line.strip():
            end = line_end
        fence = after
    return end  # the last line, if unfinished, is never part of the stable text


def open_fence_end(text: str, start: int = 0, opener: str | None = None) -> tuple[int, str] | None:
    """If the last complete line of ``text`` is inside a code fence that is still open: the end
    of that line and the fence's opening line; else None. ``start`` and ``opener`` as for
    :func:`stable_end`."""
    fence = _run(opener)
    found: tuple[int, str] | None = None
    for line, line_end in _lines(text, start):
        after = _fence_after(line, fence)
        if fence is None and after is not None:
            opener = line
        fence = after
        found = (line_end, opener) if fence is not None and opener is not None else None
    return found


def _lines(text: str, start: int) -> Iterator[tuple[str, int]]:
    """The complete lines of ``text`` from ``start``, each with the position after its end."""
    pos = start
    while (newline := text.find("\n", pos)) >= 0:
        yield text[pos:newline], newline + 1
        pos = newline + 1


def _fence_after(line: str, fence: str | None) -> str | None:
    """The fence open after ``line`` (its opening run of ` or ~), ``fence`` the one before it."""
    match = _FENCE.match(line)
    if fence is None:
        opens = match and not (match.group(1)[0] == "`" and "`" in line[match.end() :])
        return match.group(1) if match and opens else None
    closes = (
        match
        and match.group(1)[0] == fence[0]
        and len(match.group(1)) >= len(fence)
        and not line[match.end() :].strip()
    )
    return None if closes else fence


def _run(opener: str | None) -> str | None:
    match = _FENCE.match(opener) if opener is not None else None
    return match.group(1) if match else None


# A line Markdown can only render as the plain text of one paragraph, whatever follows on it: it
# starts with a letter (no list, heading, quote, fence, code indent, table or HTML can start so)
# and holds none of the characters inline syntax is made of (`*_[]<>&\|~#"{} and so on). Other
# scripts are allowed (isprintable then rules out controls, bidi overrides and odd spaces), but
# not U+FFFC, which Qt's documents use for embedded objects. A line with an address in it is not
# plain either: the address is shown as a link (``markdown_gfm``).
_OTHER = "\u0080-\ufffb\ufffd-\U0010ffff"
_PLAIN_LINE = re.compile(rf"[A-Za-z{_OTHER}][A-Za-z0-9 ,.;:?!'()/%$@+={_OTHER}-]*")


def plain_paragraphs(text: str) -> list[str] | None:
    """The paragraphs of ``text`` if it is only plain one-line paragraphs, else ``None``.

    ``text`` starts a block (at the start of a reply's text or after a blank line). Paragraphs are
    separated by empty lines; a line ending a paragraph that no blank line follows yet is allowed
    (``"a\\n"``), as it renders like ``"a"`` until the next line comes.
    """
    if not text:
        return None
    paragraphs: list[str] = []
    blank = True  # the previous line was empty (or there is none)
    for line in text.split("\n"):
        if not line:
            blank = True
            continue
        if not blank or not _PLAIN_LINE.fullmatch(line) or not line.isprintable():
            return None
        if LINKISH.search(line):  # an address in it becomes a link
            return None
        paragraphs.append(line)
        blank = False
    return paragraphs or None


def plain_shown(line: str) -> str:
    """The text a plain line shows as: spaces collapsed and trimmed as HTML does, long runs given
    a zero-width break like every render (:func:`~.render.breakable`)."""
    return breakable(" ".join(word for word in line.split(" ") if word))
