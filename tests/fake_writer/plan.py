"""Turn a request plus a behaviour into a :class:`Response`: a status, headers and a list of write
operations that the server executes. Pure: no sockets here."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import behaviours as b
from .sse import ChunkEncoder, chat_events, usage_object, with_keepalives
from .texts import echo_reply, last_user_text, prompt_token_count, token_stream, tokenize


@dataclass
class Send:
    """Write these body bytes (split into random pieces when the response has an ``rng``)."""

    data: bytes


@dataclass
class At:
    """Wait until ``offset`` seconds after the body started (pacing without drift)."""

    offset: float


@dataclass
class Pause:
    """Go silent for ``seconds``."""

    seconds: float


@dataclass
class Cut:
    """Drop the connection: ``reset`` (RST) or ``close`` (FIN)."""

    mode: Literal["reset", "close"]


Op = Send | At | Pause | Cut


@dataclass
class Response:
    """What to answer. ``content_length=None`` means a chunked (streamed) body."""

    status: int
    ops: list[Op]
    content_type: str = "application/json"
    content_length: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    rng: random.Random | None = None
    label: str = ""


@dataclass
class Defaults:
    """Server-wide stream defaults."""

    done_marker: bool = False
    line_ending: Literal["\n", "\r\n", "\r"] = "\n"
    keepalives: bool = True


def json_response(
    status: int, obj: Any, headers: Mapping[str, str] | None = None, label: str = ""
) -> Response:
    """A JSON answer with a Content-Length."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, [Send(body)], content_length=len(body), headers=dict(headers or {}),
                    label=label)  # fmt: skip


def error_response(err: b.Error) -> Response:
    """The answer for an :class:`~tests.fake_writer.behaviours.Error`."""
    label = f"error {err.status}"
    if err.body is None:
        return json_response(err.status, err.payload(), err.headers, label)
    body = err.body.encode() if isinstance(err.body, str) else err.body
    return Response(err.status, [Send(body)], err.content_type, len(body), dict(err.headers),
                    label=label)  # fmt: skip


def models_response(models: Sequence[Mapping[str, str]], behaviour: b.Behaviour | None) -> Response:
    """``GET /v1/models``: the list, or an error / cut / stall from ``behaviour``."""
    if isinstance(behaviour, b.Error):
        return error_response(behaviour)
    resp = json_response(200, {"models": [dict(m) for m in models]}, label="models")
    if isinstance(behaviour, b.CutAfter | b.Stall):
        resp.ops = _disrupt(_body(resp), behaviour, chunked=False)
    return resp


def _body(resp: Response) -> bytes:
    return b"".join(op.data for op in resp.ops if isinstance(op, Send))


def _disrupt(body: bytes, behaviour: b.CutAfter | b.Stall, *, chunked: bool) -> list[Op]:
    """Ops that send part of ``body`` and then cut or stall."""
    if isinstance(behaviour, b.CutAfter):
        ops: list[Op] = [Send(body[: behaviour.n_bytes])]
        if behaviour.mode != "end" or not chunked:  # a Content-Length body cannot "end" early
            ops.append(Cut("close" if behaviour.mode == "end" else behaviour.mode))
        return ops
    n = behaviour.after_bytes
    ops = [Send(body[:n]), Pause(behaviour.seconds)]
    if behaviour.then == "resume":
        ops.append(Send(body[n:]))
    elif behaviour.then == "close" or not chunked:
        ops.append(Cut("close"))
    return ops


def _reply_tokens(
    request: Mapping[str, Any], behaviour: b.Behaviour | None
) -> tuple[list[str], str]:
    """The tokens to send and the finish reason; ``max_tokens`` caps only the default echo."""
    text: str | None = getattr(behaviour, "text", None)
    finish: str = getattr(behaviour, "finish_reason", "stop")
    if isinstance(behaviour, b.Tokens):
        return token_stream(behaviour.n), finish
    if isinstance(behaviour, b.Trickle) and behaviour.n is not None and text is None:
        return token_stream(behaviour.n), finish
    if isinstance(behaviour, b.KeepAliveOnly):
        return [], finish
    if text is not None:
        return tokenize(text), finish
    tokens = tokenize(echo_reply(last_user_text(request.get("messages"))))
    limit = request.get("max_tokens")
    if isinstance(limit, int) and 0 < limit < len(tokens):
        return tokens[:limit], "length"
    return tokens, finish


def completion(request: Mapping[str, Any], text: str, finish: str, n_tokens: int) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` object."""
    message = {"role": "assistant", "content": text, "tool_calls": None,
               "graph_data": {"sources": None, "status": None, "subqueries": None},
               "refusal": None}  # fmt: skip
    return {
        "id": str(uuid.uuid4()),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model"),
        "choices": [{"index": 0, "finish_reason": finish, "message": message, "logprobs": None}],
        "usage": usage_object(prompt_token_count(request.get("messages")), n_tokens),
        "system_fingerprint": "v1",
        "service_tier": None,
    }


def chat_response(
    request: Mapping[str, Any], behaviour: b.Behaviour | None, defaults: Defaults, seed: int
) -> Response:
    """``POST /v1/chat`` for a validated ``request``."""
    if isinstance(behaviour, b.Error):
        return error_response(behaviour)
    tokens, finish = _reply_tokens(request, behaviour)
    label = type(behaviour).__name__ if behaviour else "echo"
    if not request.get("stream"):
        if isinstance(behaviour, b.StreamErrorEvent | b.DataErrorObject):
            return error_response(b.Error(500, behaviour.description, behaviour.tpe, behaviour.key))
        resp = json_response(200, completion(request, "".join(tokens), finish, len(tokens)),
                             label=label)  # fmt: skip
        if isinstance(behaviour, b.KeepAliveOnly):
            resp.ops.insert(0, Pause(behaviour.seconds))
        elif isinstance(behaviour, b.CutAfter | b.Stall):
            resp.ops = _disrupt(_body(resp), behaviour, chunked=False)
        return resp
    return _stream(request, behaviour, tokens, finish, defaults, seed, label)


def _opt(value: Any, default: Any) -> Any:
    return default if value is None else value


def _stream(
    request: Mapping[str, Any],
    behaviour: b.Behaviour | None,
    tokens: list[str],
    finish: str,
    defaults: Defaults,
    seed: int,
    label: str,
) -> Response:
    style = behaviour if isinstance(behaviour, b.StreamStyle) else b.StreamStyle()
    rng = random.Random(_opt(style.split_seed, seed))
    enc = ChunkEncoder(
        str(request.get("model")), _opt(style.line_ending, defaults.line_ending), rng
    )
    options = request.get("stream_options")
    wants_usage = isinstance(options, dict) and options.get("include_usage") is True
    usage = None
    if _opt(style.usage, wants_usage):
        usage = usage_object(prompt_token_count(request.get("messages")), len(tokens))
    done = bool(_opt(style.done_marker, defaults.done_marker))
    resp = Response(200, [], "text/event-stream", rng=rng, label=label)

    if isinstance(behaviour, b.KeepAliveOnly):
        if behaviour.text:
            resp.ops.append(Send(b"".join(chat_events(enc, tokenize(behaviour.text), None))))
        count = max(1, int(behaviour.seconds / behaviour.interval))
        for i in range(count):
            resp.ops += [At(i * behaviour.interval), Send(enc.comment())]
        resp.ops.append(At(behaviour.seconds))
        return resp
    if isinstance(behaviour, b.StreamErrorEvent | b.DataErrorObject):
        k = behaviour.after_tokens
        events = chat_events(enc, tokens[:k], None)
        error = enc.error_json(b.error_body(behaviour.description, behaviour.tpe, behaviour.key))
        is_event = isinstance(behaviour, b.StreamErrorEvent)
        events.append(enc.event(error, "error" if is_event else None))
    else:
        events = chat_events(enc, tokens, finish, usage=usage, usage_on_last=style.usage_on_last,
                             done=done)  # fmt: skip
        if isinstance(behaviour, b.MalformedChunk):
            events.insert(1 + behaviour.after_tokens, enc.event(behaviour.payload))
    if _opt(style.keepalives, defaults.keepalives):
        events = with_keepalives(events, enc)

    if isinstance(behaviour, b.Trickle):
        delay = behaviour.delay_per_token
        for i, event in enumerate(events):
            resp.ops += [At(i * delay), Send(event)]
        if behaviour.whole_events:
            resp.rng = None
    elif isinstance(behaviour, b.CutAfter | b.Stall):
        resp.ops = _disrupt(b"".join(events), behaviour, chunked=True)
    else:
        resp.ops = [Send(b"".join(events))]
        if isinstance(behaviour, b.WholeBody):
            resp.rng = None
    return resp
