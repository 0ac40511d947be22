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


@dataclass(frozen=True, slots=True)
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
        self._partial = ""  # text of the current, unfinished line
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
        text = self._utf8.decode(b"", final=True)
        events = self._feed_text(text)
        self._partial = ""
        self._reset_event()
        return events

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished event are buffered (a cut-off stream)."""
        return bool(self._partial or self._data or self._event)

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        if not text:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        events: list[ServerSentEvent] = []
        start = 0
        length = len(text)
        while start < length:
            cr = text.find("\r", start)
            lf = text.find("\n", start)
            if cr == -1 and lf == -1:
                self._partial += text[start:]
                break
            if cr == -1 or (lf != -1 and lf < cr):
                end, nxt = lf, lf + 1
            else:
                end, nxt = cr, cr + 1
                if nxt < length:
                    if text[nxt] == "\n":
                        nxt += 1
                else:
                    self._skip_lf = True
            line = self._partial + text[start:end] if self._partial else text[start:end]
            self._partial = ""
            event = self._process_line(line)
            if event is not None:
                events.append(event)
            start = nxt
        return events

    def _process_line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return None
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
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(
            data="\n".join(self._data),
            event=self._event or "message",
            id=self._id,
            retry=self._retry,
        )
        self._reset_event()
        return event

    def _reset_event(self) -> None:
        self._data = []
        self._event = ""
