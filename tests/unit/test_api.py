"""The Writer client against the fake server on loopback: quirks, errors, retries, cut streams."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from tests.conftest import FAKE_KEY
from tests.fake_writer.behaviours import (
    CutAfter,
    DataErrorObject,
    Error,
    Guardrail,
    KeepAliveOnly,
    MalformedChunk,
    RateLimit,
    Reply,
    Stall,
    StreamErrorEvent,
    Tokens,
    WholeBody,
    http_date,
)
from tests.fake_writer.server import FakeWriter
from writer_desktop.core.api import (
    ChatRequest,
    RetryPolicy,
    Timeouts,
    WriterClient,
    check_base_url,
    parse_retry_after,
)
from writer_desktop.core.errors import (
    ApiError,
    AuthError,
    BadRequest,
    ConfigError,
    Forbidden,
    MissingKey,
    ModelNotFound,
    NetworkError,
    RateLimited,
    ServerError,
    StreamFailed,
    StreamInterrupted,
    UnusableKey,
    WriterError,
)
from writer_desktop.core.stream import Finished, RetryScheduled, TextDelta

TEXT = "Hello **world** — café 日本語 🎉\n\n```python\nprint('hi')\n```\n"
KEY = FAKE_KEY


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


class Sleeps:
    """Records retry waits instead of sleeping through them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake: FakeWriter, http: httpx.AsyncClient, sleeps: Sleeps) -> WriterClient:
    return WriterClient(
        http, api_key=KEY, base_url=fake.base_url, sleep=sleeps, timeouts=Timeouts(idle=5.0)
    )


def request(text: str = "Hi", **kw: Any) -> ChatRequest:
    return ChatRequest(model="palmyra-x5", messages=[{"role": "user", "content": text}],
                       max_tokens=kw.pop("max_tokens", 1024), **kw)  # fmt: skip


async def collect(client: WriterClient, req: ChatRequest | None = None) -> list[Any]:
    events: list[Any] = []
    async with aclosing(client.stream_chat(req or request())) as stream:
        async for event in stream:
            events.append(event)
    return events


def text_of(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_list_models(client: WriterClient) -> None:
    models = await client.list_models()
    assert [m.id for m in models][:2] == ["palmyra-x5", "palmyra-x4"]
    assert all(m.name for m in models)


async def test_bad_key_on_models_is_auth_error(fake: FakeWriter, http: httpx.AsyncClient) -> None:
    bad = WriterClient(http, api_key="wrong-key-123", base_url=fake.base_url)
    with pytest.raises(AuthError) as info:
        await bad.list_models()
    assert info.value.user_message == "Invalid token"
    assert info.value.key == "fail.unauthorized.badToken"
    assert "wrong-key-123" not in repr(info.value) + str(info.value) + repr(bad)


async def test_without_a_key_nothing_is_sent(fake: FakeWriter, http: httpx.AsyncClient) -> None:
    # A removed key: an empty bearer is refused by httpx before sending, which read as a lost
    # connection (and was retried); now it is an auth error, the UI's cue to ask for a key.
    keyless = WriterClient(http, api_key="", base_url=fake.base_url)
    with pytest.raises(MissingKey) as info:
        await keyless.list_models()
    assert info.value.kind == "auth"
    with pytest.raises(MissingKey):
        await collect(keyless)
    assert fake.requests == []


@pytest.mark.parametrize("key", ["clé→ü", "test-key\u200b", "\u201ctest-key\u201d", "tëst-key"])
async def test_a_key_no_header_can_hold_is_not_sent(
    fake: FakeWriter, http: httpx.AsyncClient, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx failed to encode it with a UnicodeEncodeError quoting "Bearer <key>", which went
    # to the log and the crash report; and a reply said "Something went wrong".
    odd = WriterClient(http, api_key=key, base_url=fake.base_url)
    with pytest.raises(UnusableKey) as info:
        await odd.list_models()
    assert info.value.kind == "auth"
    assert "cannot have" in info.value.user_message or "invisible" in info.value.user_message
    with pytest.raises(UnusableKey):
        await collect(odd)
    assert fake.requests == []
    assert key not in caplog.text
    assert key not in info.value.user_message


@pytest.mark.parametrize("line_ending", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("done", [True, False])
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_stream_with_every_quirk(
    client: WriterClient, fake: FakeWriter, line_ending: Any, done: bool, seed: int
) -> None:
    fake.enqueue(Reply(text=TEXT, line_ending=line_ending, done_marker=done, split_seed=seed))
    events = await collect(client)
    assert text_of(events) == TEXT
    assert isinstance(events[-1], Finished)
    assert events[-1].finish_reason == "stop"
    assert events[-1].usage is not None
    assert events[-1].usage.completion_tokens > 0


async def test_usage_on_last_content_chunk_and_whole_body(
    client: WriterClient, fake: FakeWriter
) -> None:
    fake.enqueue(Reply(text=TEXT, usage_on_last=True), WholeBody(text=TEXT))
    for _ in range(2):
        events = await collect(client)
        assert text_of(events) == TEXT
        assert isinstance(events[-1], Finished)
        assert events[-1].usage is not None


@pytest.mark.parametrize("reason", ["length", "content_filter"])
async def test_finish_reasons_are_reported(
    client: WriterClient, fake: FakeWriter, reason: Any
) -> None:
    fake.enqueue(Reply(text="cut here", finish_reason=reason))
    events = await collect(client)
    assert events[-1] == Finished(reason, events[-1].usage)


async def test_request_shape(client: WriterClient, fake: FakeWriter) -> None:
    fake.enqueue(Reply(text="ok"))
    await collect(client, request("Hello", max_tokens=321, temperature=0.2))
    sent = fake.chat_requests[-1]
    assert sent.json["max_tokens"] == 321
    assert sent.json["stream"] is True
    assert sent.json["stream_options"] == {"include_usage": True}
    assert sent.json["temperature"] == 0.2
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["user-agent"].startswith("writer-desktop/")


async def test_twenty_thousand_tokens(client: WriterClient, fake: FakeWriter) -> None:
    fake.enqueue(Tokens(20_000))
    events = await collect(client, request(max_tokens=30_000))
    assert sum(isinstance(e, TextDelta) for e in events) >= 19_000
    assert isinstance(events[-1], Finished)


@pytest.mark.parametrize(
    ("behaviour", "error_type", "message"),
    [
        (Guardrail("Blocked by policy"), BadRequest, "Blocked by policy"),
        (Error(401), AuthError, None),
        (Error(403, "Not allowed"), Forbidden, "Not allowed"),
        (Error(404, "Model not found"), ModelNotFound, "Model not found"),
        (Error(413, "Too large"), ApiError, "Too large"),
        (Error(422, "Unprocessable"), BadRequest, "Unprocessable"),
    ],
)
async def test_client_errors_are_typed_and_never_retried(
    client: WriterClient,
    fake: FakeWriter,
    sleeps: Sleeps,
    behaviour: Any,
    error_type: type[WriterError],
    message: str | None,
) -> None:
    fake.enqueue(behaviour)
    with pytest.raises(error_type) as info:
        await collect(client)
    assert type(info.value) is error_type
    if message:
        assert info.value.user_message == message
    assert len(fake.chat_requests) == 1
    assert sleeps.delays == []


async def test_guardrail_flag(client: WriterClient, fake: FakeWriter) -> None:
    fake.enqueue(Guardrail())
    with pytest.raises(BadRequest) as info:
        await collect(client)
    assert info.value.guardrail


async def test_html_error_page_gets_a_readable_message(
    client: WriterClient, fake: FakeWriter
) -> None:
    fake.enqueue(*[Error(502, body="<html>Bad gateway</html>", content_type="text/html")] * 3)
    with pytest.raises(ServerError) as info:
        await collect(client)
    assert info.value.user_message == "Writer's servers had a problem."


@pytest.mark.parametrize("status", [408, 409, 429, 500, 503, 504])
async def test_transient_errors_retried_then_succeed(
    client: WriterClient, fake: FakeWriter, sleeps: Sleeps, status: int
) -> None:
    fake.enqueue(Error(status), Error(status), Reply(text="finally"))
    events = await collect(client)
    retries = [e for e in events if isinstance(e, RetryScheduled)]
    assert [r.attempt for r in retries] == [1, 2]
    assert all(r.max_attempts == 3 for r in retries)
    assert 0.75 <= sleeps.delays[0] <= 1.0
    assert 1.5 <= sleeps.delays[1] <= 2.0
    assert text_of(events) == "finally"
    assert len(fake.chat_requests) == 3


async def test_gives_up_after_three_attempts(
    client: WriterClient, fake: FakeWriter, sleeps: Sleeps
) -> None:
    fake.enqueue(Error(503), Error(503), Error(503), Reply(text="never"))
    with pytest.raises(ServerError):
        await collect(client)
    assert len(fake.chat_requests) == 3
    assert len(sleeps.delays) == 2
    fake.reset()


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        (RateLimit(retry_after="2"), 2.0),
        (RateLimit(retry_after_ms="1500"), 1.5),
        (RateLimit(retry_after="0"), 0.0),
    ],
)
async def test_retry_after_is_honoured(
    client: WriterClient, fake: FakeWriter, sleeps: Sleeps, behaviour: Any, expected: float
) -> None:
    fake.enqueue(behaviour, Reply(text="ok"))
    events = await collect(client)
    assert sleeps.delays == [pytest.approx(expected)]
    assert isinstance(events[0], RetryScheduled)
    assert events[0].delay == pytest.approx(expected)


async def test_retry_after_http_date(
    client: WriterClient, fake: FakeWriter, sleeps: Sleeps
) -> None:
    fake.enqueue(RateLimit(retry_after=http_date(time.time() + 5)), Reply(text="ok"))
    await collect(client)
    assert 3.0 <= sleeps.delays[0] <= 6.0


async def test_absurd_retry_after_is_not_waited_but_reported(
    client: WriterClient, fake: FakeWriter, sleeps: Sleeps
) -> None:
    fake.enqueue(RateLimit(retry_after="86400"))
    with pytest.raises(RateLimited) as info:
        await collect(client)
    assert info.value.retry_after == 86400
    assert sleeps.delays == []
    assert len(fake.chat_requests) == 1


async def test_connection_refused_is_network_error_after_retries(
    http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = WriterClient(http, api_key=KEY, base_url=f"http://127.0.0.1:{port}", sleep=sleeps)
    with pytest.raises(NetworkError) as info:
        await collect(client)
    assert f"Could not reach Writer at http://127.0.0.1:{port}" in info.value.user_message
    # nothing listens on this computer: the internet has nothing to do with it
    assert "nothing answers at that address" in info.value.user_message
    assert "internet" not in info.value.user_message
    assert len(sleeps.delays) == 2


def test_a_refused_address_elsewhere_points_at_the_connection() -> None:
    from writer_desktop.core.api import _network_error

    refused = httpx.ConnectError("[Errno 111] Connection refused")
    told = _network_error(refused, "https://gw.example.com").user_message
    assert (
        told == "Could not reach Writer at https://gw.example.com. Check your internet connection."
    )


@pytest.mark.parametrize("mode", ["reset", "close", "end"])
@pytest.mark.parametrize("n_bytes", [1, 200, 700, 1500])
async def test_cut_stream_keeps_partial_and_is_not_retried(
    client: WriterClient, fake: FakeWriter, sleeps: Sleeps, mode: Any, n_bytes: int
) -> None:
    fake.enqueue(CutAfter(n_bytes, mode=mode, text=TEXT * 3))
    events: list[Any] = []

    async def consume() -> None:
        async with aclosing(client.stream_chat(request())) as stream:
            async for event in stream:
                events.append(event)

    with pytest.raises(StreamInterrupted) as info:
        await consume()
    partial = text_of(events)
    assert info.value.partial_text == partial
    assert (TEXT * 3).startswith(partial)
    assert len(fake.chat_requests) == 1
    assert sleeps.delays == []


async def test_stall_trips_the_idle_watchdog(fake: FakeWriter, http: httpx.AsyncClient) -> None:
    client = WriterClient(http, api_key=KEY, base_url=fake.base_url, timeouts=Timeouts(idle=0.3))
    fake.enqueue(Stall(after_bytes=400, seconds=3, text=TEXT))
    start = time.monotonic()
    with pytest.raises(StreamInterrupted, match="No data from Writer") as info:
        await collect(client)
    assert time.monotonic() - start < 2.5
    assert TEXT.startswith(info.value.partial_text)


async def test_keepalives_only_then_end_is_interrupted(
    client: WriterClient, fake: FakeWriter
) -> None:
    fake.enqueue(KeepAliveOnly(seconds=0.3, interval=0.05))
    with pytest.raises(StreamInterrupted, match="before Writer said it was finished"):
        await collect(client)


@pytest.mark.parametrize(
    "behaviour",
    [
        StreamErrorEvent(description="Model overloaded"),
        DataErrorObject(description="Model overloaded"),
    ],
)
async def test_errors_inside_the_stream(
    client: WriterClient, fake: FakeWriter, behaviour: Any
) -> None:
    fake.enqueue(behaviour)
    with pytest.raises(StreamFailed) as info:
        await collect(client)
    assert info.value.user_message == "Model overloaded"
    assert info.value.partial_text  # the tokens before the error are kept


async def test_malformed_chunk_fails_with_partial(client: WriterClient, fake: FakeWriter) -> None:
    fake.enqueue(MalformedChunk(after_tokens=2))
    with pytest.raises(StreamFailed, match="not valid JSON") as info:
        await collect(client)
    assert info.value.partial_text


async def test_cancelling_closes_the_connection(client: WriterClient, fake: FakeWriter) -> None:
    from tests.fake_writer.behaviours import Trickle

    fake.enqueue(Trickle(n=2000, delay_per_token=0.005))
    got_text = asyncio.Event()

    async def consume() -> None:
        async for event in client.stream_chat(request()):
            if isinstance(event, TextDelta):
                got_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_text.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.disconnects >= 1, 5)


def test_base_url_rules() -> None:
    assert check_base_url("https://api.writer.com/") == "https://api.writer.com"
    for ok in (
        "http://127.0.0.1:8765",
        "http://localhost:1",
        "http://[::1]:80",
        "http://127.8.9.1",
    ):
        assert check_base_url(ok)
    for bad in (
        "http://api.writer.com",
        "http://10.0.0.1",
        "ftp://x",
        "api.writer.com",
        "https://user:pw@api.writer.com",
        "http://localhost.evil.com",
        "https://x:99999",
        "https://api.writer.com?x=1",
        "https://api.writer.com/#frag",
        "https://api.writer.com/?",
        "https://api writer.com",
    ):
        with pytest.raises(ConfigError):
            check_base_url(bad)
    # The address as other clients take it, with the version: the app adds /v1 itself.
    assert check_base_url("https://api.writer.com/v1") == "https://api.writer.com"
    assert check_base_url("https://api.writer.com/V1/") == "https://api.writer.com"
    assert check_base_url("https://gw.example.com/writer/v1") == "https://gw.example.com/writer"
    assert (
        check_base_url("https://gw.example.com/writer/v10") == "https://gw.example.com/writer/v10"
    )
    # With the endpoint, as curl examples show it: it asked for /v1/chat/v1/chat, and the 404
    # read as "Choose another model".
    for copied in (
        "http://127.0.0.1:8973/v1/chat",
        "http://127.0.0.1:8973/v1/chat/",
        "http://127.0.0.1:8973/V1/Chat/Completions",
        "http://127.0.0.1:8973/v1/models",
        "http://127.0.0.1:8973/v1/completions",
    ):
        assert check_base_url(copied) == "http://127.0.0.1:8973", copied
    assert check_base_url("https://gw.example.com/chat") == "https://gw.example.com/chat"


async def test_https_to_a_plain_http_server_is_said_to_be_a_secure_connection_failure(
    fake: FakeWriter, http: httpx.AsyncClient
) -> None:
    wrong = WriterClient(http, api_key=KEY, base_url=fake.base_url.replace("http:", "https:"))
    with pytest.raises(NetworkError) as info:
        await wrong.list_models()
    assert "did not answer as an https:// server" in info.value.user_message


def test_parse_retry_after() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "-4"}) == 0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": http_date(1000.0)}, now=990.0) == pytest.approx(10)
    assert parse_retry_after({}) is None


def test_retry_policy_backoff_is_bounded() -> None:
    import random

    policy = RetryPolicy(rng=random.Random(1))
    for n in range(1, 12):
        delay = policy.delay(n, None)
        assert delay is not None
        assert delay <= 60
    assert policy.delay(1, 61) is None
    assert policy.delay(1, 60) == 60


async def test_the_key_a_gateway_repeats_in_its_error_never_reaches_the_message(
    fake: FakeWriter, client: WriterClient, sleeps: Sleeps
) -> None:
    # Some gateways answer "Token rejected: Bearer <key>": shown, saved with the reply, exported.
    echoed = f"Token rejected: Bearer {KEY}"
    fake.enqueue(Error(400, description=echoed))
    with pytest.raises(BadRequest) as refused:
        await collect(client)
    assert KEY not in refused.value.user_message
    assert KEY not in refused.value.description
    assert refused.value.user_message == "Token rejected: Bearer [redacted]"

    fake.enqueue(Error(503, description=f"Upstream said {KEY} is odd"), Reply(text="ok"))
    events = await collect(client)
    [retry] = [e for e in events if isinstance(e, RetryScheduled)]
    assert KEY not in retry.reason

    fake.enqueue(StreamErrorEvent(description=echoed))
    with pytest.raises(StreamFailed) as failed:
        await collect(client)
    assert KEY not in failed.value.user_message
    assert "[redacted]" in failed.value.user_message
    assert failed.value.partial_text  # the text before the error is kept


async def test_a_stream_compressed_by_a_proxy_is_read_decoded() -> None:
    # Read raw, a gzip-compressing proxy's reply was lost as "connection lost".
    chunk = {"choices": [{"index": 0, "delta": {"content": "Hello from a proxy."}}]}
    end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    events = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in (chunk, end))
    asked: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        asked.append(req)
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        return httpx.Response(200, headers=headers, content=gzip.compress(events))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = WriterClient(http, api_key=KEY, base_url="https://api.writer.com")
        got = await collect(client)
    assert "".join(e.text for e in got if isinstance(e, TextDelta)) == "Hello from a proxy."
    assert isinstance(got[-1], Finished)
    assert asked[0].headers["accept-encoding"] == "identity"  # asked not to, first


async def answered(content_type: str, body: bytes) -> list[Any]:
    """What the client makes of a 200 answer of ``content_type`` to a chat request."""

    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, content=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = WriterClient(http, api_key=KEY, base_url="https://gateway.example")
        return await collect(client)


async def test_a_whole_reply_in_json_is_taken_as_the_reply() -> None:
    # A server that does not stream answers with the whole reply; it was "connection lost".
    whole = {
        "object": "chat.completion",
        "choices": [
            {"index": 0, "finish_reason": "stop",
             "message": {"role": "assistant", "content": "All in one go."}}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }  # fmt: skip
    events = await answered("application/json", json.dumps(whole).encode())
    assert events[:-1] == [TextDelta("All in one go.")]
    assert isinstance(events[-1], Finished)
    assert events[-1].finish_reason == "stop"
    assert events[-1].usage is not None
    assert events[-1].usage.total_tokens == 7


async def test_a_page_where_writer_should_be_is_told_as_such() -> None:
    # A web page (a captive portal, a wrong address) was "connection lost", with Retry.
    with pytest.raises(StreamFailed) as failed:
        await answered("text/html; charset=utf-8", b"<html><h1>Welcome to nginx!</h1></html>")
    message = failed.value.user_message
    assert "https://gateway.example" in message
    assert "text/html" in message
    assert "Check the API address in Settings" in message


async def test_an_error_in_json_with_a_200_is_told_in_its_own_words() -> None:
    body = {"tpe": "InternalServerError", "errors": [{"description": "Model is warming up"}]}
    with pytest.raises(StreamFailed, match="Model is warming up"):
        await answered("application/json", json.dumps(body).encode())


async def test_a_last_event_without_its_blank_line_still_ends_the_reply() -> None:
    # The body ended right after the last data: line; the spec drops that event, and a whole
    # reply was shown as cut off.
    chunk = {"choices": [{"index": 0, "delta": {"content": "Hello world."}}]}
    end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    body = f"data: {json.dumps(chunk)}\r\n\r\ndata: {json.dumps(end)}".encode()
    events = await answered("text/event-stream", body)
    assert events == [TextDelta("Hello world."), Finished("stop", None)]


async def test_a_last_event_cut_mid_way_is_a_cut_off_reply() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "Hello"}}]}
    body = f'data: {json.dumps(chunk)}\n\ndata: {{"choices": [{{"ind'.encode()
    with pytest.raises(StreamInterrupted) as cut:
        await answered("text/event-stream", body)
    assert cut.value.partial_text == "Hello"


async def test_an_error_event_the_body_ends_on_is_told() -> None:
    body = b'event: error\ndata: {"errors": [{"description": "Overloaded"}]}'
    with pytest.raises(StreamFailed, match="Overloaded"):
        await answered("text/event-stream", body)
