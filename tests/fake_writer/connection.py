"""One client connection of the fake server: read requests, write planned responses."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Literal

from . import behaviours as b
from . import plan
from .sse import split_points
from .wire import LAST_CHUNK, HttpError, Request, frame, read_request, response_head


class Abandoned(Exception):
    """The client went away while the server was still writing."""


class Connection:
    """Serves keep-alive requests on one socket; ``answer`` turns each request into a response."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        number: int,
        answer: Callable[[Request, int], plan.Response],
        *,
        max_body: int,
        reset_grace: float,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.number = number
        self.answer = answer
        self.max_body = max_body
        self.reset_grace = reset_grace
        # drain() then waits until everything written has reached the kernel.
        writer.transport.set_write_buffer_limits(high=0)

    def gone(self) -> bool:
        """True once the client closed its side or the transport is closed."""
        return self.reader.at_eof() or self.writer.transport.is_closing()

    async def serve(self) -> None:
        """Answer requests until EOF, ``Connection: close`` or a cut; raises :class:`Abandoned`."""
        while True:
            try:
                req = await read_request(self.reader, self.writer, self.max_body)
            except HttpError as exc:
                await self.respond(plan.error_response(b.Error(exc.status, str(exc))), True)
                return
            except ConnectionError:
                return
            if req is None:
                return
            if not await self.respond(self.answer(req, self.number), req.wants_close):
                return
            if req.wants_close:
                return

    async def close(self) -> None:
        """Close gracefully (FIN after the buffer is flushed)."""
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self.writer.wait_closed(), 2)

    def abort(self) -> None:
        """Drop the connection now (no-op if already closed)."""
        self.writer.transport.abort()

    async def respond(self, resp: plan.Response, close: bool) -> bool:
        """Write ``resp``; False if the connection is no longer usable."""
        headers = [("Content-Type", resp.content_type)]
        if resp.content_length is None:
            headers += [("Transfer-Encoding", "chunked"), ("Cache-Control", "no-cache")]
        else:
            headers.append(("Content-Length", str(resp.content_length)))
        headers += list(resp.headers.items())
        headers.append(("Connection", "close" if close else "keep-alive"))
        try:
            self.writer.write(response_head(resp.status, headers))
            await self.writer.drain()
            return await self._write_body(resp)
        except ConnectionError as exc:
            raise Abandoned from exc

    async def _write_body(self, resp: plan.Response) -> bool:
        loop = asyncio.get_running_loop()
        start = loop.time()
        chunked = resp.content_length is None
        writer = self.writer
        for op in resp.ops:
            if isinstance(op, plan.Send):
                data = op.data
                pieces = (
                    [data]
                    if resp.rng is None
                    else [data[i:j] for i, j in split_points(len(data), resp.rng)]
                )
                for n, piece in enumerate(pieces, 1):
                    if self.gone():
                        raise Abandoned
                    writer.write(frame(piece) if chunked else piece)
                    await writer.drain()
                    if n % 64 == 0:
                        await asyncio.sleep(0)  # drain() may not yield: be fair to other clients
            elif isinstance(op, plan.Pause):
                await self._pause(op.seconds)
            elif isinstance(op, plan.At):
                await self._pause(start + op.offset - loop.time())
            else:
                await self._cut(op.mode)
                return False
        if chunked:
            writer.write(LAST_CHUNK)
            await writer.drain()
        return True

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, noticing a client that leaves meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            if self.gone():
                raise Abandoned
            await asyncio.sleep(min(remaining, 0.02))

    async def _cut(self, mode: Literal["reset", "close"]) -> None:
        await self.writer.drain()
        if mode == "close":
            self.writer.close()
            return
        await asyncio.sleep(self.reset_grace)  # let the client read what was sent before the RST
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
