"""Message frames in the chat's QTextDocument: make, insert, refill and find them.

Every message is one QTextFrame of the root frame, in conversation order.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from PySide6.QtGui import (
    QColor,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFrame,
    QTextFrameFormat,
)

from .chat_palette import ChatPalette


def message_format(background: str, palette: ChatPalette) -> QTextFrameFormat:
    fmt = QTextFrameFormat()
    fmt.setBackground(QColor(background))
    fmt.setBorder(1)
    fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
    fmt.setBorderBrush(QColor(palette.border))
    fmt.setPadding(8)
    fmt.setMargin(6)
    return fmt


def insert_frame(cursor: QTextCursor, fmt: QTextFrameFormat, html: str) -> QTextFrame:
    """A new frame at the cursor, filled with ``html``."""
    frame = cursor.insertFrame(fmt)
    cursor.insertHtml(html)
    return frame


def refill(frame: QTextFrame, html: str) -> None:
    """Replace everything inside ``frame`` (child frames included) with ``html``.

    The block left after the removal gets no format: Qt keeps the last removed block's (a
    footer's margins, or the flattened line after a streamed part's frame) for the first paragraph,
    which would then differ from a first render's.
    """
    cursor = frame.firstCursorPosition()
    cursor.setPosition(frame.lastPosition(), QTextCursor.MoveMode.KeepAnchor)
    cursor.beginEditBlock()
    cursor.removeSelectedText()
    cursor.setBlockFormat(QTextBlockFormat())
    cursor.insertHtml(html)
    cursor.endEditBlock()


def frame_index_at(frames: Sequence[QTextFrame], position: int) -> int | None:
    """The index of the frame (in document order) that holds ``position``, if any."""
    starts = [f.firstPosition() for f in frames]
    i = bisect.bisect_right(starts, position) - 1
    if i >= 0 and position <= frames[i].lastPosition():
        return i
    return None


def document_at_start(doc: QTextDocument) -> QTextCursor:
    cursor = QTextCursor(doc)
    cursor.setPosition(0)
    return cursor
