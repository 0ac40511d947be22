"""A loopback TCP proxy that cuts connections after N response bytes, for fault-injection tests.

It forwards real sockets between a client and an upstream server (the fake Writer) on its own
asyncio loop and thread, so sync tests, pytest-asyncio tests and qasync GUI scenarios can all use
it. While ``cut`` is set, every response to a request that starts with ``match`` (by default
``POST /v1/chat``) is cut after ``cut.after`` bytes — the HTTP head and chunk framing included —
either with a TCP reset (``SO_LINGER`` 0, the client sees ``ECONNRESET``) or with a clean close
(FIN). Before a reset the proxy waits until the kernel has delivered every byte it let through, so
a reset never swallows bytes that were "sent": what the client can read is exactly
``responses[-1]``::

    with FaultProxy(fake.port) as proxy:
        proxy.cut = Cut(500, "reset")
        ...  # point the client at proxy.base_url
        forwarded = proxy.responses[-1]  # the bytes the client got for the last matched request

``active_connections`` counts client connections open right now (a leak shows up there).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import socket
import struct
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self


@dataclass(frozen=True)
class Cut:
    """Let ``after`` bytes of the response through, then drop the connection."""

    after: int
    mode: Literal["reset", "close"] = "reset"


class FaultProxy:
    """A threaded asyncio TCP proxy from ``127.0.0.1:<port>`` to ``upstream_host:upstream_port``."""

    def __init__(
        self,
        upstream_port: int,
        *,
        upstream_host: str = "127.0.0.1",
        match: bytes = b"POST /v1/chat ",
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.match = match
        self.port = 0
        self.cut: Cut | None = None
        self._lock = threading.Lock()
        self._responses: list[bytearray] = []
        self._active = 0
        self._total = 0
        self._cuts = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.errors: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or not self.port:
            raise RuntimeError(f"FaultProxy failed to start: {self.errors}")
        return self

    def stop(self) -> None:
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or not thread.is_alive():
            return
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):
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

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what happened ---------------------------------------------------------------------------

    @property
    def responses(self) -> list[bytes]:
        """For each matched request, the response bytes the client was sent (cut ones included)."""
        with self._lock:
            return [bytes(r) for r in self._responses]

    def clear(self) -> None:
        with self._lock:
            self._responses.clear()

    @property
    def active_connections(self) -> int:
        with self._lock:
            return self._active

    @property
    def total_connections(self) -> int:
        with self._lock:
            return self._total

    @property
    def cuts(self) -> int:
        """Connections cut so far."""
        with self._lock:
            return self._cuts

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` (blocking) until true or ``timeout``."""
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
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    # -- the proxy -------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self.errors.append(f"proxy loop crashed: {exc!r}")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            me = asyncio.current_task()
            for _ in range(3):
                tasks = [t for t in asyncio.all_tasks() if t is not me]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await asyncio.sleep(0)
            await server.wait_closed()

    async def _handle(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self._active += 1
            self._total += 1
        me = asyncio.current_task()
        if me is not None:  # asyncio keeps only weak references to tasks
            self._tasks.add(me)
            me.add_done_callback(self._tasks.discard)
        u_writer: asyncio.StreamWriter | None = None
        try:
            try:
                u_reader, u_writer = await asyncio.open_connection(*self.upstream)
            except OSError as exc:
                self.errors.append(f"upstream unreachable: {exc!r}")
                return
            c_writer.transport.set_write_buffer_limits(high=0)
            u_writer.transport.set_write_buffer_limits(high=0)
            state = _Exchange()
            up = asyncio.create_task(self._upstream(c_reader, u_writer, state))
            down = asyncio.create_task(self._downstream(u_reader, c_writer, state))
            for task in (up, down):
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            try:
                done, pending = await asyncio.wait({up, down}, return_when="FIRST_COMPLETED")
                if down in done or state.cut:
                    for task in pending:
                        task.cancel()
                    await asyncio.gather(*pending, return_exceptions=True)
                else:  # the client finished sending (EOF): let the response finish
                    await asyncio.gather(down, return_exceptions=True)
            except asyncio.CancelledError:
                up.cancel()
                down.cancel()
                await asyncio.gather(up, down, return_exceptions=True)
                raise
        except asyncio.CancelledError:
            pass  # stop(): end normally (see FakeWriter._handle)
        finally:
            if u_writer is not None:
                u_writer.transport.abort()
            c_writer.transport.abort()
            with self._lock:
                self._active -= 1

    async def _upstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: _Exchange
    ) -> None:
        """Client → server. A request starting with ``match`` arms the cut for its response."""
        try:
            while data := await reader.read(65536):
                if data.startswith(self.match):
                    with self._lock:
                        state.record = bytearray()
                        self._responses.append(state.record)
                    state.budget = self.cut.after if self.cut is not None else None
                    state.mode = self.cut.mode if self.cut is not None else "reset"
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:  # pass the client's leaving on, so the server sees the disconnect
            with contextlib.suppress(OSError, RuntimeError):
                if not writer.transport.is_closing() and writer.can_write_eof():
                    writer.write_eof()

    async def _downstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: _Exchange
    ) -> None:
        """Server → client, cutting when the armed budget runs out."""
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if state.budget is not None:
                    data = data[: state.budget]
                    state.budget -= len(data)
                if data:
                    if state.record is not None:
                        with self._lock:
                            state.record += data
                    writer.write(data)
                    await writer.drain()
                if state.budget == 0:
                    await self._cut(writer, state)
                    return
            writer.close()

    async def _cut(self, writer: asyncio.StreamWriter, state: _Exchange) -> None:
        state.cut = True
        with self._lock:
            self._cuts += 1
        if state.mode == "close":
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 2)
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            await _delivered(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()


class _Exchange:
    """Per-connection state: the armed budget and the record of the current response."""

    def __init__(self) -> None:
        self.budget: int | None = None
        self.mode: Literal["reset", "close"] = "reset"
        self.record: bytearray | None = None
        self.cut = False


async def _delivered(sock: socket.socket, timeout: float = 2.0) -> None:  # noqa: ASYNC109
    """Wait until the kernel's send queue is empty (every byte acknowledged by the peer), so a
    reset drops nothing that was let through. Linux's SIOCOUTQ; elsewhere a short grace."""
    deadline = time.monotonic() + timeout
    buf = bytearray(4)
    while time.monotonic() < deadline:
        try:
            fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf)
        except OSError:
            await asyncio.sleep(0.05)
            return
        if struct.unpack("i", buf)[0] == 0:
            return
        await asyncio.sleep(0.001)


# -- what a correct client makes of the bytes it got ---------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The reply a correct client shows for a (possibly cut) response: ``status`` is ``error``
    when not even the response head arrived, ``complete`` when a ``finish_reason`` did,
    else ``interrupted``; ``text`` is the content of every whole SSE event received."""

    status: str
    text: str
    usage: bool


def expected_reply(wire: bytes, *, clean_end: bool = False) -> Expected:
    """Decode ``wire`` (an HTTP/1.1 response with a chunked SSE body, cut anywhere) independently
    of the app's parser: only events closed by a blank line count, as the SSE rules say, and,
    where the body came to a ``clean_end``, the event it ended on if that is a whole chunk (the
    server meant it; a cut-off one is dropped)."""
    head_end = wire.find(b"\r\n\r\n")
    if head_end < 0:
        return Expected("error", "", False)
    body = dechunk(wire[head_end + 4 :])
    body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    text: list[str] = []
    finished = usage = False
    pieces = body.split(b"\n\n")
    events = pieces[:-1]  # the last piece is not closed by a blank line
    if clean_end and _whole_chunk(_data_of(pieces[-1])):
        events.append(pieces[-1])
    for event in events:
        data = _data_of(event)
        if not data or data == [b"[DONE]"]:
            continue
        chunk = json.loads(b"\n".join(data))
        usage = usage or bool(chunk.get("usage"))
        for choice in chunk["choices"]:
            text.append(choice["delta"].get("content") or "")
            finished = finished or choice.get("finish_reason") is not None
    return Expected("complete" if finished else "interrupted", "".join(text), usage)


def _data_of(event: bytes) -> list[bytes]:
    return [line[5:].removeprefix(b" ") for line in event.split(b"\n") if line[:5] == b"data:"]


def _whole_chunk(data: list[bytes]) -> bool:
    """Whether ``data`` is a whole stream chunk: a JSON object with its choices."""
    try:
        chunk = json.loads(b"\n".join(data))
    except ValueError:
        return False
    return isinstance(chunk, dict) and isinstance(chunk.get("choices"), list)


def dechunk(data: bytes) -> bytes:
    """The payload of a chunked body, as far as ``data`` goes (a partial chunk included)."""
    out = bytearray()
    pos = 0
    while (eol := data.find(b"\r\n", pos)) >= 0:
        size = int(data[pos:eol].split(b";")[0], 16)
        if size == 0:
            break
        out += data[eol + 2 : eol + 2 + size]
        pos = eol + 2 + size + 2
    return bytes(out)


def open_sockets() -> int:
    """Sockets this process holds open (Linux: ``/proc/self/fd``); -1 where that is unknown."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return -1
    count = 0
    for name in names:
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{name}").startswith("socket:")
    return count
