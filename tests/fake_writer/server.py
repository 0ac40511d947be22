"""The :class:`FakeWriter` server: real sockets and HTTP/1.1 on its own asyncio loop and thread."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from . import behaviours as b
from . import plan
from .connection import Abandoned, Connection
from .routes import CHAT, MODELS, route
from .wire import Request

DEFAULT_MODELS: tuple[tuple[str, str], ...] = (
    ("palmyra-x5", "Palmyra X5"),
    ("palmyra-x4", "Palmyra X4"),
    ("palmyra-fin", "Palmyra Fin"),
    ("palmyra-med", "Palmyra Med"),
    ("palmyra-creative", "Palmyra Creative"),
)


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server saw it (header names lower-case; ``json`` None if not JSON)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any
    time: float
    connection: int  # serial number of the TCP connection it came on


class FakeWriter:
    """A loopback fake of Writer's API for tests and manual use.

    Runs its own asyncio loop in a daemon thread, so it serves sync and async clients alike::

        with FakeWriter() as srv:
            srv.enqueue(Tokens(100))
            httpx.post(f"{srv.base_url}/v1/chat", ...)

    ``api_key=None`` accepts any ``Bearer`` key. Stream defaults (``done_marker``, ``line_ending``,
    ``keepalives``, ``seed``) apply unless a behaviour overrides them.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = "test-key",
        models: Iterable[str | Mapping[str, str]] | None = None,
        done_marker: bool = False,
        line_ending: Literal["\n", "\r\n", "\r"] = "\n",
        keepalives: bool = True,
        seed: int = 0,
        strict: bool = True,
        reset_grace: float = 0.05,
        max_body: int = 32 * 1024 * 1024,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key
        raw = models if models is not None else [{"id": i, "name": n} for i, n in DEFAULT_MODELS]
        self.models: list[dict[str, str]] = [
            {"id": m, "name": m} if isinstance(m, str) else dict(m) for m in raw
        ]
        self.defaults = plan.Defaults(done_marker, line_ending, keepalives)
        self.seed = seed
        self.strict = strict
        self.reset_grace = reset_grace
        self.max_body = max_body
        self._log = log
        self._lock = threading.Lock()
        self._queues: defaultdict[str, deque[b.Behaviour]] = defaultdict(deque)
        self._requests: list[RecordedRequest] = []
        self._disconnects = 0
        self._active = 0
        self._total = 0
        self._streams = 0
        self.errors: list[str] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread; returns once listening."""
        if self._thread is not None:
            raise RuntimeError("FakeWriter already started")
        self._thread = threading.Thread(target=self._run, name="fake-writer", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._startup_error is not None or not self._ready.is_set():
            self._thread.join(5)
            raise RuntimeError("FakeWriter failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        """Close every connection, stop the loop and join the thread (idempotent)."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or not thread.is_alive():
            return
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(stop.set)
        thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (valid once started)."""
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by start(), or kept for the test to inspect
            if not self._ready.is_set():
                self._startup_error = exc
            self.errors.append(f"server loop crashed: {exc!r}")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            server = await asyncio.start_server(self._handle, self.host, self.port)
        except OSError as exc:
            self._startup_error = exc
            return
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            me = asyncio.current_task()
            for _ in range(3):  # handlers may still be starting for just-accepted connections
                tasks = [t for t in asyncio.all_tasks() if t is not me]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await asyncio.sleep(0)
            await server.wait_closed()

    # -- scripting and recording -----------------------------------------------------------------

    def enqueue(self, *behaviours: b.Behaviour, path: str = CHAT) -> None:
        """Queue behaviours for the next requests to ``path`` (FIFO, one per request)."""
        with self._lock:
            self._queues[path].extend(behaviours)

    def enqueue_models(self, *behaviours: b.Behaviour) -> None:
        """Queue behaviours (``Error``, ``CutAfter``, ``Stall``) for ``GET /v1/models``."""
        self.enqueue(*behaviours, path=MODELS)

    def pending(self, path: str = CHAT) -> int:
        """How many queued behaviours remain for ``path``."""
        with self._lock:
            return len(self._queues[path])

    def reset(self) -> None:
        """Forget queued behaviours, recorded requests and counters (not open connections)."""
        with self._lock:
            self._queues.clear()
            self._requests.clear()
            self._disconnects = 0
            self.errors.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Recorded ``POST /v1/chat`` requests."""
        return [r for r in self.requests if r.path == CHAT]

    @property
    def disconnects(self) -> int:
        """Responses the client abandoned before the server finished writing."""
        with self._lock:
            return self._disconnects

    @property
    def active_connections(self) -> int:
        """Connections open right now."""
        with self._lock:
            return self._active

    @property
    def total_connections(self) -> int:
        """Connections accepted since start."""
        with self._lock:
            return self._total

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until true or ``timeout``; returns its last value. Blocking: in async
        tests use :meth:`wait_for_async` so the client's loop keeps running."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    async def wait_for_async(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - mirrors wait_for
    ) -> bool:
        """:meth:`wait_for` for async tests."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    def _note(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    def _record(self, req: Request, connection: int) -> None:
        parsed: Any = None
        if req.body:
            with contextlib.suppress(ValueError):
                parsed = json.loads(req.body)
        rec = RecordedRequest(
            req.method, req.path, req.query, dict(req.headers), req.body, parsed, time.time(),
            connection,
        )  # fmt: skip
        with self._lock:
            self._requests.append(rec)

    def _pop(self, path: str) -> b.Behaviour | None:
        with self._lock:
            queue = self._queues.get(path)
            return queue.popleft() if queue else None

    def _next_seed(self) -> int:
        with self._lock:
            self._streams += 1
            return self.seed * 1_000_003 + self._streams

    # -- connections -----------------------------------------------------------------------------

    def _answer(self, req: Request, connection: int) -> plan.Response:
        self._record(req, connection)
        try:
            resp = route(
                req, api_key=self.api_key, models=self.models, strict=self.strict, pop=self._pop,
                next_seed=self._next_seed, defaults=self.defaults,
            )  # fmt: skip
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test
            self.errors.append(f"routing {req.method} {req.target} failed: {exc!r}")
            resp = plan.error_response(b.Error(500, f"Fake Writer bug: {exc!r}"))
        self._note(f"{req.method} {req.target} -> {resp.status} {resp.label}")
        return resp

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self._active += 1
            self._total += 1
            number = self._total
        conn = Connection(reader, writer, number, self._answer, max_body=self.max_body,
                          reset_grace=self.reset_grace)  # fmt: skip
        try:
            await conn.serve()
            await conn.close()
        except Abandoned:
            with self._lock:
                self._disconnects += 1
            self._note(f"connection {number}: client left before the response was complete")
        except asyncio.CancelledError:
            # stop() cancels handlers. Python 3.11's start_server calls task.exception() on the
            # finished handler task, which raises (and logs an error) if the task was cancelled;
            # 3.12 checks task.cancelled() first. So end normally: the loop is shutting down anyway.
            pass
        except Exception as exc:
            self.errors.append(f"handler failed: {exc!r}")
        finally:
            conn.abort()
            with self._lock:
                self._active -= 1
