"""A long streaming reply in two parts: finished Markdown blocks, rendered once, then its tail.

Re-rendering a whole reply on every flush costs time in its length, so a 20,000-token reply would
slow down as it grows. Once ``COMMIT_MIN`` characters of finished blocks (up to the last blank line
outside a code fence, :func:`~.tail_split.stable_end`) have arrived, they are appended to the
message frame once, and only a child frame with the open trailing block and the status line is
re-rendered. A finished reply keeps its parts; a replaced text (a retry) is rendered whole again,
and so is a finished reply with a link reference definition, which may link text in another part.

While the tail ends in plain one-line paragraphs (:func:`~.tail_split.plain_paragraphs`), new text
there is appended to the document as it shows, without Markdown, HTML or the tail laid out again
(:meth:`StreamSplit.append_plain`), and finished blocks are committed only every ``COMMIT_LATER``
characters: at 1,000 tokens/s this is most flushes, and re-rendering the tail was their main cost.
When the open part is all plain paragraphs, the finished ones are committed as plain text too,
without rendering them again; a test checks every block and format against the rendered way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtGui import (
    QTextBlockFormat,
    QTextCursor,
    QTextFrame,
    QTextFrameFormat,
)

from writer_desktop.core.models import Message, Role, Status

from .chat_document import refill
from .chat_palette import ChatPalette
from .render import footer_html, header_html, markdown_html
from .tail_split import open_fence_end, plain_paragraphs, plain_shown, stable_end

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

PARAGRAPH_GAP = 12  # px, Qt's default margin between HTML paragraphs
COMMIT_MIN = 300  # finished Markdown (characters) worth rendering once, apart from the tail
COMMIT_LATER = 2000  # the same while plain text is appended to the tail instead of re-rendered
CODE_COMMIT = 3000  # finished lines of a code block still open, worth rendering once
# A link reference definition ("[r]: https://…"), which links "[text][r]" anywhere in the text.
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S", re.MULTILINE)
FLUSH_CHARS = 8000
"""A view renders at once when this much new text waits, without waiting for its flush timer.

A reply that arrives faster than a view renders (a loopback server, a burst after a stall) is
then drawn in steps of the same size: a render lays out about this much new text (~5 ms here;
more only if one read brings more), and every part of the reply costs the same. With the timer
alone, a 20,000-token reply sent unpaced was drawn in six renders, one of ~40 ms, the event
loop's worst stall; now in thirteen, none over ~9 ms (docs/performance.md, figure 2).
At 1,000 tokens/s a round of 80 ms brings ~300 characters, so paced replies never reach it."""


@dataclass
class StreamSplit:
    """A streaming reply in two parts: finished Markdown blocks, then the open tail.

    ``committed`` is the source text already rendered into the finished part, ``next_code`` the
    number of the next code block (for its Copy link). ``shown`` is the source text the open part
    shows, above ``footer``. While the open part ends in plain paragraphs, ``tail`` is a cursor at
    the end of the last one, ``count`` how many there are, ``last`` what the last one shows and
    ``last_at`` where in ``shown`` it starts; ``stable`` is where the finished blocks of ``shown``
    end (:func:`~.tail_split.stable_end`). Both are kept up to date as text is appended, so a
    flush looks only at the new text, not at the whole open part.
    """

    frame: QTextFrame
    parts_frame: QTextFrame
    open_frame: QTextFrame
    committed: str = ""
    next_code: int = 0
    shown: str = ""
    footer: str = ""
    tail: QTextCursor | None = None
    fence: str | None = None  # the opening line of a code block ``committed`` ends inside
    chunked: bool = False  # a code block was committed in pieces: render whole once finished
    count: int = 0
    last: str = ""
    last_at: int = 0
    stable: int = 0
    all_plain: bool = False
    paragraph: QTextBlockFormat = field(default_factory=QTextBlockFormat)
    headed: bool = True  # a header paragraph stands above the parts

    @classmethod
    def start(cls, frame: QTextFrame, header_html: str) -> StreamSplit:
        """Parts below ``header_html``; with none (the quick prompt's answer), the text starts
        where a whole render's would: the empty line before the parts and the first part's gap
        take no room."""
        refill(frame, header_html)
        if not header_html:
            _flatten(frame.firstCursorPosition())
        cursor = frame.lastCursorPosition()
        parts_frame = cursor.insertFrame(QTextFrameFormat())
        _flatten(parts_frame.firstCursorPosition())  # the line before the first part
        _flatten_after(parts_frame)
        cursor = frame.lastCursorPosition()
        open_frame = cursor.insertFrame(_part_format())
        _flatten_after(open_frame)
        return cls(frame, parts_frame, open_frame, headed=bool(header_html))

    def commit(self, text: str, html: str, next_code: int, *, joined: bool = False) -> None:
        """Append the HTML of finished blocks (``text``) once, before the open tail.

        Each part gets a frame of its own: Qt lays a frame's direct children out again whenever
        one of them changes, so with every part's paragraphs directly in the message frame each
        re-render of the tail cost time in the length of the reply (~2 ms per flush at 3,000
        paragraphs); a few dozen part frames are skipped whole.
        """
        cursor = self.parts_frame.lastCursorPosition()
        cursor.beginEditBlock()
        part = cursor.insertFrame(_part_format(joined or not (self.headed or self.committed)))
        cursor.insertHtml(html)
        _flatten_after(part)
        cursor.endEditBlock()
        self.committed += text
        self.next_code = next_code

    def show_open(self, text: str, html: str, footer: str, writing: bool = False) -> None:
        """Render the open part again: ``text`` as ``html``, then the ``footer``, which is the
        one paragraph "Writing…" if ``writing`` (only then can plain text be appended)."""
        refill(self.open_frame, html + footer)
        self.shown, self.footer, self.tail = text, footer, None
        start = stable_end(text)
        paragraphs = plain_paragraphs(text[start:])
        if paragraphs is None or not writing:
            return
        last = plain_shown(paragraphs[-1])
        cursor = self.open_frame.lastCursorPosition()  # in the footer's one paragraph
        paragraph = cursor.blockFormat()  # as any paragraph but a frame's first is imported
        if not cursor.movePosition(QTextCursor.MoveOperation.PreviousBlock):
            return
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
        if cursor.block().text() != last or cursor.position() < self.open_frame.firstPosition():
            return  # not the paragraph expected: leave it to the next render
        self.tail, self.count, self.last = cursor, 1, last
        self.last_at, self.stable = _last_line_start(text), start
        self.all_plain = start == 0 or plain_paragraphs(text[:start]) is not None
        _keep_shapes(cursor)
        _keep_shapes(self.open_frame.lastCursorPosition())
        self.paragraph = paragraph

    def append_plain(self, content: str, footer: str) -> bool:
        """Show ``content`` by appending plain text to the open part, if it only adds that.

        True when done (the document then shows what rendering ``content`` would), False when the
        open part must be rendered again. ``content`` starts with ``committed``.
        """
        cursor = self.tail
        done = len(self.committed)
        if cursor is None or footer != self.footer or not content.startswith(self.shown, done):
            return False
        text = content[done:]
        old = len(self.shown)
        if len(text) == old:
            return True
        # Only the last paragraph shown and what follows it can have changed; everything from
        # there on is plain lines, so a blank line is just an empty one: "\n\n" ends it.
        paragraphs = plain_paragraphs(text[self.last_at :])
        if paragraphs is None:
            return False
        blank = text.rfind("\n\n", max(self.last_at, old - 1))
        stable = blank + 2 if blank >= 0 else self.stable
        commit = stable >= COMMIT_LATER  # time to commit what is finished
        if commit and not (self.all_plain and self.last_at <= stable < len(text)):
            return False  # rendered: the open part holds more than plain paragraphs
        last = plain_shown(paragraphs[0])
        if not last.startswith(self.last):
            return False
        if commit:
            self._commit_plain(cursor, text, stable, plain_shown(paragraphs[-1]))
            return True
        cursor.beginEditBlock()
        cursor.insertText(last[len(self.last) :])
        for paragraph in paragraphs[1:]:
            cursor.insertBlock(self.paragraph, cursor.charFormat())
            last = plain_shown(paragraph)
            cursor.insertText(last)
            _keep_shapes(cursor)
        cursor.endEditBlock()
        self.shown, self.count, self.last = text, self.count + len(paragraphs) - 1, last
        self.stable = stable
        if len(paragraphs) > 1:
            self.last_at = _last_line_start(text)
        return True

    def _commit_plain(self, tail: QTextCursor, text: str, stable: int, last: str) -> None:
        """Show ``text`` (all plain paragraphs, the open part's source) with its finished ones
        (up to ``stable``) committed, as :meth:`commit` would show them but without Markdown or
        HTML: they are written into a new part as plain text, the open part's paragraphs are
        removed but the last (which shows ``last``; ``tail`` is at its end), which becomes the
        one still open. At 1,000 tokens/s this happens about twice a second, and rendering the
        same text again was a fifth of the flushes' cost; a fast reply brings thousands of
        characters a flush, written once this way."""
        finished = plain_paragraphs(text[:stable]) or []
        document = tail.document()
        first = document.findBlock(self.open_frame.firstPosition())  # as a frame's first is
        first_format, first_chars = first.blockFormat(), first.charFormat()
        cursor = self.parts_frame.lastCursorPosition()
        cursor.beginEditBlock()
        part = cursor.insertFrame(_part_format())
        cursor.setBlockFormat(first_format)
        cursor.setBlockCharFormat(first_chars)
        text_format = tail.charFormat()
        for i, line in enumerate(finished):
            if i:
                cursor.insertBlock(self.paragraph, text_format)
            # the line break after a part's HTML shows as a space at the end of its last line
            end = " " if i == len(finished) - 1 else ""
            cursor.insertText(plain_shown(line) + end, text_format)
        _flatten_after(part)
        cursor.endEditBlock()
        edit = QTextCursor(tail)
        edit.beginEditBlock()
        edit.setPosition(self.open_frame.firstPosition())
        edit.setPosition(tail.position(), QTextCursor.MoveMode.KeepAnchor)
        edit.insertText(last, text_format)  # the open part's paragraphs become its last one
        edit.setBlockFormat(first_format)  # now the open part's first
        edit.setBlockCharFormat(first_chars)
        edit.endEditBlock()
        _keep_shapes(tail)
        self.committed += text[:stable]
        self.shown, self.count, self.last, self.last_at, self.stable = text[stable:], 1, last, 0, 0


def _last_line_start(text: str) -> int:
    """Where the last non-empty line of ``text`` starts (its last one-line paragraph)."""
    end = len(text)
    while end and text[end - 1] == "\n":
        end -= 1
    return text.rfind("\n", 0, end) + 1


def _keep_shapes(cursor: QTextCursor) -> None:
    """Keep the shaped text of the cursor's paragraph after it is laid out.

    Qt drops it by default, and shapes the text again to draw it: the paragraphs at the end of a
    streaming reply are laid out and drawn at every flush (the "Writing…" line moves), and text
    needing fallback fonts (CJK, emoji) is costly to shape. Only these few paragraphs keep it.
    """
    layout = cursor.block().layout()
    if layout is not None:
        layout.setCacheEnabled(True)


def _part_format(joined: bool = False) -> QTextFrameFormat:
    """A frame for a part: Qt drops the top margin of a frame's first paragraph, so the frame
    keeps the gap that paragraph would have had (HTML's default 12 px); none when it goes on with
    the code block of the part before (``joined``)."""
    fmt = QTextFrameFormat()
    fmt.setTopMargin(0 if joined else PARAGRAPH_GAP)
    return fmt


def _flatten_after(frame: QTextFrame) -> None:
    """The block Qt keeps after a frame takes no room."""
    # Not QTextCursor(frame.document()): PySide then ties the document's Python wrapper to this
    # frame's, and when a part's wrapper is collected the view's document wrapper dies with it
    # ("Internal C++ object already deleted" on the next conversation opened).
    after = frame.lastCursorPosition()
    after.setPosition(frame.lastPosition() + 1)
    _flatten(after)


def _flatten(cursor: QTextCursor) -> None:
    """Make the empty block at ``cursor`` take no room. Qt keeps one before and after every
    frame; left as they are, each would add an empty line, and the reply's text would jump down
    as it is split into parts."""
    flat = QTextBlockFormat()
    flat.setLineHeight(0, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
    cursor.setBlockFormat(flat)


def render_in_parts(
    frame: QTextFrame,
    split: StreamSplit | None,
    message: Message,
    md: MarkdownIt,
    palette: ChatPalette,
    retry_text: str | None = None,
    *,
    header: bool = True,
) -> StreamSplit | None:
    """Show ``message`` in ``frame`` in parts (under its header, if ``header``); ``None`` if it
    should rather be rendered whole."""
    content = message.content
    if split is not None and not content.startswith(split.committed):
        split = None  # the text was replaced
    streaming = message.status is Status.STREAMING and message.role is Role.ASSISTANT
    if split is not None and split.chunked and not streaming:
        return None  # a code block drawn in pieces: once, whole
    if split is not None and not streaming and _REFERENCE.search(content):
        return None  # "[text][r]" in one part, "[r]: address" in another: resolved whole
    if split is None:
        if not streaming or (stable_end(content) < COMMIT_MIN and _long_fence(content) is None):
            return None
        split = StreamSplit.start(frame, header_html(message, palette) if header else "")
    done = len(split.committed)
    end = stable_end(content, done, split.fence) if streaming else done
    if end > done and (split.fence is not None or end - done >= COMMIT_MIN):
        html, next_code = markdown_html(
            md, _source(split.fence, content[done:end]), message.id, split.next_code
        )
        split.commit(content[done:end], html, next_code, joined=split.fence is not None)
        split.fence = None
    if streaming:
        _commit_open_code(split, content, md)
    rest = content[len(split.committed) :]
    html, _ = markdown_html(
        md, _source(split.fence, rest), message.id, split.next_code, streaming=streaming
    )
    writing = streaming and not retry_text and split.fence is None
    split.open_frame.setFrameFormat(_part_format(split.fence is not None))
    split.show_open(rest, html, footer_html(message, retry_text, palette), writing)
    return split


def _source(fence: str | None, text: str) -> str:
    """Markdown for ``text``, which goes on inside the code block opened by ``fence``, if any."""
    return text if fence is None else f"{fence}\n{text}"


def _long_fence(content: str, start: int = 0, fence: str | None = None) -> tuple[int, str] | None:
    """Where the finished lines of a long code block still open end, and its opening line."""
    found = open_fence_end(content, start, fence)
    return found if found is not None and found[0] - start >= CODE_COMMIT else None


def _commit_open_code(split: StreamSplit, content: str, md: MarkdownIt) -> None:
    """Render the finished lines of a long code block still open once, as a part of its own.

    A fence is never a finished block while it streams, so without this the whole block would be
    rendered again at every flush (Qt's ``insertHtml`` and layout of a 600-line block: ~60 ms).
    The pieces get no Copy link (the open part has it) and no gap between them; when the reply
    is finished it is rendered whole once, so its code block is one again.
    """
    done = len(split.committed)
    found = _long_fence(content, done, split.fence)
    if found is None:
        return
    end, opener = found
    html, _ = markdown_html(md, _source(split.fence, content[done:end]), streaming=True)
    split.commit(content[done:end], html, split.next_code, joined=split.fence is not None)
    split.fence, split.chunked = opener, True


def append_in_parts(
    split: StreamSplit, message: Message, palette: ChatPalette, retry_text: str | None = None
) -> bool:
    """Show a streaming ``message`` by appending plain text to ``split``'s tail, if that is all
    that changed (see :meth:`StreamSplit.append_plain`); False if it must be rendered."""
    if message.status is not Status.STREAMING or not message.content.startswith(split.committed):
        return False
    return split.append_plain(message.content, footer_html(message, retry_text, palette))
