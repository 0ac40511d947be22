"""Streaming one assistant reply into a conversation, saving as it goes. No Qt.

:func:`stream_reply` drives :meth:`WriterClient.stream_chat` and keeps the reply message honest:
``streaming`` while text arrives, then ``complete`` (with ``finish_reason`` and usage), ``stopped``
(cancelled by the user), ``interrupted`` (the connection broke; the partial text is kept) or
``error`` (nothing could be started; ``error`` says why). The conversation file is rewritten when
the reply starts and when it ends; in between, at most once per ``save_interval`` (also when the
stream stalls), the text received since the last time is appended to the store's journal
(``core.journal``), so a crash loses at most about a second of text and a long conversation is not
rewritten every second. A failed save or append (disk full) never loses the reply: it stays in
memory, the observer is told, and it is retried.

The observer receives :data:`ReplyEvent` values: ``TextDelta`` (append to the view),
``RetryScheduled`` (show a countdown), ``SaveFailed`` / ``Saved`` (disk state).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Protocol

from .api import ChatRequest, WriterClient
from .errors import StorageError, StreamError, StreamInterrupted, WriterError
from .models import Conversation, Message, Role, Status, Usage
from .stream import Finished, RetryScheduled, TextDelta

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SaveFailed:
    """Saving failed; the reply is kept in memory and saving is retried."""

    error: StorageError


@dataclass(frozen=True, slots=True)
class Saved:
    """The conversation reached the disk (after an earlier failure, the UI can clear its notice)."""


ReplyEvent = TextDelta | RetryScheduled | SaveFailed | Saved


class ConversationSaver(Protocol):
    def save(self, conv: Conversation) -> None: ...
    def append_reply(self, conv_id: str, message_id: str, at: int, text: str) -> None: ...
    def mark_streaming(self, conv_id: str) -> None: ...
    def unmark_streaming(self, conv_id: str) -> None: ...


def request_messages(conv: Conversation, reply: Message) -> list[dict[str, Any]]:
    """What the model is sent: the system prompt, then the messages before ``reply``.

    Error notices (replies that never produced text) are left out; partial replies are sent as
    they stand, since the user saw them.
    """
    out: list[dict[str, Any]] = []
    if conv.system_prompt.strip():
        out.append({"role": "system", "content": conv.system_prompt})
    for message in conv.messages:
        if message is reply:
            break
        if message.role is Role.ASSISTANT and not message.content:
            continue
        if message.role in (Role.USER, Role.ASSISTANT):
            out.append({"role": message.role.value, "content": message.content})
    return out


class _Autosave:
    """Keeps ``reply`` on disk as it streams: ``save`` rewrites the conversation (start, end),
    ``changed`` appends new text to the journal at most once per interval. Until one save with
    the reply streaming has landed, saves are retried instead of appends. After a failure it
    keeps retrying."""

    def __init__(
        self,
        store: ConversationSaver,
        conv: Conversation,
        reply: Message,
        sync: Callable[[], None],
        notify: Callable[[ReplyEvent], None],
        interval: float,
        clock: Callable[[], float],
    ) -> None:
        self._store, self._conv, self._reply = store, conv, reply
        self._sync, self._notify = sync, notify
        self.interval = interval
        self._clock = clock
        self._last = -float("inf")
        self._saved: int | None = None  # how much of the reply's text is on disk (file + journal)
        self.dirty = False
        self._failing = False

    def changed(self) -> None:
        self.dirty = True
        if self._clock() - self._last >= self.interval:
            self.append()

    def landed(self) -> None:
        """The conversation was saved with the reply as it is now, by the caller."""
        self._last = self._clock()
        self._saved = len(self._reply.content)

    def save(self) -> bool:
        """Rewrite the whole conversation."""
        self._sync()
        self._last = self._clock()
        if not self._attempt(lambda: self._store.save(self._conv)):
            return False
        self._saved = len(self._reply.content)
        return True

    def replaced(self) -> bool:
        """The reply's text was replaced (a retry's first text): rewrite; until that lands, the
        file's text is no prefix to append to, so every later write is a rewrite too."""
        self._saved = None
        return self.save()

    def append(self) -> bool:
        """Append the text since the last save or append to the journal."""
        if self._saved is None:
            return self.save()
        self._sync()
        self._last = self._clock()
        at, text = self._saved, self._reply.content[self._saved :]
        if not text:
            self.dirty = False
            return True
        if not self._attempt(
            lambda: self._store.append_reply(self._conv.id, self._reply.id, at, text)
        ):
            return False
        self._saved = at + len(text)
        return True

    def _attempt(self, write: Callable[[], None]) -> bool:
        try:
            write()
        except StorageError as exc:
            log.warning("saving conversation %s failed: %s", self._conv.id, exc)
            self.dirty = True
            self._failing = True
            self._notify(SaveFailed(exc))
            return False
        self.dirty = False
        if self._failing:
            self._failing = False
            self._notify(Saved())
        return True

    async def run(self) -> None:
        """Background saver for stalls: appends pending text once it is ``interval`` old."""
        while True:
            await asyncio.sleep(self.interval / 2)
            if self.dirty and self._clock() - self._last >= self.interval:
                self.append()


async def stream_reply(
    client: WriterClient,
    store: ConversationSaver,
    conv: Conversation,
    reply: Message,
    notify: Callable[[ReplyEvent], None],
    *,
    save_interval: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    saved: bool = False,
    replace: bool = False,
) -> Message:
    """Stream ``reply`` (already in ``conv.messages``) to its end; return it.

    ``saved``: ``conv`` was just saved with ``reply`` streaming and empty, and marked streaming
    (a new question and its reply: one rewrite, not two). ``replace``: a retry, by the
    conversation's model; the new text replaces the reply's, which is kept (with its model, in
    memory and on disk) until the first new text arrives. A retry that brings none (a network
    still down, a stop) leaves the old text, with the new failure's error; stopped, the reply
    is as it was. Cancelling the task marks the reply ``stopped`` and saves it before
    re-raising.
    """
    kept = _Kept.of(reply) if replace else None
    parts: list[str] = [reply.content] if reply.content and kept is None else []

    def sync() -> None:
        if kept is not None:
            return  # the old text stays until new text comes
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        reply.content = parts[0] if parts else ""

    saver = _Autosave(store, conv, reply, sync, notify, save_interval, clock)
    model = conv.model if replace else reply.model or conv.model  # a retry asks the model now
    request = ChatRequest(
        model=model,
        messages=request_messages(conv, reply),
        max_tokens=conv.params.max_tokens,
        temperature=conv.params.temperature,
    )
    if saved and reply.status is Status.STREAMING and not reply.content:
        store.mark_streaming(conv.id)  # already, by the caller; again, in case it was undone
        saver.landed()
    else:
        reply.status = Status.STREAMING
        reply.error = None
        reply.error_kind = None
        reply.finish_reason = None
        store.mark_streaming(conv.id)
        conv.touch()
        saver.save()
    autosave = asyncio.create_task(saver.run(), name=f"autosave-{conv.id}")
    waiting: RetryScheduled | None = None  # a retry being waited for, before any text
    try:
        async with aclosing(client.stream_chat(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                    notify(event)
                    if kept is not None:  # a retry's first text: it replaces the old, on disk too
                        kept = None
                        reply.model = model
                        saver.replaced()
                    else:
                        saver.changed()
                elif isinstance(event, RetryScheduled):
                    waiting = event if not parts else None
                    notify(event)
                elif isinstance(event, Finished):
                    reply.finish_reason = event.finish_reason
                    reply.usage = event.usage
                    reply.status = Status.COMPLETE
    except asyncio.CancelledError:
        reply.status = Status.STOPPED
        if waiting is not None and not parts and kept is None:  # why there is no text: kept
            reason = waiting.reason.rstrip(".")
            reply.error = f"Stopped while waiting to try again ({reason})."
        raise
    except StreamError as exc:
        # The parser's partial text equals what was forwarded; keep ours, which the user saw.
        reply.status = Status.INTERRUPTED if isinstance(exc, StreamInterrupted) else Status.ERROR
        reply.error = exc.user_message
        reply.error_kind = exc.kind
    except WriterError as exc:
        reply.status = Status.ERROR
        reply.error = exc.user_message
        reply.error_kind = exc.kind
    except Exception as exc:  # a bug must not lose the reply either
        log.exception("unexpected error while streaming")
        reply.status = Status.ERROR
        reply.error = f"Something went wrong ({type(exc).__name__})."
        reply.error_kind = "error"
    finally:
        autosave.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await autosave
        if kept is not None:  # a retry that brought no text: the old one stays
            kept.restore(reply)
        if reply.status is Status.STREAMING:  # ended without a finish: never shown as complete
            reply.status = Status.INTERRUPTED
            reply.error = reply.error or "The reply ended before Writer said it was finished."
            reply.error_kind = reply.error_kind or "network"
        store.unmark_streaming(conv.id)
        conv.touch()
        saver.save()
        if reply.status is not Status.COMPLETE:
            log.info("reply %s ended %s (%s)", reply.id, reply.status.value, reply.error_kind)
    return reply


@dataclass(frozen=True, slots=True)
class _Kept:
    """What a retried reply was, for a retry that brings no text."""

    status: Status
    error: str | None
    error_kind: str | None
    finish_reason: str | None
    usage: Usage | None

    @classmethod
    def of(cls, reply: Message) -> _Kept:
        return cls(reply.status, reply.error, reply.error_kind, reply.finish_reason, reply.usage)

    def restore(self, reply: Message) -> None:
        """Stopped (or finished without a word): as it was. Failed: the old text (still in
        ``reply.content``) with this failure's status and error, which the user must see."""
        if reply.status in (Status.STOPPED, Status.COMPLETE):
            reply.status, reply.error, reply.error_kind = self.status, self.error, self.error_kind
            reply.finish_reason, reply.usage = self.finish_reason, self.usage


async def save_until_saved(
    store: ConversationSaver,
    conv: Conversation,
    notify: Callable[[ReplyEvent], None],
    *,
    interval: float = 2.0,
) -> None:
    """After a reply's last save failed (disk full), try again every ``interval`` seconds until
    it works, then ``notify(Saved())``. The caller runs it as a background task; cancelling it
    (the app quitting) leaves the conversation as it is in memory."""
    while True:
        await asyncio.sleep(interval)
        try:
            store.save(conv)
        except StorageError as exc:
            log.info("conversation %s still not saved: %s", conv.id, exc)
            continue
        notify(Saved())
        return
