"""One exclusive reply task per conversation, for the controller. asyncio only, no Qt.

Starting a reply where one is running cancels that one and lets it save (as ``stopped``) before the
new one streams. The text received so far is kept per reply, because the core copies deltas into
the message only when it saves (about once a second) and a view opened mid-stream needs all of it.
Deltas that arrive together (in one network read) are reported as one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from writer_desktop.core.api import WriterClient
from writer_desktop.core.errors import StorageError
from writer_desktop.core.models import Conversation, Message, Status
from writer_desktop.core.reply import ReplyEvent, stream_reply
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.stream import TextDelta

log = logging.getLogger(__name__)

OnEvent = Callable[[Conversation, Message, ReplyEvent], None]
OnEnd = Callable[[Conversation, Message, bool], None]  # conversation, reply, no reply runs there


class ReplyTasks:
    """Runs ``core.reply.stream_reply`` tasks; reports events and ends through callbacks."""

    def __init__(
        self, client: WriterClient, store: ConversationStore, on_event: OnEvent, on_end: OnEnd
    ) -> None:
        self._client = client
        self._store = store
        self._on_event = on_event
        self._on_end = on_end
        self._tasks: dict[str, asyncio.Task[Message]] = {}
        self._live: dict[str, Conversation] = {}
        self._streamed: dict[str, list[str]] = {}

    def is_busy(self, conv_id: str) -> bool:
        return conv_id in self._tasks

    def any_busy(self) -> bool:
        return bool(self._tasks)

    def live(self, conv_id: str) -> Conversation | None:
        """The in-memory conversation a reply is streaming into, if any."""
        return self._live.get(conv_id)

    def text_so_far(self, message_id: str) -> str | None:
        parts = self._streamed.get(message_id)
        return "".join(parts) if parts is not None else None

    def start(
        self, conv: Conversation, reply: Message, *, saved: bool = False, replace: bool = False
    ) -> None:
        """Stream ``reply`` (already the last message of ``conv``), replacing any running one;
        ``saved``: ``conv`` is on disk with ``reply`` as it is now; ``replace``: a retry, whose
        text replaces the reply's (views start it empty). See ``stream_reply``."""
        self._live[conv.id] = conv
        previous = self._tasks.get(conv.id)
        self._tasks[conv.id] = asyncio.get_running_loop().create_task(
            self._run(conv, reply, previous, saved, replace), name=f"reply-{conv.id}"
        )

    def cancel(self, conv_id: str) -> None:
        task = self._tasks.get(conv_id)
        if task is not None:
            task.cancel()

    async def stop_and_wait(self, conv_id: str) -> None:
        """Cancel the conversation's reply and wait until it has been saved."""
        task = self._tasks.get(conv_id)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def shutdown(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(
        self,
        conv: Conversation,
        reply: Message,
        previous: asyncio.Task[Message] | None,
        saved: bool = False,
        replace: bool = False,
    ) -> Message:
        streamed = self._streamed[reply.id] = ["" if replace else reply.content]
        pending: list[str] = []  # deltas not yet reported: see deliver
        loop = asyncio.get_running_loop()

        def deliver() -> None:
            """Report the pending deltas as one. A fast stream brings hundreds of deltas in one
            network read, all parsed before the loop runs again; a signal and a view update per
            delta would cost more than reading them."""
            if pending:
                text = "".join(pending)
                pending.clear()
                streamed.append(text)  # text_so_far is what views were told, no more
                self._on_event(conv, reply, TextDelta(text))

        def notify(event: ReplyEvent) -> None:
            if isinstance(event, TextDelta):
                if not pending:
                    loop.call_soon(deliver)
                pending.append(event.text)
            else:
                deliver()
                self._on_event(conv, reply, event)

        try:
            if previous is not None:  # let the stopped reply finish saving before this starts
                previous.cancel()
                await asyncio.gather(previous, return_exceptions=True)
            return await stream_reply(
                self._client, self._store, conv, reply, notify, saved=saved, replace=replace
            )
        except asyncio.CancelledError:
            if reply.status is Status.STREAMING:  # stopped before it could start
                reply.status = Status.STOPPED
                try:
                    self._store.save(conv)
                except StorageError as exc:
                    log.warning("could not save stopped reply: %s", exc)
            raise
        finally:
            deliver()
            self._streamed.pop(reply.id, None)
            last = self._tasks.get(conv.id) is asyncio.current_task()
            if last:
                del self._tasks[conv.id]
                self._live.pop(conv.id, None)
            self._on_end(conv, reply, last)
