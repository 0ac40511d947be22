"""Encoding of Writer's ``chat.completion.chunk`` Server-Sent Events, quirks included.

Pure functions, no I/O: events are ``bytes`` in the exact wire shape of the real capture (compact
JSON, raw UTF-8, a fresh UUID per chunk, ``"role":"assistant"`` in every delta).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

_GRAPH = '"tool_calls":null,"graph_data":{"sources":null,"status":null,"subqueries":null}'


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ChunkEncoder:
    """Builds SSE events for one stream; ids come from ``rng`` so a seed makes them repeatable."""

    def __init__(self, model: str, line_ending: str, rng: random.Random) -> None:
        self.le = line_ending
        self.rng = rng
        self._tail = f',"created":{int(time.time())},"model":{_dumps(model)},"usage":'
        self._end = ',"system_fingerprint":"v1","service_tier":null}'

    def new_id(self) -> str:
        """A fresh, seed-determined UUID4."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def chunk_json(
        self, content: str | None, finish_reason: str | None = None, usage: Any = None
    ) -> str:
        """One ``chat.completion.chunk`` object as compact JSON."""
        finish = "null" if finish_reason is None else _dumps(finish_reason)
        return (
            f'{{"id":"{self.new_id()}","object":"chat.completion.chunk","choices":[{{"index":0,'
            f'"finish_reason":{finish},"delta":{{"content":{_dumps(content)},"role":"assistant",'
            f'{_GRAPH},"refusal":null}},"logprobs":null}}]'
            f"{self._tail}{'null' if usage is None else _dumps(usage)}{self._end}"
        )

    def chunk(
        self, content: str | None, finish_reason: str | None = None, usage: Any = None
    ) -> bytes:
        """A ``data:`` event carrying one delta."""
        return self.event(self.chunk_json(content, finish_reason, usage))

    def usage_chunk(self, usage: Any) -> bytes:
        """The final ``"choices": []`` chunk that carries ``usage``."""
        data = f'{{"id":"{self.new_id()}","object":"chat.completion.chunk","choices":[]'
        return self.event(f"{data}{self._tail}{_dumps(usage)}{self._end}")

    def event(self, data: str, event: str | None = None) -> bytes:
        """An SSE event (``event:`` line optional; one ``data:`` line per line of ``data``)."""
        le = self.le
        head = f"event: {event}{le}" if event else ""
        lines = "".join(f"data: {line}{le}" for line in data.split("\n"))
        return f"{head}{lines}{le}".encode()

    def comment(self, text: str = "keep-alive") -> bytes:
        """An SSE comment (ignored by clients), followed by a blank line."""
        return f": {text}{self.le}{self.le}".encode()

    def done(self) -> bytes:
        """``data: [DONE]``."""
        return self.event("[DONE]")

    def error_json(self, body: Any) -> str:
        """Compact JSON for an error body."""
        return _dumps(body)


def usage_object(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """Writer's ``usage`` object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_token_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def chat_events(
    enc: ChunkEncoder,
    tokens: Sequence[str],
    finish_reason: str | None,
    *,
    usage: dict[str, Any] | None = None,
    usage_on_last: bool = False,
    done: bool = False,
) -> list[bytes]:
    """Events of a reply: an empty first chunk, one chunk per token, ``finish_reason`` on the last
    content chunk (``None``: no finish at all), usage, and ``[DONE]``."""
    events = [enc.chunk("")]
    chunk = enc.chunk
    if finish_reason is None:
        events.extend(chunk(t) for t in tokens)
    else:
        events.extend(chunk(t) for t in tokens[:-1])
        last_usage = usage if usage_on_last else None
        events.append(chunk(tokens[-1] if tokens else "", finish_reason, last_usage))
    if usage is not None and not (usage_on_last and finish_reason is not None):
        events.append(enc.usage_chunk(usage))
    if done:
        events.append(enc.done())
    return events


def with_keepalives(events: list[bytes], enc: ChunkEncoder, every: int = 7) -> list[bytes]:
    """Prepend ``: keep-alive`` to roughly one event in ``every`` (seeded; same event count)."""
    rng = enc.rng
    comment = enc.comment()
    return [comment + e if rng.randrange(every) == 0 else e for e in events]


def split_points(
    size: int, rng: random.Random, max_pieces: int = 3000
) -> Iterator[tuple[int, int]]:
    """Random ``(start, end)`` slices covering ``size`` bytes; pieces stay small for short bodies
    and number at most about ``max_pieces`` for long ones."""
    longest = max(48, 2 * size // max_pieces)
    start = 0
    while start < size:
        end = min(size, start + rng.randint(1, longest))
        yield start, end
        start = end
