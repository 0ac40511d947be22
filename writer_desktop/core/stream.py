"""Typed events of a streamed chat reply, and the pure parser that turns SSE events into them.

Writer's chunks have quirks (see ``shared/writer-api.md``) that this parser absorbs:

1. every chunk has a fresh ``id``: never used for grouping;
2. ``role`` repeats in every delta: ignored beyond the first;
3. the first content is ``""`` or ``null``: null means absent;
4. the chunk with ``finish_reason`` may carry content: the text is applied before the finish;
5. usage may come on a chunk with ``choices: []`` or on the last content chunk;
6. ``[DONE]`` may or may not end the stream: both are accepted;
8. ``event: error``, or a data object with ``tpe``/``errors``/``error`` and no ``choices``, is an
   error (:class:`~writer_desktop.core.errors.StreamFailed`), not an empty chunk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import StreamFailed
from .models import Usage
from .sse import ServerSentEvent


@dataclass(slots=True)
class TextDelta:
    """More reply text."""

    text: str


@dataclass(frozen=True, slots=True)
class Finished:
    """The reply ended normally; ``finish_reason`` is ``stop``, ``length``, ``content_filter`` …"""

    finish_reason: str
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class RetryScheduled:
    """An attempt failed before any reply arrived; the next starts after ``delay`` seconds."""

    attempt: int
    max_attempts: int
    delay: float
    reason: str
    status: int | None = None
    """The HTTP status that failed (429 means rate limited); None for a network error."""


StreamEvent = TextDelta | Finished | RetryScheduled


def error_description(body: Any, fallback: str) -> tuple[str, str | None, str | None]:
    """Writer's ``{"tpe", "errors": [{"description", "key"}]}`` → (description, tpe, key).

    Tolerates OpenAI-style ``{"error": {"message"}}`` and plain strings; falls back to
    ``fallback`` when nothing readable is found.
    """
    if not isinstance(body, dict):
        return fallback, None, None
    tpe = body.get("tpe") if isinstance(body.get("tpe"), str) else None
    key = None
    descriptions: list[str] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("description"), str) and item["description"].strip():
                descriptions.append(item["description"].strip())
            if key is None and isinstance(item.get("key"), str):
                key = item["key"]
    error = body.get("error")
    if not descriptions and isinstance(error, dict):
        message = error.get("message") or error.get("description")
        if isinstance(message, str) and message.strip():
            descriptions.append(message.strip())
        if key is None and isinstance(error.get("code") or error.get("type"), str):
            key = error.get("code") or error.get("type")
    elif not descriptions and isinstance(error, str) and error.strip():
        descriptions.append(error.strip())
    if not descriptions and isinstance(body.get("message"), str) and body["message"].strip():
        descriptions.append(body["message"].strip())
    description = "; ".join(dict.fromkeys(descriptions)) or fallback
    return description, tpe, key


def _usage(data: Any) -> Usage | None:
    if not isinstance(data, dict):
        return None
    try:
        return Usage.from_dict(
            {k: data.get(k) or 0 for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
        )
    except ValueError:
        return None


_raw_decode = json.JSONDecoder().raw_decode
_JSON_SPACE = " \t\n\r"


def _loads(data: str) -> Any:
    """``json.loads``, a little faster for the common case (a chunk per delta adds up): no
    leading whitespace. Raises ``ValueError`` as ``json.loads`` does."""
    try:
        value, end = _raw_decode(data)
    except ValueError:
        return json.loads(data)  # leading whitespace, or the error in json.loads's words
    if end != len(data) and data[end:].strip(_JSON_SPACE):
        raise ValueError("extra data after the JSON value")
    return value


class ChunkParser:
    """Turns the SSE events of one reply into :data:`StreamEvent` values.

    ``text`` is everything received so far; ``finish_reason`` is set once the server said why
    it stopped; ``done`` once ``[DONE]`` arrived.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False

    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def feed(self, event: ServerSentEvent) -> list[TextDelta]:
        """Parse one SSE event; raise :class:`StreamFailed` for an error event or bad data."""
        data = event.data
        if event.event == "error":
            self._fail(data)
        try:
            chunk = _loads(data)
        except (ValueError, RecursionError):
            if data.strip() == "[DONE]":
                self.done = True
                return []
            raise StreamFailed(
                "The reply stream contained data that is not valid JSON.", self.text
            ) from None
        if not isinstance(chunk, dict):
            raise StreamFailed("The reply stream contained an unexpected value.", self.text)
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            if any(k in chunk for k in ("tpe", "errors", "error")):
                self._fail(data)
            raise StreamFailed("The reply stream contained a chunk without choices.", self.text)
        if chunk.get("usage") is not None:
            usage = _usage(chunk["usage"])
            if usage is not None:
                self.usage = usage
        deltas: list[TextDelta] = []
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, dict):
                content = delta.get("content")
                if isinstance(content, str) and content:
                    self._parts.append(content)
                    deltas.append(TextDelta(content))
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                self.finish_reason = reason
        return deltas

    def finished(self) -> Finished | None:
        """The final event, or None when no ``finish_reason`` ever arrived (a cut-off reply)."""
        if self.finish_reason is None:
            return None
        return Finished(self.finish_reason, self.usage)

    def _fail(self, data: str) -> None:
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):
            body = data.strip() or None
        if isinstance(body, str):
            body = {"error": body}
        description, tpe, key = error_description(body, "The server reported an error mid-reply.")
        raise StreamFailed(description, self.text, tpe=tpe, key=key)
