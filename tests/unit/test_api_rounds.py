"""A trickling reply is read in rounds, and each round's text is handed on in one go.

The body here is scripted (each piece after a set wait), so which read catches up with the
network, and what is handed on when, does not depend on the machine's speed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing

import httpx
import pytest

from writer_desktop.core import api
from writer_desktop.core.api import WriterClient
from writer_desktop.core.errors import StreamFailed, StreamInterrupted
from writer_desktop.core.stream import Finished, TextDelta


def event(text: str, finish: str | None = None) -> bytes:
    chunk = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


class Scripted(httpx.AsyncByteStream):
    """Body pieces, each after a wait (0: already buffered); counts the pieces handed out."""

    def __init__(self, script: Sequence[tuple[float, bytes | Exception]]) -> None:
        self.script = script
        self.handed = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for wait, piece in self.script:
            if wait:
                await asyncio.sleep(wait)
            if isinstance(piece, Exception):
                raise piece
            self.handed += 1
            yield piece


async def read(
    script: Sequence[tuple[float, bytes | Exception]], got: list[tuple[str, int]]
) -> None:
    """Read a scripted reply; ``got`` gets each delta's text with how many body pieces had been
    handed out when it came (also when the reply breaks off)."""
    body = Scripted(script)
    response = httpx.Response(
        200,
        headers={"content-type": "text/event-stream"},
        stream=body,
        request=httpx.Request("POST", "http://127.0.0.1:9/v1/chat"),
    )
    async with httpx.AsyncClient() as http:
        client = WriterClient(http, api_key="k", base_url="http://127.0.0.1:9")
        async with aclosing(client._read_stream(response)) as events:
            async for item in events:
                if isinstance(item, TextDelta):
                    got.append((item.text, body.handed))
                else:
                    assert isinstance(item, Finished)


def text(got: list[tuple[str, int]]) -> str:
    return "".join(piece for piece, _ in got)


# Piece 2 comes after a wait, at a trickle's rate: that read caught up with the network, so the
# client pauses to let text gather, then reads what gathered (piece 3) in one go.
TRICKLE = [
    (0.005, event("a")),  # a wait: the client starts measuring the rate
    (0, event("b")),
    (0.03, event("c")),  # caught up again, 30 ms later, at a trickle: pause
    (0, event("d")),  # what gathered meanwhile
    (0, event("e", "stop") + b"data: [DONE]\n\n"),
]


@pytest.fixture(autouse=True)
def short_gather(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "_GATHER", 0.01)


async def test_the_read_that_caught_up_is_handed_on_with_the_next_round() -> None:
    got: list[tuple[str, int]] = []
    await read(TRICKLE, got)
    assert text(got) == "abcde"
    # "c" waits for piece 3: the round's text reaches the view together, so it is drawn once,
    # at the round, instead of "c" alone and "d" a render later
    assert got == [("a", 1), ("b", 2), ("c", 4), ("d", 4), ("e", 5)]


async def test_held_text_is_kept_when_the_connection_breaks_after_the_pause() -> None:
    got: list[tuple[str, int]] = []
    with pytest.raises(StreamInterrupted, match="connection was lost") as info:
        await read([*TRICKLE[:3], (0, httpx.ReadError("connection reset"))], got)
    assert text(got) == info.value.partial_text == "abc"


async def test_held_text_is_kept_when_the_body_ends_after_the_pause() -> None:
    got: list[tuple[str, int]] = []
    with pytest.raises(StreamInterrupted, match="before Writer said it was finished") as info:
        await read(TRICKLE[:3], got)
    assert text(got) == info.value.partial_text == "abc"


async def test_a_bad_event_after_the_pause_keeps_the_text_before_it() -> None:
    got: list[tuple[str, int]] = []
    with pytest.raises(StreamFailed, match="not valid JSON") as info:
        await read([*TRICKLE[:3], (0, event("d") + b"data: {oops\n\n")], got)
    assert text(got) == info.value.partial_text == "abcd"
