"""Scripted behaviours for the next request(s) of a :class:`~tests.fake_writer.FakeWriter`.

Enqueue one with ``srv.enqueue(Tokens(500))``; each ``POST /v1/chat`` consumes one (FIFO). Stream
options left at ``None`` take the server's defaults. ``text=None`` means the default echo reply, the
only reply that ``max_tokens`` truncates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Literal

FinishReason = Literal["stop", "length", "content_filter", "tool_calls"]

# status -> (tpe, key, description), modelled on Writer's error bodies.
ERROR_DEFAULTS: dict[int, tuple[str, str, str]] = {
    400: ("BadRequest", "fail.badRequest", "Bad request"),
    401: ("Unauthorized", "fail.unauthorized.badToken", "Invalid token"),
    403: ("Forbidden", "fail.forbidden", "You do not have access to this resource"),
    404: ("NotFound", "fail.notFound", "Not found"),
    405: ("MethodNotAllowed", "fail.methodNotAllowed", "Method not allowed"),
    408: ("RequestTimeout", "fail.requestTimeout", "Request timed out"),
    409: ("Conflict", "fail.conflict", "Conflict"),
    413: ("PayloadTooLarge", "fail.payloadTooLarge", "Payload too large"),
    422: ("UnprocessableEntity", "fail.unprocessableEntity", "Unprocessable entity"),
    429: ("TooManyRequests", "fail.tooManyRequests.quotaExceeded", "Quota exceeded"),
    500: ("InternalServerError", "fail.internal", "Internal server error"),
    502: ("BadGateway", "fail.badGateway", "Bad gateway"),
    503: ("ServiceUnavailable", "fail.serviceUnavailable", "Service unavailable"),
    504: ("GatewayTimeout", "fail.gatewayTimeout", "Gateway timeout"),
}


@dataclass(kw_only=True)
class StreamStyle:
    """Stream options shared by every streaming behaviour (``None`` = server default)."""

    line_ending: Literal["\n", "\r\n", "\r"] | None = None
    done_marker: bool | None = None
    split_seed: int | None = None
    usage: bool | None = None  # None: follow the request's stream_options.include_usage
    usage_on_last: bool = False  # usage on the last content chunk instead of a `choices: []` one
    keepalives: bool | None = None


@dataclass
class Reply(StreamStyle):
    """Stream exactly ``text`` (tokenised) and finish with ``finish_reason``."""

    text: str | None = None
    finish_reason: FinishReason = "stop"


@dataclass
class Tokens(StreamStyle):
    """Stream ``n`` tokens from :func:`~tests.fake_writer.texts.token_stream`."""

    n: int
    finish_reason: FinishReason = "stop"


@dataclass
class Trickle(StreamStyle):
    """A paced stream (``text``, ``n`` tokens or the echo), a token per ``delay_per_token`` s.

    ``whole_events``: write each event in one piece, as a real server does, instead of splitting
    it at random bytes (for benchmarks: the splits cost the client a read per few bytes)."""

    text: str | None = None
    n: int | None = None
    delay_per_token: float = 0.001
    whole_events: bool = False


@dataclass
class WholeBody(StreamStyle):
    """The entire SSE body in a single write (one HTTP chunk)."""

    text: str | None = None
    finish_reason: FinishReason = "stop"


@dataclass
class CutAfter(StreamStyle):
    """Stream normally but cut after ``n_bytes`` body bytes.

    ``reset``: SO_LINGER 0 then close (the client sees ECONNRESET); ``close``: a clean FIN in the
    middle of the chunked body; ``end``: a clean end of the HTTP body with no ``finish_reason``.
    """

    n_bytes: int
    mode: Literal["reset", "close", "end"] = "reset"
    text: str | None = None


@dataclass
class Stall(StreamStyle):
    """Send ``after_bytes`` body bytes, go silent for ``seconds``, then ``end`` the body cleanly
    (no ``finish_reason``), ``close`` the connection, or ``resume`` the stream."""

    after_bytes: int
    seconds: float
    then: Literal["end", "close", "resume"] = "end"
    text: str | None = None


@dataclass
class KeepAliveOnly(StreamStyle):
    """Only ``: keep-alive`` comments every ``interval`` seconds for ``seconds``, then end.

    With ``text``, that text streams first (no ``finish_reason``): a reply that hangs while the
    server keeps the connection alive."""

    seconds: float
    interval: float = 1.0
    text: str | None = None


@dataclass
class StreamErrorEvent(StreamStyle):
    """``after_tokens`` tokens, then ``event: error`` with a Writer error body, then the end."""

    after_tokens: int = 3
    description: str = "Internal server error"
    tpe: str = "InternalServerError"
    key: str = "fail.internal"
    text: str | None = None


@dataclass
class DataErrorObject(StreamStyle):
    """``after_tokens`` tokens, then a plain ``data:`` line holding a Writer error body (no
    ``choices``), then the end."""

    after_tokens: int = 3
    description: str = "Internal server error"
    tpe: str = "InternalServerError"
    key: str = "fail.internal"
    text: str | None = None


@dataclass
class MalformedChunk(StreamStyle):
    """A ``data:`` line with invalid JSON after ``after_tokens`` tokens; the stream then goes on."""

    after_tokens: int = 2
    payload: str = '{"id":"broken","choices":[{"delta":{"content":"oops"'
    text: str | None = None


@dataclass
class Error:
    """A non-2xx answer with Writer's body ``{"tpe", "errors": [{description, key, extras}]}``.

    Unset fields come from :data:`ERROR_DEFAULTS`; ``body`` replaces the JSON body entirely
    (e.g. an HTML page from a proxy, with ``content_type="text/html"``).
    """

    status: int
    description: str | None = None
    tpe: str | None = None
    key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | bytes | None = None
    content_type: str = "application/json"

    def payload(self) -> dict[str, object]:
        """The JSON error body."""
        tpe, key, description = ERROR_DEFAULTS.get(self.status, ("Error", "fail.unknown", "Error"))
        return error_body(self.description or description, self.tpe or tpe, self.key or key)


def error_body(description: str, tpe: str, key: str) -> dict[str, object]:
    """Writer's error body shape."""
    return {"tpe": tpe, "errors": [{"description": description, "key": key, "extras": {}}],
            "extras": {}}  # fmt: skip


def RateLimit(
    retry_after: str | float | None = None,
    retry_after_ms: str | float | None = None,
    description: str = "Quota exceeded",
) -> Error:
    """A 429 ``fail.tooManyRequests.quotaExceeded`` with ``Retry-After`` (seconds or an HTTP date,
    see :func:`http_date`) and/or ``retry-after-ms``."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    return Error(429, description, headers=headers)


def Guardrail(description: str = "Request blocked by guardrail") -> Error:
    """A 400 ``fail.guardrail.blocked``."""
    return Error(400, description, key="fail.guardrail.blocked")


def http_date(timestamp: float) -> str:
    """An HTTP date (for ``Retry-After``) from a Unix timestamp."""
    return formatdate(timestamp, usegmt=True)


Behaviour = (
    Reply | Tokens | Trickle | WholeBody | CutAfter | Stall | KeepAliveOnly | StreamErrorEvent
    | DataErrorObject | MalformedChunk | Error
)  # fmt: skip
