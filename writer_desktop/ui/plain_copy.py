"""What a selection in a rendered reply copies: its text as shown, as plain text only.

Qt's own copy (Ctrl+C, a drag, the X11 selection) offered HTML, Markdown and OpenDocument
besides text: the renderer's wrap points (U+200B every 256 characters of an unbroken word) went
into copied keys, hashes and links; the HTML carried the app's ``wd-action:`` links; the Markdown
re-wrapped long words and lost a character at each wrap. Here the selection is walked fragment by
fragment: the app's own links (a code block's "Copy") are left out, with any line they leave
empty, an empty line of yours (a no-break space, so that it keeps its height) is empty again, and
Qt's separators become line breaks.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QTextCursor

from .chat_links import PLAIN_TEXT
from .render import ACTION_SCHEME

_ACTION = ACTION_SCHEME + ":"


def plain_selection(cursor: QTextCursor) -> str:
    """The selected text of ``cursor``'s document, without the app's action links."""
    start, end = cursor.selectionStart(), cursor.selectionEnd()
    if start == end:
        return ""
    document = cursor.document()
    lines: list[str] = []
    block = document.findBlock(start)
    while block.isValid() and block.position() < end:
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
        text = "".join(parts)
        if text == "\xa0":  # how the renderer keeps an empty line of yours from collapsing
            text = ""
        if text.strip() or not dropped:  # a line of nothing but "Copy" is not copied
            lines.append(text)
        block = block.next()
    return "\n".join(lines).translate(PLAIN_TEXT)


def plain_mime(cursor: QTextCursor) -> QMimeData:
    """The selection as the clipboard (or a drag) gets it: ``text/plain`` alone."""
    data = QMimeData()
    data.setText(plain_selection(cursor))
    return data
