"""The fake Writer server speaks real HTTP and reproduces Writer's stream quirks."""

from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.fake_writer import (
    ERROR_DEFAULTS,
    CutAfter,
    DataErrorObject,
    Error,
    FakeWriter,
    Guardrail,
    KeepAliveOnly,
    MalformedChunk,
    RateLimit,
    Reply,
    Stall,
    StreamErrorEvent,
    Tokens,
    Trickle,
    WholeBody,
    echo_reply,
    http_date,
    token_stream,
)
from tests.fake_writer.sse import split_points

KEY = {"Authorization": "Bearer test-key"}
UNAUTHORIZED = {
    "tpe": "Unauthorized",
    "errors": [{"description": "Invalid token", "key": "fail.unauthorized.badToken", "extras": {}}],
    "extras": {},
}


@dataclass
class Sse:
    """A parsed SSE body."""

    events: list[tuple[str, str]] = field(default_factory=list)  # (event type, data)
    comments: int = 0

    @property
    def data(self) -> list[str]:
        return [d for kind, d in self.events if kind == "message"]

    def chunks(self) -> list[dict[str, Any]]:
        return [json.loads(d) for d in self.data if d != "[DONE]"]

    def text(self) -> str:
        return "".join(
            c["choices"][0]["delta"]["content"] or "" for c in self.chunks() if c.get("choices")
        )

    def finish(self) -> str | None:
        reasons = [c["choices"][0]["finish_reason"] for c in self.chunks() if c.get("choices")]
        return next((r for r in reasons if r), None)


def parse_sse(raw: bytes) -> Sse:
    """A small but spec-faithful SSE parser for whole bodies."""
    out = Sse()
    kind, data = "message", list[str]()
    for line in re.split(r"\r\n|\r|\n", raw.decode()):
        if not line:
            if data:
                out.events.append((kind, "\n".join(data)))
            kind, data = "message", []
        elif line.startswith(":"):
            out.comments += 1
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name == "event":
                kind = value
    return out


def chat(prompt: str = "hello", stream: bool = True, **extra: Any) -> dict[str, Any]:
    body = {"model": "palmyra-x5", "messages": [{"role": "user", "content": prompt}]}
    return {**body, "stream": stream, **extra}


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeWriter]:
    with FakeWriter() as srv:
        yield srv


@pytest.fixture
def srv(shared: FakeWriter) -> FakeWriter:
    shared.reset()
    return shared


@pytest.fixture
def client(srv: FakeWriter) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=srv.base_url, headers=KEY, timeout=10) as c:
        yield c


def stream_raw(client: httpx.Client, body: dict[str, Any]) -> tuple[httpx.Response, list[bytes]]:
    with client.stream("POST", "/v1/chat", json=body) as response:
        return response, list(response.iter_raw())


def test_models_listing(client: httpx.Client) -> None:
    response = client.get("/v1/models")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    models = response.json()["models"]
    assert [m["id"] for m in models] == [
        "palmyra-x5", "palmyra-x4", "palmyra-fin", "palmyra-med", "palmyra-creative"
    ]  # fmt: skip
    assert models[0] == {"id": "palmyra-x5", "name": "Palmyra X5"}


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic test-key", "Bearer"])
def test_bad_key_is_401_with_writer_body(srv: FakeWriter, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    with httpx.Client(base_url=srv.base_url, headers=headers) as c:
        for response in (c.get("/v1/models"), c.post("/v1/chat", json=chat())):
            assert response.status_code == 401
            assert response.json() == UNAUTHORIZED


def test_any_key_mode() -> None:
    with (
        FakeWriter(api_key=None, models=["m1"]) as srv,
        httpx.Client(base_url=srv.base_url) as c,
    ):
        assert c.get("/v1/models", headers={"Authorization": "Bearer xyz"}).json() == {
            "models": [{"id": "m1", "name": "m1"}]
        }
        assert c.get("/v1/models").status_code == 401  # a key is still required


@pytest.mark.parametrize("status", sorted(ERROR_DEFAULTS))
def test_error_bodies(srv: FakeWriter, client: httpx.Client, status: int) -> None:
    srv.enqueue(Error(status, headers={"X-Test": "1"}))
    response = client.post("/v1/chat", json=chat())
    tpe, key, description = ERROR_DEFAULTS[status]
    assert response.status_code == status
    assert response.headers["x-test"] == "1"
    assert response.json() == {
        "tpe": tpe, "errors": [{"description": description, "key": key, "extras": {}}],
        "extras": {},
    }  # fmt: skip
    assert client.post("/v1/chat", json=chat(stream=False)).status_code == 200  # queue consumed


def test_guardrail_rate_limit_and_custom_bodies(srv: FakeWriter, client: httpx.Client) -> None:
    date = http_date(time.time() + 3)
    srv.enqueue(
        Guardrail(),
        RateLimit(retry_after="2"),
        RateLimit(retry_after_ms="1500"),
        RateLimit(retry_after=date),
        Error(502, body="<html>Bad gateway</html>", content_type="text/html"),
    )
    first = client.post("/v1/chat", json=chat())
    assert first.status_code == 400
    assert first.json()["errors"][0]["key"] == "fail.guardrail.blocked"
    limited = [client.post("/v1/chat", json=chat()) for _ in range(3)]
    assert [r.status_code for r in limited] == [429, 429, 429]
    assert limited[0].json()["errors"][0]["key"] == "fail.tooManyRequests.quotaExceeded"
    assert limited[0].headers["retry-after"] == "2"
    assert limited[1].headers["retry-after-ms"] == "1500"
    assert limited[2].headers["retry-after"] == date
    html = client.post("/v1/chat", json=chat())
    assert (html.status_code, html.text) == (502, "<html>Bad gateway</html>")


def test_request_validation(client: httpx.Client) -> None:
    unknown = client.post("/v1/chat", json={**chat(), "model": "palmyra-x9"})
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["key"] == "fail.notFound"
    assert client.post("/v1/chat", json={**chat(), "seed": 1}).status_code == 400
    assert client.post("/v1/chat", json={"model": "palmyra-x5", "messages": []}).status_code == 400
    assert client.post("/v1/chat", content=b"{not json").status_code == 400
    assert client.get("/v1/chat").status_code == 405
    assert client.get("/v2/nothing").json()["tpe"] == "NotFound"


def test_oversized_and_malformed_requests() -> None:
    with FakeWriter(max_body=100) as srv, httpx.Client(base_url=srv.base_url, headers=KEY) as c:
        too_big = c.post("/v1/chat", json=chat("x" * 200))
        assert too_big.status_code == 413
        assert too_big.json()["errors"][0]["key"] == "fail.payloadTooLarge"
        parts = [b'{"model":"palmyra-x5",', b'"messages":[{"role":"user","content":"hi"}]}']
        chunked = c.post("/v1/chat", content=iter(parts))  # Transfer-Encoding: chunked
        assert chunked.json()["choices"][0]["message"]["content"] == echo_reply("hi")
        with socket.create_connection((srv.host, srv.port)) as sock:
            sock.sendall(b"NONSENSE\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert srv.requests[-1].headers["transfer-encoding"] == "chunked"
    assert not srv.errors


def test_models_behaviours(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue_models(Error(503), CutAfter(10, mode="close"))
    assert client.get("/v1/models").status_code == 503
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/v1/models")
    assert client.get("/v1/models").status_code == 200


def test_non_streaming_completion(client: httpx.Client) -> None:
    reply = client.post("/v1/chat", json=chat("café?", stream=False)).json()
    assert reply["object"] == "chat.completion"
    choice = reply["choices"][0]
    assert choice["message"]["content"] == echo_reply("café?")
    assert (choice["finish_reason"], choice["message"]["role"]) == ("stop", "assistant")
    assert reply["usage"]["total_tokens"] > reply["usage"]["completion_tokens"] > 0


def test_stream_has_all_the_quirks(srv: FakeWriter, client: httpx.Client) -> None:
    body = chat("日本語 café 🚀", stream_options={"include_usage": True}, max_tokens=1000)
    response, pieces = stream_raw(client, body)
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    sse = parse_sse(b"".join(pieces))
    chunks = sse.chunks()
    assert sse.text() == echo_reply("日本語 café 🚀")
    assert len({c["id"] for c in chunks}) == len(chunks)  # a fresh id per chunk
    with_choices = [c for c in chunks if c["choices"]]
    assert all(c["choices"][0]["delta"]["role"] == "assistant" for c in with_choices)
    assert with_choices[0]["choices"][0]["delta"]["content"] == ""
    last = with_choices[-1]["choices"][0]
    assert last["finish_reason"] == "stop"
    assert last["delta"]["content"]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] > 0
    assert sse.data[-1] != "[DONE]"
    assert sse.comments > 0  # keep-alives interleaved
    assert len(pieces) > 50
    undecodable = 0
    for piece in pieces:
        try:
            piece.decode()
        except UnicodeDecodeError:
            undecodable += 1
    assert undecodable > 0  # some pieces split inside a UTF-8 character


def test_usage_only_when_asked_and_on_last_chunk(srv: FakeWriter, client: httpx.Client) -> None:
    _, plain = stream_raw(client, chat())
    assert all(c["usage"] is None for c in parse_sse(b"".join(plain)).chunks())
    srv.enqueue(Reply("one two", usage=True, usage_on_last=True))
    _, pieces = stream_raw(client, chat())
    chunks = parse_sse(b"".join(pieces)).chunks()
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == 2


def test_max_tokens_truncates_default_reply(client: httpx.Client) -> None:
    _, pieces = stream_raw(client, chat("hi", max_tokens=5))
    sse = parse_sse(b"".join(pieces))
    assert sse.finish() == "length"
    assert echo_reply("hi").startswith(sse.text())
    assert len(sse.chunks()) == 6


@pytest.mark.parametrize("done_on_server", [False, True])
def test_done_marker(done_on_server: bool) -> None:
    with (
        FakeWriter(done_marker=done_on_server) as srv,
        httpx.Client(base_url=srv.base_url, headers=KEY) as c,
    ):
        srv.enqueue(Reply("a b", done_marker=not done_on_server), Reply("a b"))
        for expect_done in (not done_on_server, done_on_server):
            _, pieces = stream_raw(c, chat())
            sse = parse_sse(b"".join(pieces))
            assert (sse.data[-1] == "[DONE]") is expect_done
            assert sse.text() == "a b"


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_line_endings(srv: FakeWriter, client: httpx.Client, ending: Any) -> None:
    srv.enqueue(Reply("line one\nline two — ✓", line_ending=ending, done_marker=True))
    _, pieces = stream_raw(client, chat())
    raw = b"".join(pieces)
    if ending == "\r":
        assert b"\n" not in raw
    else:
        assert raw.count(b"\n") == raw.count(b"\r\n") > 0
    sse = parse_sse(raw)
    assert sse.text() == "line one\nline two — ✓"
    assert sse.finish() == "stop"


def test_splits_are_deterministic() -> None:
    first = list(split_points(10_000, random.Random(7)))
    assert first == list(split_points(10_000, random.Random(7)))
    assert first != list(split_points(10_000, random.Random(8)))
    assert first[0][0] == 0
    assert first[-1][1] == 10_000
    assert len(list(split_points(8_000_000, random.Random(1)))) < 4000


@pytest.mark.parametrize(
    ("finish", "prompt"), [("length", "/length"), ("content_filter", "/filter")]
)
def test_finish_reasons(client: httpx.Client, finish: str, prompt: str) -> None:
    _, pieces = stream_raw(client, chat(prompt))
    assert parse_sse(b"".join(pieces)).finish() == finish


def test_cut_after_reset(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(CutAfter(500))
    received: list[bytes] = []
    with (
        client.stream("POST", "/v1/chat", json=chat()) as response,
        pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)),
    ):
        received.extend(response.iter_raw())
    assert 0 < len(b"".join(received)) <= 500
    assert b'"finish_reason":"stop"' not in b"".join(received)


def test_cut_after_close_and_end(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(CutAfter(700, mode="close"), CutAfter(2000, mode="end"))
    with pytest.raises(httpx.RemoteProtocolError):
        stream_raw(client, chat())
    _, pieces = stream_raw(client, chat())  # ends cleanly, but without a finish_reason
    raw = b"".join(pieces)
    assert len(raw) == 2000
    assert b'"finish_reason":"stop"' not in raw


def test_stall_then_end_and_resume(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(Stall(300, 0.3), Stall(300, 0.2, then="resume"))
    started = time.monotonic()
    _, pieces = stream_raw(client, chat())
    assert len(b"".join(pieces)) == 300
    assert time.monotonic() - started >= 0.29
    _, pieces = stream_raw(client, chat("x"))
    assert parse_sse(b"".join(pieces)).text() == echo_reply("x")


def test_stall_ends_promptly_on_stop() -> None:
    srv = FakeWriter().start()
    with httpx.Client(base_url=srv.base_url, headers=KEY) as c:
        srv.enqueue(Stall(100, 60))
        with c.stream("POST", "/v1/chat", json=chat()) as response:
            chunks = response.iter_raw()
            next(chunks)
            started = time.monotonic()
            srv.stop()
            assert time.monotonic() - started < 2
            with pytest.raises(httpx.HTTPError):
                for _ in chunks:
                    pass
    assert srv.active_connections == 0
    assert not srv.errors


def test_twenty_thousand_tokens(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(Tokens(20_000))
    started = time.monotonic()
    _, pieces = stream_raw(client, chat())
    sse = parse_sse(b"".join(pieces))
    assert time.monotonic() - started < 5
    assert len(sse.chunks()) == 20_001  # the empty first chunk, then one per token
    assert sse.text() == "".join(token_stream(20_000))
    assert sse.finish() == "stop"


def test_trickle_paces_tokens(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(Trickle(n=100, delay_per_token=0.002))
    started = time.monotonic()
    _, pieces = stream_raw(client, chat())
    assert 0.19 <= time.monotonic() - started < 2
    assert parse_sse(b"".join(pieces)).text() == "".join(token_stream(100))


def test_keepalive_only(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(KeepAliveOnly(0.2, interval=0.05))
    _, pieces = stream_raw(client, chat())
    sse = parse_sse(b"".join(pieces))
    assert sse.events == []
    assert sse.comments == 4


def test_errors_inside_the_stream(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(StreamErrorEvent(2, "Model overloaded"), DataErrorObject(1))
    sse = parse_sse(b"".join(stream_raw(client, chat())[1]))
    kind, data = sse.events[-1]
    assert kind == "error"
    assert json.loads(data)["errors"][0]["description"] == "Model overloaded"
    assert len(sse.data) == 3
    assert sse.finish() is None
    sse = parse_sse(b"".join(stream_raw(client, chat())[1]))
    last = json.loads(sse.data[-1])
    assert "choices" not in last
    assert last["tpe"] == "InternalServerError"


def test_malformed_chunk_and_whole_body(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(MalformedChunk(after_tokens=1), WholeBody(text="all at once"))
    sse = parse_sse(b"".join(stream_raw(client, chat())[1]))
    with pytest.raises(json.JSONDecodeError):
        json.loads(sse.data[2])
    _, pieces = stream_raw(client, chat())
    assert len(pieces) == 1
    assert parse_sse(pieces[0]).text() == "all at once"


@pytest.mark.parametrize(
    ("prompt", "check"),
    [
        ("/tokens 50", lambda s: s.text() == "".join(token_stream(50))),
        ("/markdown", lambda s: "| palmyra-x5 |" in s.text() and "```rust" in s.text()),
        ("/hostile", lambda s: "<script>" in s.text() and "javascript:" in s.text()),
        ("/streamerror", lambda s: s.events[-1][0] == "error"),
        ("/help", lambda s: "/tokens N" in s.text()),
        ("/nonsense", lambda s: s.text() == echo_reply("/nonsense")),
    ],
)
def test_magic_prompts(client: httpx.Client, prompt: str, check: Any) -> None:
    assert check(parse_sse(b"".join(stream_raw(client, chat(prompt))[1])))


def test_magic_errors(client: httpx.Client) -> None:
    assert client.post("/v1/chat", json=chat("/error 429")).status_code == 429
    assert client.post("/v1/chat", json=chat("/error 401")).json() == UNAUTHORIZED


def test_requests_recorded_and_connection_reused(srv: FakeWriter, client: httpx.Client) -> None:
    client.get("/v1/models")
    client.post("/v1/chat", json=chat("recorded", stream=False), headers={"X-Trace": "abc"})
    first, second = srv.requests
    assert (first.method, first.path, first.json) == ("GET", "/v1/models", None)
    assert (second.method, second.path) == ("POST", "/v1/chat")
    assert second.json["messages"][0]["content"] == "recorded"
    assert second.headers["x-trace"] == "abc"
    assert second.headers["authorization"] == "Bearer test-key"
    assert srv.chat_requests == [second]
    assert first.connection == second.connection  # keep-alive


def test_abandoned_stream_counts_as_disconnect(srv: FakeWriter, client: httpx.Client) -> None:
    srv.enqueue(Trickle(n=2000, delay_per_token=0.002))
    with client.stream("POST", "/v1/chat", json=chat()) as response:
        next(response.iter_raw())
    assert srv.wait_for(lambda: srv.disconnects == 1)
    assert srv.wait_for(lambda: srv.active_connections == 0)
    assert not srv.errors


async def test_async_client(srv: FakeWriter) -> None:
    srv.enqueue(Trickle(n=500, delay_per_token=0.001), Reply("async ok"))
    async with httpx.AsyncClient(base_url=srv.base_url, headers=KEY) as c:
        async with c.stream("POST", "/v1/chat", json=chat()) as response:
            async for _ in response.aiter_raw():
                break
        assert await srv.wait_for_async(lambda: srv.disconnects == 1)
        async with c.stream("POST", "/v1/chat", json=chat()) as response:
            raw = b"".join([piece async for piece in response.aiter_raw()])
    assert parse_sse(raw).text() == "async ok"


async def test_async_context_manager() -> None:
    async with FakeWriter() as srv, httpx.AsyncClient(base_url=srv.base_url, headers=KEY) as c:
        assert (await c.get("/v1/models")).status_code == 200


def test_command_line() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_writer", "--port", "0", "--any-key", "--crlf", "--done"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.fullmatch(r"Fake Writer listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        with httpx.Client(base_url=match[1], headers={"Authorization": "Bearer any"}) as c:
            _, pieces = stream_raw(c, chat("cli"))
        raw = b"".join(pieces)
        assert b"\r\n\r\n" in raw
        assert parse_sse(raw).data[-1] == "[DONE]"
    finally:
        proc.send_signal(2)  # SIGINT, like Ctrl+C
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "POST /v1/chat -> 200" in err
