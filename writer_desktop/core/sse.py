"""A pure Server-Sent Events decoder: feed it bytes in any split, get whole events out.

It follows the WHATWG event-stream rules: lines end in ``\\n``, ``\\r\\n`` or ``\\r`` (a ``\\r\\n``
split across two feeds counts once); ``:`` lines are comments (keep-alives) and ignored; several
``data:`` lines join with ``\\n``; one space after the colon is dropped; a blank line dispatches the
event; an event with no ``data`` line is dropped. Bytes are decoded as UTF-8 incrementally, so a
character split between feeds is reassembled; invalid bytes become U+FFFD rather than an exception.

No I/O happens here: ``core.api`` feeds it from the network.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched event. ``event`` is ``"message"`` unless the stream named it."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental decoder. Call :meth:`decode` for each piece of bytes, :meth:`flush` at EOF."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # The current, unfinished line, in the pieces it came in: joined once it ends (adding
        # each piece to one string copied it all again: a long line took quadratic time).
        self._partial: list[str] = []
        self._skip_lf = False  # the previous piece ended in "\r": a leading "\n" belongs to it
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None

    def decode(self, chunk: bytes) -> list[ServerSentEvent]:
        """Feed bytes; return the events they complete (possibly none)."""
        return self._feed_text(self._utf8.decode(chunk))

    def flush(self) -> list[ServerSentEvent]:
        """Signal end of stream. An unterminated last event is *not* dispatched (per the spec)."""
        return self._end("")

    def finish(self) -> list[ServerSentEvent]:
        """Signal the end of the body, ending an unfinished last line and event: a server that
        closes the body right after its last ``data:`` line, without the blank line, meant it
        (the spec drops such an event; a complete reply was shown as cut off). The caller must
        expect that event to be cut short."""
        return self._end("\n\n")

    def _end(self, ending: str) -> list[ServerSentEvent]:
        """The events that the rest of the bytes, then ``ending``, complete; then a fresh start."""
        events = self._feed_text(self._utf8.decode(b"", final=True) + ending)
        self._partial = []
        self._reset_event()
        return events

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished event are buffered (a cut-off stream)."""
        return bool(self._partial or self._data or self._event)

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        if self._skip_lf:
            self._skip_lf = False
            if text[:1] == "\n":
                text = text[1:]
        if not text:
            return []
        if "\r" in text:  # one line ending from here on; a final "\r" may own the next "\n"
            self._skip_lf = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if len(lines) == 1:
            self._partial.append(text)
            return []
        if self._partial:
            lines[0] = "".join(self._partial) + lines[0]
        last = lines.pop()  # the unfinished last line ("" after a line ending)
        self._partial = [last] if last else []
        events: list[ServerSentEvent] = []
        for line in lines:
            if line.startswith("data:"):  # the common case, inline
                value = line[5:]
                self._data.append(value[1:] if value[:1] == " " else value)
            elif line:
                self._process_line(line)
            elif self._data:
                events.append(self._dispatch())
            else:  # an event without data is dropped
                self._event = ""
        return events

    def _process_line(self, line: str) -> None:
        """A non-blank line: a comment or a field."""
        if line[0] == ":":
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)

    def _dispatch(self) -> ServerSentEvent:
        data = self._data
        event = ServerSentEvent(
            data[0] if len(data) == 1 else "\n".join(data),
            self._event or "message",
            self._id,
            self._retry,
        )
        self._reset_event()
        return event

    def _reset_event(self) -> None:
        self._data = []
        self._event = ""
