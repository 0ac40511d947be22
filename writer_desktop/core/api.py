"""The Writer API client: model list and streamed chat completions over an injected httpx client.

``WriterClient.stream_chat`` is an async generator of :mod:`~writer_desktop.core.stream` events.
Failures before any reply byte (connection errors, timeouts, 408/409/429/5xx) are retried at most
``RetryPolicy.max_attempts`` times; each wait is announced as a ``RetryScheduled`` event so the UI
can show a countdown, and cancelling the consumer cancels the wait. Once reply bytes have arrived
nothing is retried: a broken stream raises ``StreamInterrupted`` carrying the partial text.

Close the generator when leaving early (``contextlib.aclosing``): that closes the connection, so
the server sees the disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import math
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from .. import __version__
from .api_key import key_problem
from .base_url import DEFAULT_BASE_URL, check_base_url, is_loopback_url
from .errors import (
    ApiError,
    AuthError,
    BadRequest,
    Forbidden,
    MissingKey,
    ModelNotFound,
    NetworkError,
    RateLimited,
    RetryableStatus,
    ServerError,
    StreamError,
    StreamFailed,
    StreamInterrupted,
    StreamStalled,
    UnusableKey,
    WriterError,
)
from .logs import without_secret
from .sse import ServerSentEvent, SSEDecoder
from .stream import ChunkParser, Finished, RetryScheduled, StreamEvent, TextDelta, error_description

log = logging.getLogger(__name__)

USER_AGENT = f"writer-desktop/{__version__}"
_MAX_ERROR_BODY = 64 * 1024
_MAX_WHOLE_BODY = 16 * 1024 * 1024  # a whole (non-streamed) reply; a page is cut, and refused


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What one reply is asked for. ``messages`` are ``{"role", "content"}`` dicts."""

    model: str
    messages: list[dict[str, Any]]
    max_tokens: int
    temperature: float = 0.7

    def payload(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": self.messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most ``max_attempts`` tries; waits ``base · 2ⁿ`` (× 0.75–1.0 jitter) or Retry-After."""

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, failed_attempts: int, retry_after: float | None) -> float | None:
        """Seconds to wait before the next try, or None when the server asks for too long."""
        if retry_after is not None:
            return float(retry_after) if 0 <= retry_after <= self.max_delay else None
        backoff = min(self.base_delay * 2.0 ** (failed_attempts - 1), self.max_delay)
        return backoff * self.rng.uniform(0.75, 1.0)


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 5.0
    idle: float = 90.0
    """Longest silence allowed between reply bytes (and before the first)."""
    write: float = 30.0

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.idle, write=self.write, pool=5.0)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        with contextlib.suppress(ValueError):
            if math.isfinite(seconds := float(ms) / 1000):  # "inf", "nan", "1e999" mean nothing
                return max(0.0, seconds)
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AuthError,
    403: Forbidden,
    404: ModelNotFound,
    408: RetryableStatus,
    409: RetryableStatus,
    422: BadRequest,
    429: RateLimited,
}

_FALLBACK_MESSAGES = {
    400: "Writer refused the request as invalid.",
    401: "Writer rejected the API key.",
    403: "This API key is not allowed to do that.",
    404: "Writer does not know this model. Choose another model.",
    408: "Writer timed out waiting for the request.",
    409: "Writer reported a conflict; try again.",
    413: "The conversation is too large for one request.",
    422: "Writer could not process the request.",
    429: "Rate limit reached.",
}


def error_from_response(status: int, body: bytes, headers: Mapping[str, str]) -> ApiError:
    """Map an error response to the error tree, with Writer's description as the message."""
    try:
        parsed: Any = json.loads(body.decode("utf-8", "replace")) if body else None
    except (ValueError, RecursionError):
        parsed = None
    fallback = _FALLBACK_MESSAGES.get(status) or (
        "Writer's servers had a problem." if status >= 500 else f"Writer answered HTTP {status}."
    )
    description, tpe, key = error_description(parsed, fallback)
    cls = _STATUS_ERRORS.get(status) or (ServerError if status >= 500 else ApiError)
    return cls(status, description, tpe=tpe, key=key, retry_after=parse_retry_after(headers))


def _network_error(exc: httpx.HTTPError, base_url: str) -> NetworkError:
    """What the user is told, naming an API address of their own. A refused certificate (or an
    https:// address that is no https server) is not tried again: the next try meets the same."""
    writer = "Writer" if base_url == DEFAULT_BASE_URL else f"Writer at {base_url}"
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(f"Could not reach {writer}: the connection timed out.")
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError("Writer did not answer in time.")
    if not isinstance(exc, httpx.ConnectError):
        return NetworkError("The connection to Writer was lost.")
    text = str(exc).upper()
    if "CERTIFICATE" in text:
        refused = "Could not connect securely: the server's certificate is not trusted."
    elif "SSL" in text or "TLS" in text:  # e.g. https:// to a server that speaks plain http
        refused = (
            "Could not connect securely: the server did not answer as an https:// server. "
            "Check the API address in Settings."
        )
    elif is_loopback_url(base_url):  # nothing listens on this computer: no internet involved
        return NetworkError(f"Could not reach {writer}: nothing answers at that address.")
    else:
        return NetworkError(f"Could not reach {writer}. Check your internet connection.")
    error = NetworkError(refused)
    error.retryable = False
    return error


_E = TypeVar("_E", bound=WriterError)


def _without_key(error: _E, key: str) -> _E:
    """``error`` without ``key`` (nor a bearer token) in the words the server gave it: a gateway
    may repeat the Authorization header in its error, which is shown, saved with the reply and
    exported."""
    args = tuple(without_secret(a, key) if isinstance(a, str) else a for a in error.args)
    if args != error.args:
        error.args = args
        if isinstance(error, ApiError):
            error.description = without_secret(error.description, key)
    return error


class WriterClient:
    """Talks to Writer's API. The key is held privately and never appears in a repr or log."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._key = api_key
        self.base_url = check_base_url(base_url)
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"WriterClient(base_url={self.base_url!r})"

    def set_api_key(self, api_key: str) -> None:
        self._key = api_key

    def with_key(self, api_key: str) -> WriterClient:
        """The same client (connection pool, address, policies) with another key, to check it."""
        return WriterClient(
            self._http, api_key=api_key, base_url=self.base_url, retry=self.retry,
            timeouts=self.timeouts, sleep=self._sleep,
        )  # fmt: skip

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    def set_base_url(self, base_url: str) -> None:
        self.base_url = check_base_url(base_url)

    def _request(self, method: str, path: str, body: Any = None) -> httpx.Request:
        headers = {
            "Authorization": f"Bearer {self._key}",
            "User-Agent": USER_AGENT,
            "Accept": "text/event-stream" if body is not None else "application/json",
        }
        if body is not None:  # a compressed stream comes in lumps: events wait for a block
            headers["Accept-Encoding"] = "identity"
        return self._http.build_request(
            method,
            self.base_url + path,
            json=body,
            headers=headers,
            timeout=self.timeouts.httpx(),
        )

    async def list_models(self) -> list[ModelInfo]:
        """``GET /v1/models``. Also the cheapest way to validate a key (401 → AuthError)."""
        for attempt in range(1, self.retry.max_attempts + 1):
            outcome = await self._try_once("GET", "/v1/models", None, attempt)
            if isinstance(outcome, RetryScheduled):
                await self._sleep(outcome.delay)
                continue
            try:
                await outcome.aread()
            except httpx.HTTPError as exc:
                raise _network_error(exc, self.base_url) from None
            finally:
                await outcome.aclose()
            try:
                data = json.loads(outcome.content)
            except (ValueError, RecursionError):
                data = None
            return _parse_models(data)
        raise AssertionError("unreachable")  # pragma: no cover

    async def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        """Stream one reply: ``TextDelta``…, then ``Finished``; ``RetryScheduled`` before retries.

        Raises an :class:`ApiError`/:class:`NetworkError` when no reply could be started, and a
        :class:`StreamError` (with ``partial_text``) when one broke off.
        """
        payload = request.payload()
        for attempt in range(1, self.retry.max_attempts + 1):
            outcome = await self._try_once("POST", "/v1/chat", payload, attempt)
            if isinstance(outcome, RetryScheduled):
                yield outcome
                await self._sleep(outcome.delay)
                continue
            stream = _is_event_stream(outcome)
            reader = self._read_stream(outcome) if stream else self._read_whole(outcome)
            async with aclosing(reader) as events:
                try:
                    async for event in events:
                        yield event
                except StreamError as exc:  # event: error, in the server's words
                    raise _without_key(exc, self._key) from exc.__cause__
            return

    async def _try_once(
        self, method: str, path: str, body: Any, attempt: int
    ) -> httpx.Response | RetryScheduled:
        """One attempt: a 2xx response (unread), a scheduled retry, or the final error raised."""
        if not self._key:  # removed by the user: an empty bearer would only fail as "no network"
            raise MissingKey()
        problem = key_problem(self._key)
        if problem:  # httpx could not encode it, and its error quoted the key
            raise UnusableKey(problem)
        error: WriterError
        try:
            response = await self._http.send(self._request(method, path, body), stream=True)
        except httpx.HTTPError as exc:
            log.info("%s %s attempt %d failed: %s", method, path, attempt, type(exc).__name__)
            error = _network_error(exc, self.base_url)
        else:
            if response.is_success:
                return response
            try:
                raw = await _read_limited(response)
            except httpx.HTTPError:
                raw = b""
            finally:
                await response.aclose()
            error = error_from_response(response.status_code, raw, response.headers)
            error = _without_key(error, self._key)
            log.info("%s %s attempt %d: HTTP %d %s", method, path, attempt,
                     response.status_code, getattr(error, "key", None))  # fmt: skip
        retry_after = error.retry_after if isinstance(error, ApiError) else None
        retryable = bool(getattr(error, "retryable", False))
        delay = self.retry.delay(attempt, retry_after) if retryable else None
        if delay is None or attempt >= self.retry.max_attempts:
            raise error
        status = error.status if isinstance(error, ApiError) else None
        # The countdown shows the wait itself: Writer's description, without "asks to wait …".
        reason = error.description if isinstance(error, ApiError) else error.user_message
        return RetryScheduled(attempt, self.retry.max_attempts, delay, reason, status)

    async def _read_whole(self, response: httpx.Response) -> AsyncGenerator[StreamEvent, None]:
        """A 2xx answer that is no event stream: Writer's whole reply as one JSON body (a server
        that does not stream), an error in JSON, or something else at the address (a web page,
        a proxy's): all of them were "connection lost"."""
        try:
            raw = await _read_limited(response, _MAX_WHOLE_BODY)
        except httpx.HTTPError as exc:
            raise StreamInterrupted(_network_error(exc, self.base_url).user_message) from None
        finally:
            await response.aclose()
        try:
            body = json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError):
            body = None
        parser = ChunkParser()
        choices = body.get("choices") if isinstance(body, dict) else None
        if isinstance(body, dict) and isinstance(choices, list) and choices:
            chunk = {**body, "choices": [_as_delta(choice) for choice in choices]}
            for delta in parser.feed(ServerSentEvent(json.dumps(chunk))):
                yield delta
            yield parser.finished() or Finished("stop", parser.usage)  # a whole reply
            return
        if isinstance(body, dict) and any(k in body for k in ("tpe", "errors", "error")):
            parser.feed(ServerSentEvent(raw.decode("utf-8", "replace"), event="error"))  # raises
        kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
        raise StreamFailed(
            f"The server at {self.base_url} did not answer as Writer does: it sent {kind}, not a "
            "reply. Check the API address in Settings."
        )

    async def _read_stream(self, response: httpx.Response) -> AsyncGenerator[StreamEvent, None]:
        decoder = SSEDecoder()
        parser = ChunkParser()
        watchdog = _TextWatchdog(self.timeouts.idle)
        chunks = _body(response)
        try:
            loop = asyncio.get_running_loop()
            caught_up: float | None = None  # when a read last had to wait for the network
            since = 0  # bytes read since then
            resumed = False  # the next read collects what gathered during a pause
            # The text of the read that caught up, shown with what gathers during the pause: one
            # render a round, at the round (see _GATHER), not a straggler's 50 ms later.
            held: list[TextDelta] = []
            while not parser.done:
                try:
                    raw = await watchdog.next(chunks)
                except StopAsyncIteration:
                    last: StreamFailed | None = None
                    for sse in decoder.finish():  # an event the body ended without a blank line
                        try:
                            held += parser.feed(sse)
                        except StreamFailed as exc:
                            # Cut off mid-way: the reply is (below); an error event stands.
                            last = exc if sse.event == "error" else None
                    for delta in held:
                        yield delta
                    if last is not None:
                        raise last from None
                    break
                since += len(raw)
                pause = False
                if watchdog.last_wait > _WAITED and not resumed:  # caught up with the network
                    now = loop.time()
                    if caught_up is None:  # the first time: only start measuring
                        caught_up, since = now, 0
                    elif now - caught_up >= _JUDGE:
                        pause = since < _TRICKLE * (now - caught_up)  # a trickle: let it gather
                        caught_up, since = now, 0
                resumed = False
                deltas, held = held, []
                try:
                    for sse in decoder.decode(raw):
                        new = parser.feed(sse)
                        if new:
                            watchdog.text_arrived()
                            deltas += new
                        if parser.done:
                            break
                except StreamFailed:  # the text before the bad event is kept
                    for delta in deltas:
                        yield delta
                    raise
                if pause and not parser.done:  # then read what gathered in one go
                    held = deltas
                    slept = loop.time()
                    await asyncio.sleep(_GATHER)  # a stop meanwhile drops ``held``, never shown
                    watchdog.waited += loop.time() - slept  # waiting for text all the same
                    resumed = True
                else:
                    for delta in deltas:
                        yield delta
        except (httpx.HTTPError, TimeoutError) as exc:
            for delta in held:  # what arrived before the break is kept
                yield delta
            if parser.finish_reason is None:
                if not isinstance(exc, httpx.TimeoutException | TimeoutError):
                    message = "The connection was lost before the reply finished."
                elif watchdog.trickling:  # keep-alives (or empty chunks) but no text
                    message = (
                        f"Writer kept the connection open but sent no text for "
                        f"{self.timeouts.idle:g} s; the reply was cut off."
                    )
                else:
                    message = (
                        f"No data from Writer for {self.timeouts.idle:g} s; the reply was cut off."
                    )
                stalled = isinstance(exc, httpx.TimeoutException | TimeoutError)
                kind = StreamStalled if stalled else StreamInterrupted
                raise kind(message, parser.text) from None
            log.info("connection closed uncleanly after finish_reason; reply is complete")
        finally:
            watchdog.close()
            close = getattr(chunks, "aclose", None)
            if close is not None:
                with contextlib.suppress(httpx.HTTPError):
                    await close()
            await response.aclose()
        finished = parser.finished()
        if finished is None:
            raise StreamInterrupted(
                "The reply ended before Writer said it was finished.", parser.text
            )
        yield finished


_WAITED = 0.0003  # a read that took longer waited for the network (buffered data takes µs)
_TRICKLE = 640_000  # bytes/s: slower is a trickle (~1,500 of Writer's ~400-byte events a second)
_JUDGE = 0.02  # s: the shortest stretch a rate is judged on (a slow start is no trickle)
_GATHER = 0.08
"""While a reply trickles in, sleep this long each time the reads catch up with the network, then
read what gathered meanwhile in one go. A wake-up costs far more than parsing what it brings: at
1,000 tokens/s, one per event takes a fifth of a core. A gathering round costs three wake-ups (the
sleep's timer, the read of what gathered, the read that finds the network drained), so about 40
a second. The read right after a sleep always waits a little (the socket is watched again), which
is not a sign of having caught up. Nothing is drawn more often than this anyway: the chat view
renders at most 12.5 times a second (``ui.chat_view.FLUSH_MS``), as soon as a round arrives."""


class _TextWatchdog:
    """The idle timeout on reply *text*, not on bytes.

    httpx's read timeout restarts with every byte, so a server that sends only ``: keep-alive``
    comments (or empty chunks) would hold a reply open forever. This allows ``idle`` seconds of
    waiting on the network between two pieces of text (and before the first); time the consumer
    spends between reads does not count.
    """

    def __init__(self, idle: float) -> None:
        self.idle = idle
        self.waited = 0.0
        self.last_wait = 0.0
        self._loop = asyncio.get_running_loop()  # made per reply, in the task that reads it
        # One timer per reply, not one per read: at 1,000 events/s a timeout per read is a
        # thousand timers a second, and under qasync a cancelled one stays registered with Qt
        # until it would have fired. The deadline only moves later, so the timer re-arms itself.
        self._deadline: float | None = None  # while a read waits: when the budget runs out
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None
        self._expired = False

    @property
    def trickling(self) -> bool:
        """Bytes kept coming (the last silence was short), only no text among them."""
        return self.last_wait < self.idle / 2

    def text_arrived(self) -> None:
        self.waited = 0.0

    async def next(self, chunks: AsyncIterator[bytes]) -> bytes:
        """The next piece of the body; ``TimeoutError`` once the text budget is spent."""
        loop = self._loop
        start = loop.time()
        self._deadline = start + max(0.0, self.idle - self.waited)
        if self._task is None:
            self._task = asyncio.current_task()
        if self._timer is None:
            self._timer = loop.call_at(self._deadline, self._check)
        try:
            raw = await anext(chunks)
        except asyncio.CancelledError:  # by _check (then a timeout), or by someone else
            if self._expired and self._task is not None and self._task.uncancel() == 0:
                raise TimeoutError from None
            raise
        finally:
            self._deadline = None
            self.last_wait = loop.time() - start
            self.waited += self.last_wait
        return raw

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        self._timer = None
        if self._deadline is None or self._task is None:
            return  # not waiting now: the next read arms the timer again
        if self._loop.time() >= self._deadline:
            self._expired = True
            self._task.cancel()
        else:
            self._timer = self._loop.call_at(self._deadline, self._check)


def _body(response: httpx.Response) -> AsyncIterator[bytes]:
    """The response body as it comes, one piece per read of the transport.

    ``response.stream`` itself rather than ``aiter_raw()``, which wraps it in one more async
    generator (and a chunker that passes each piece on as it is): a paced reply comes as ~1,000
    pieces a second, each passed up through every layer. The transport's own wrapper still maps
    httpcore's errors to httpx's. Marked consumed as ``aiter_raw`` would.
    """
    if response.headers.get("content-encoding", "identity").strip().lower() != "identity":
        # Compressed although asked not to (a proxy): decoded by httpx. Read raw, every reply
        # through it was lost as "connection lost".
        return response.aiter_bytes()
    stream = response.stream
    if not isinstance(stream, httpx.AsyncByteStream):
        return response.aiter_raw()  # raises as httpx does
    response.is_stream_consumed = True
    return aiter(stream)


async def _read_limited(response: httpx.Response, limit: int = _MAX_ERROR_BODY) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[:limit]


def _is_event_stream(response: httpx.Response) -> bool:
    """Whether a 2xx answer is a stream of events (or does not say what it is)."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("", "text/event-stream")


def _as_delta(choice: Any) -> Any:
    """A whole reply's choice (``message``) in the shape of a stream chunk's (``delta``)."""
    if isinstance(choice, dict) and "delta" not in choice:
        return {**choice, "delta": choice.get("message")}
    return choice


def _parse_models(data: Any) -> list[ModelInfo]:
    items = data.get("models") if isinstance(data, dict) else None
    if items is None and isinstance(data, dict):
        items = data.get("data")  # the OpenAI shape, should Writer ever adopt it
    if not isinstance(items, list):
        raise ServerError(200, "Writer sent an unreadable model list.")
    models: list[ModelInfo] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
            name = item.get("name")
            models.append(
                ModelInfo(item["id"], name if isinstance(name, str) and name else item["id"])
            )
    return models


__all__ = [
    "DEFAULT_BASE_URL",
    "ChatRequest",
    "ModelInfo",
    "RetryPolicy",
    "TextDelta",
    "Timeouts",
    "WriterClient",
    "check_base_url",
    "error_from_response",
    "parse_retry_after",
]
