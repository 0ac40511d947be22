"""A long streaming reply in two parts: finished Markdown blocks, rendered once, then its tail.

Re-rendering a whole reply on every flush costs time in its length, so a 20,000-token reply would
slow down as it grows. Once ``COMMIT_MIN`` characters of finished blocks (up to the last blank line
outside a code fence, :func:`~.tail_split.stable_end`) have arrived, they are appended to the
message frame once, and only a child frame with the open trailing block and the status line is
re-rendered. A finished reply keeps its parts; a replaced text (a retry) is rendered whole again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import (
    QTextBlockFormat,
    QTextFrame,
    QTextFrameFormat,
)

from writer_desktop.core.models import Message, Role, Status

from .chat_document import refill
from .chat_palette import ChatPalette
from .render import footer_html, header_html, markdown_html
from .tail_split import stable_end

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

PARAGRAPH_GAP = 12  # px, Qt's default margin between HTML paragraphs
COMMIT_MIN = 300  # finished Markdown (characters) worth rendering once, apart from the tail


@dataclass
class StreamSplit:
    """A streaming reply in two parts: finished Markdown blocks, then the open tail.

    ``committed`` is the source text already rendered into the finished part, ``next_code`` the
    number of the next code block (for its Copy link).
    """

    frame: QTextFrame
    parts_frame: QTextFrame
    open_frame: QTextFrame
    committed: str = ""
    next_code: int = 0

    @classmethod
    def start(cls, frame: QTextFrame, header_html: str) -> StreamSplit:
        refill(frame, header_html)
        cursor = frame.lastCursorPosition()
        parts_frame = cursor.insertFrame(QTextFrameFormat())
        _flatten_after(parts_frame)
        cursor = frame.lastCursorPosition()
        open_frame = cursor.insertFrame(_part_format())
        _flatten_after(open_frame)
        return cls(frame, parts_frame, open_frame)

    def commit(self, text: str, html: str, next_code: int) -> None:
        """Append the HTML of finished blocks (``text``) once, before the open tail.

        Each part gets a frame of its own: Qt lays a frame's direct children out again whenever
        one of them changes, so with every part's paragraphs directly in the message frame each
        re-render of the tail cost time in the length of the reply (~2 ms per flush at 3,000
        paragraphs); a few dozen part frames are skipped whole.
        """
        cursor = self.parts_frame.lastCursorPosition()
        cursor.beginEditBlock()
        part = cursor.insertFrame(_part_format())
        cursor.insertHtml(html)
        _flatten_after(part)
        cursor.endEditBlock()
        self.committed += text
        self.next_code = next_code

    def show_open(self, html: str) -> None:
        refill(self.open_frame, html)


def _part_format() -> QTextFrameFormat:
    """A frame for a part: Qt drops the top margin of a frame's first paragraph, so the frame
    keeps the gap that paragraph would have had (HTML's default 12 px)."""
    fmt = QTextFrameFormat()
    fmt.setTopMargin(PARAGRAPH_GAP)
    return fmt


def _flatten_after(frame: QTextFrame) -> None:
    """The block Qt keeps after a frame would add an empty line: make it 1 pixel high."""
    # Not QTextCursor(frame.document()): PySide then ties the document's Python wrapper to this
    # frame's, and when a part's wrapper is collected the view's document wrapper dies with it
    # ("Internal C++ object already deleted" on the next conversation opened).
    after = frame.lastCursorPosition()
    after.setPosition(frame.lastPosition() + 1)
    flat = QTextBlockFormat()
    flat.setLineHeight(1, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
    after.setBlockFormat(flat)


def render_in_parts(
    frame: QTextFrame,
    split: StreamSplit | None,
    message: Message,
    md: MarkdownIt,
    palette: ChatPalette,
    retry_text: str | None = None,
) -> StreamSplit | None:
    """Show ``message`` in ``frame`` in parts; ``None`` if it should rather be rendered whole."""
    content = message.content
    if split is not None and not content.startswith(split.committed):
        split = None  # the text was replaced
    streaming = message.status is Status.STREAMING and message.role is Role.ASSISTANT
    if split is None:
        if not streaming or stable_end(content) < COMMIT_MIN:
            return None
        split = StreamSplit.start(frame, header_html(message, palette))
    done = len(split.committed)
    end = stable_end(content, done) if streaming else done
    if end - done >= COMMIT_MIN:
        html, next_code = markdown_html(md, content[done:end], message.id, split.next_code)
        split.commit(content[done:end], html, next_code)
    rest = content[len(split.committed) :]
    html, _ = markdown_html(md, rest, message.id, split.next_code)
    split.show_open(html + footer_html(message, retry_text, palette))
    return split
