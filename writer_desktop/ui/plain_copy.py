"""What a selection in a rendered reply copies: its text as shown, as plain text only.

Qt's own copy (Ctrl+C, a drag, the X11 selection) offered HTML, Markdown and OpenDocument
besides text: the renderer's wrap points (U+200B every 256 characters of an unbroken word) went
into copied keys, hashes and links; the HTML carried the app's ``wd-action:`` links; the Markdown
re-wrapped long words and lost a character at each wrap. Here the selection is walked fragment by
fragment: the app's own links (a code block's "Copy") are left out, with any line they leave
empty, and so are the empty lines Qt keeps at the edges of frames and tables; an empty line of
yours (a no-break space, so that it keeps its height) is empty again; paragraphs (lines Qt sets
apart with a margin) are apart by a blank line; list items get their bullet or number.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QTextBlock, QTextCursor, QTextListFormat

from .chat_links import PLAIN_TEXT
from .render import ACTION_SCHEME

_ACTION = ACTION_SCHEME + ":"
_BULLETS = {
    QTextListFormat.Style.ListDisc,
    QTextListFormat.Style.ListCircle,
    QTextListFormat.Style.ListSquare,
}  # itemText() gives "." for these


def plain_selection(cursor: QTextCursor) -> str:
    """The selected text of ``cursor``'s document, without the app's action links."""
    start, end = cursor.selectionStart(), cursor.selectionEnd()
    if start == end:
        return ""
    out: list[str] = []
    apart = False  # whether the last line kept ends a paragraph (a blank line follows it)
    document = cursor.document()
    block = document.findBlock(start)
    several = block != document.findBlock(end - 1)  # items copied with their bullet or number
    while block.isValid() and block.position() < end:
        text, dropped = _selected(block, start, end)
        monospace = "monospace" in (block.charFormat().fontFamilies() or [])
        if text == "\xa0":  # how the renderer keeps an empty line of yours from collapsing
            text = ""
        elif not text and not monospace:  # a frame's or a table's edge, not a line of code
            block = block.next()
            continue
        if dropped and not text.strip():  # a line of nothing but "Copy" is not copied
            block = block.next()
            continue
        if not monospace:
            text = text.rstrip(" ")  # the renderer's, after a list item or a reply's last word
        fmt = block.blockFormat()
        listed = block.textList()
        if listed is not None and text and several and block.position() >= start:
            numbered = listed.format().style() not in _BULLETS
            marker = listed.itemText(block) if numbered else "•"
            text = "  " * (listed.format().indent() - 1) + f"{marker} {text}"
        if out:
            out.append("\n\n" if apart or fmt.topMargin() > 0 else "\n")
        out.append(text)
        apart = fmt.bottomMargin() > 0
        block = block.next()
    return "".join(out).translate(PLAIN_TEXT)


def _selected(block: QTextBlock, start: int, end: int) -> tuple[str, bool]:
    """The part of ``block`` between ``start`` and ``end``, without app links; and whether
    one was left out."""
    parts, dropped = [], False
    it = block.begin()
    while not it.atEnd():
        fragment = it.fragment()
        it += 1
        lo = max(start, fragment.position())
        hi = min(end, fragment.position() + fragment.length())
        if lo >= hi:
            continue
        if fragment.charFormat().anchorHref().startswith(_ACTION):
            dropped = True
            continue
        offset = lo - fragment.position()
        parts.append(fragment.text()[offset : offset + hi - lo])
    return "".join(parts), dropped


def plain_mime(cursor: QTextCursor) -> QMimeData:
    """The selection as the clipboard (or a drag) gets it: ``text/plain`` alone."""
    data = QMimeData()
    data.setText(plain_selection(cursor))
    return data
