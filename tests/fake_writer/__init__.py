"""A loopback fake of Writer's chat API, for tests and for trying the app without a real key.

It speaks real HTTP/1.1 over real sockets (standard library only) and reproduces the quirks of
Writer's streams described in ``writer-api.md``: a fresh UUID ``id`` per chunk,
``"role":"assistant"`` in every delta, an empty first chunk, content on the ``finish_reason``
chunk, usage on a ``"choices": []`` chunk, no ``data: [DONE]`` by default, ``: keep-alive``
comments, any line ending, and a body written in pieces split at arbitrary bytes (inside UTF-8
characters too), seeded.

In tests::

    from tests.fake_writer import FakeWriter, Tokens, Error, CutAfter

    with FakeWriter() as srv:                 # or: async with FakeWriter() as srv
        srv.enqueue(Error(429), Tokens(500))  # the next two POST /v1/chat requests
        ...                                   # point the client at srv.base_url, key "test-key"
        assert srv.requests[0].json["stream"] is True

Queued behaviours win over magic prompts; ``max_tokens`` only truncates the default echo reply
(finish ``length``). In async tests use ``await srv.wait_for_async(...)`` rather than the blocking
``srv.wait_for(...)``. ``srv.errors`` lists anything that went wrong inside the fake itself.

By hand, from the repository root::

    python -m tests.fake_writer [--port 8765] [--key test-key | --any-key] [--done] [--crlf | --cr]
    WRITER_BASE_URL=http://127.0.0.1:8765 WRITER_API_KEY=test-key writer-desktop

Then send a magic prompt (the whole message) to pick a behaviour: ``/help`` lists them —
``/tokens 20000``, ``/error 429``, ``/error 401``, ``/cut 300``, ``/stall 30``, ``/slow 50``,
``/length``, ``/filter``, ``/streamerror``, ``/markdown``, ``/hostile`` and more. Any other prompt
gets ``Echo: <prompt>`` plus a short Markdown paragraph and a code block.
"""

from .behaviours import (
    ERROR_DEFAULTS,
    Behaviour,
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
    StreamStyle,
    Tokens,
    Trickle,
    WholeBody,
    error_body,
    http_date,
)
from .server import DEFAULT_MODELS, FakeWriter, RecordedRequest
from .texts import echo_reply, token_stream, tokenize

__all__ = [
    "DEFAULT_MODELS",
    "ERROR_DEFAULTS",
    "Behaviour",
    "CutAfter",
    "DataErrorObject",
    "Error",
    "FakeWriter",
    "Guardrail",
    "KeepAliveOnly",
    "MalformedChunk",
    "RateLimit",
    "RecordedRequest",
    "Reply",
    "Stall",
    "StreamErrorEvent",
    "StreamStyle",
    "Tokens",
    "Trickle",
    "WholeBody",
    "echo_reply",
    "error_body",
    "http_date",
    "token_stream",
    "tokenize",
]
