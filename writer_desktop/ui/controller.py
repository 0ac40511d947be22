"""The one bridge between asyncio and Qt: conversations, reply tasks and model list.

Widgets call the controller's slots and listen to its signals, which carry plain data (ids, text,
copies of core dataclasses); they never touch the store or the client. Each conversation has at
most one running reply task (:class:`~.reply_tasks.ReplyTasks`); Stop or a new send cancels it,
and the cancelled reply is saved as ``stopped``.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import os
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from writer_desktop.core.api import WriterClient
from writer_desktop.core.autostart import Autostart
from writer_desktop.core.errors import (
    AuthError,
    MissingKey,
    StorageError,
    UnusableKey,
    WriterError,
)
from writer_desktop.core.export import Format, export_to_file, export_to_folder
from writer_desktop.core.importer import ImportReport, Outcome, import_steps
from writer_desktop.core.model_cache import ModelCache
from writer_desktop.core.models import Conversation, Message, Params, Role, Status
from writer_desktop.core.reply import ReplyEvent, Saved, SaveFailed, save_until_saved
from writer_desktop.core.secrets import KeyLookup, KeySource, KeyStore
from writer_desktop.core.settings import Settings, SettingsFile, effective_base_url
from writer_desktop.core.store import (
    ConversationNotFound,
    ConversationStore,
    CorruptConversation,
)
from writer_desktop.core.stream import RetryScheduled, TextDelta
from writer_desktop.core.titles import clip, shown_title
from writer_desktop.core.trash import Trashed, TrashEntry
from writer_desktop.core.versions import (
    VersionError,
    branch_copy,
    edit_message,
    last_message_id,
    regenerate,
    switch_version,
)

from .reply_tasks import ReplyTasks

log = logging.getLogger(__name__)
T = TypeVar("T")

FALLBACK_MODELS = ("palmyra-x5", "palmyra-x4", "palmyra-fin", "palmyra-med", "palmyra-creative")
TITLE_LENGTH = 60
CONTINUE_PROMPT = "Please continue exactly where you stopped."


def title_from(text: str) -> str:
    """A conversation title from its first prompt: the first line, shortened."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return clip(line, TITLE_LENGTH)


class Controller(QObject):
    """Owns the open conversation and the reply tasks; reports through signals."""

    conversations_changed = Signal(object)  # core.listing.Listing
    conversation_opened = Signal(object)  # Conversation (a copy)
    version_shown = Signal(str, str)  # conversation id, message id now shown at a switched place
    message_added = Signal(str, object)  # conversation id, Message (a copy)
    message_changed = Signal(str, object)  # conversation id, Message (a copy) in its new state
    reply_delta = Signal(str, str, str)  # conversation id, message id, text
    retry_scheduled = Signal(str, float, str)  # conversation id, seconds, reason
    busy_changed = Signal(str, bool)  # conversation id, a reply is streaming
    deleted = Signal(list)  # ids of one delete, now in the trash (restore() undoes it)
    send_accepted = Signal()
    models_loaded = Signal(list, str)  # model ids, the open conversation's model
    notice = Signal(str)  # something the user should know (status bar)
    problem = Signal(str)  # an error the user must see (the problem bar over the prompt)
    problem_in_folder = Signal(str, object)  # the same, naming files in that folder (a Path)
    problem_solved = Signal(str)  # a problem told before no longer holds (a save worked since)
    settings_changed = Signal(object)  # Settings, saved and in force
    key_changed = Signal(object)  # KeyLookup describing the key in use (never the key itself)
    # A key must be asked for: conversation id and reply id to send again once there is one
    # ("" for none), and why (the key was removed, or Writer rejected the saved one).
    key_needed = Signal(str, str, str)
    # Writer refused the key in use for this reply (conversation id, reply id): it offers
    # "Update key"; if a new key is being asked for already, it is sent again with it.
    key_refused = Signal(str, str)
    stopping = Signal()  # shutdown() begins: the app is ending, however it ends

    def __init__(
        self,
        store: ConversationStore,
        client: WriterClient,
        settings: Settings,
        parent: QObject | None = None,
        *,
        keys: KeyStore | None = None,
        settings_file: SettingsFile | None = None,
        environ: Mapping[str, str] | None = None,
        autostart: Autostart | None = None,
        model_cache: ModelCache | None = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(parent)
        # What you write is sent to Writer and saved with the conversation: your API key is
        # taken out of it first (``Redactor.without_secrets``), so it never reaches a file.
        self._redact = redact or (lambda text: text)
        self._store = store
        self._client = client
        self._settings = settings
        self._keys = keys
        self._settings_file = settings_file
        self._autostart = autostart
        self._environ = os.environ if environ is None else environ
        self.key_info = KeyLookup(None, KeySource.NONE)
        self._replies = ReplyTasks(client, store, self._on_reply_event, self._on_reply_end)
        self._current: Conversation | None = None
        self._unsent: Conversation | None = None  # the new conversation last shown (no file yet)
        self._background: set[asyncio.Task[None]] = set()
        self._unsaved: dict[str, Conversation] = {}  # conversations whose last save failed
        self._save_problems: dict[str, str] = {}  # conversation id: the failed save's problem told
        self._saving: set[str] = set()  # … being saved again in the background
        self._exporting = False  # a several-conversation export runs in the background
        self._importing = False  # so does an import
        self._gone_told: str | None = None  # "no longer exists", told until another opens
        self._model_cache = model_cache
        cached = model_cache.load() if model_cache is not None else None
        self.models: list[str] = cached or list(FALLBACK_MODELS)

    # -- queries ------------------------------------------------------------------------------

    @property
    def current_id(self) -> str | None:
        return self._current.id if self._current else None

    def current_conversation(self) -> Conversation | None:
        """A copy of the open conversation, as it stands."""
        return self._snapshot(self._current) if self._current else None

    def is_busy(self, conv_id: str) -> bool:
        return self._replies.is_busy(conv_id)

    def last_message_id(self, role: Role) -> str | None:
        """The open conversation's last displayed message by ``role`` (for shortcuts)."""
        return last_message_id(self._current, role) if self._current else None

    # -- start and stop -----------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    def start(self, prefer: str | None = None, *, new_first: bool = False) -> None:
        """Open ``prefer`` if it exists, else a new conversation if ``new_first`` (one was being
        written), else the newest conversation (or a new one). Needs no key.
        :meth:`sync_store` completes the start: the whole list."""
        # The file is asked when the listing cache does not know it (a cache deleted or rebuilt:
        # "always safe" must not lose the user's place).
        if prefer is not None and (
            self._store.summary(prefer) is not None or self._store.exists(prefer)
        ):
            self.open_conversation(prefer)
            return
        newest = [] if new_first else self._store.list(1)  # the full list: sync_store()
        if newest:
            self.open_conversation(newest[0].id)
        else:
            self.new_conversation()

    def sync_store(self) -> None:
        """Check the listing cache against the folder (files changed while the app was closed)
        and publish the whole list; problems found are left in the store's list."""
        try:
            self._store.sync()
        except StorageError as exc:
            self.problem.emit(exc.user_message)
        self._publish_list()

    def use_key(self, key: str, info: KeyLookup) -> None:
        """The key to talk to Writer with (``info`` says where it lives); fetch the models."""
        self._client.set_api_key(key)
        self.key_info = info
        self.key_changed.emit(info)
        self.spawn(self._load_models())

    def forget_key(self) -> None:
        """Remove the key from the keyring (and memory); the user is asked for a new one."""
        if self._keys is not None:
            self.spawn(self._forget_key())

    async def _forget_key(self) -> None:
        assert self._keys is not None
        if self.key_info.source is KeySource.SESSION:  # never in the keyring: only forget it
            self._keys.forget_session()
            done = "The API key given for this session is no longer used."
        else:
            try:
                await self._keys.forget_async()
            except WriterError as exc:
                told = f"The key could not be removed: {exc.user_message}"
                self.problem.emit(told)
                # Also where the user asked (Settings, which is modal over the problem bar).
                self.key_changed.emit(dataclasses.replace(self.key_info, problem=told))
                return
            done = "The API key was removed from the keyring."
        self._client.set_api_key("")
        self.key_info = KeyLookup(None, KeySource.NONE)
        self.key_changed.emit(self.key_info)
        self.notice.emit(done)

    def apply_settings(self, settings: Settings) -> None:
        """Save new settings and put them in force (API address, defaults for new chats)."""
        try:
            base_url = effective_base_url(settings, self._environ)
        except WriterError as exc:
            self.problem.emit(exc.user_message)
            return
        if self._autostart is not None:  # first: what is saved is what it could do
            try:
                if settings.start_at_login:
                    self._autostart.enable()
                elif self._autostart.enabled():
                    self._autostart.disable()
            except StorageError as exc:
                self.problem.emit(f"Start at login could not be changed: {exc.user_message}")
                settings = dataclasses.replace(settings, start_at_login=self._autostart.enabled())
        if self._settings_file is not None:
            try:
                self._settings_file.save(settings)
            except StorageError as exc:
                self.problem.emit(f"Settings were not saved: {exc.user_message}")
                return
        base_changed = base_url != self._client.base_url
        self._client.set_base_url(base_url)
        self._client.timeouts = dataclasses.replace(
            self._client.timeouts, idle=settings.idle_timeout
        )
        old, self._settings = self._settings, settings
        self._renew_unsent(old, settings)
        self.settings_changed.emit(settings)
        if base_changed and self._client.has_key:
            self.spawn(self._load_models())

    def _renew_unsent(self, old: Settings, new: Settings) -> None:
        """The new conversation not sent yet takes new defaults where it has the old ones (a
        model or sampling the user picked for it stays)."""
        conv = self._unsent
        if conv is None or conv.messages:
            return
        was = Params(temperature=old.temperature, max_tokens=old.max_tokens)
        changed = False
        if conv.model == old.default_model != new.default_model:
            conv.model, changed = new.default_model, True
        now = Params(temperature=new.temperature, max_tokens=new.max_tokens)
        if conv.params == was != now:
            conv.params, changed = now, True
        if changed and conv is self._current:
            self._show(conv)  # the composer's model and options show them

    async def shutdown(self) -> None:
        """Stop every reply (each is saved as stopped) and background job; wait for them."""
        self.stopping.emit()
        await self._replies.shutdown()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    def must_settle(self) -> bool:
        """Whether quitting needs :meth:`stop_replies` first: a reply streams (its last save, as
        stopped, may fail) or a conversation's text is only in memory (its save failed)."""
        return bool(self._unsaved) or self._replies.any_busy()

    async def stop_replies(self) -> None:
        """Stop every reply; each is saved as stopped, or kept for :meth:`save_unsaved`."""
        await self._replies.shutdown()

    def save_unsaved(self) -> str | None:
        """Try once more to save what could not be; None when all is on disk, else why not."""
        reason = None
        for conv in list(self._unsaved.values()):
            try:
                self._store.save(conv)
            except StorageError as exc:
                reason = exc.user_message
                continue
            self._saved(conv.id)
            self.notice.emit("Saved.")
        return reason

    def unsaved_titles(self) -> list[str]:
        """The titles of the conversations whose text is only in memory, as listed."""
        return [shown_title(conv.title) for conv in self._unsaved.values()]

    # -- conversations ------------------------------------------------------------------------

    @property
    def data_folder(self) -> Path:
        """Where the conversations are kept (Help ▸ About shows it)."""
        return self._store.root

    def new_conversation(self) -> None:
        """Show a new conversation. One shown before and left without a message comes back as
        it was left: its model, system prompt and sampling, as its unsent text does (drafts)."""
        conv = self._unsent
        if conv is None or conv.messages:
            s = self._settings
            params = Params(temperature=s.temperature, max_tokens=s.max_tokens)
            conv = self._unsent = Conversation(model=s.default_model, params=params)
        self._show(conv)

    def open_conversation(self, conv_id: str) -> None:
        if self._current is not None and self._current.id == conv_id:
            self._withdraw_gone()
            return
        conv = self._replies.live(conv_id)
        if conv is None:
            try:
                conv = self._store.load(conv_id)
            except StorageError as exc:
                if isinstance(exc, CorruptConversation):  # kept aside there: Show folder
                    self.problem_in_folder.emit(exc.user_message, self._store.conversations_dir)
                else:
                    self.problem.emit(exc.user_message)
                if isinstance(exc, ConversationNotFound):
                    self._gone_told = exc.user_message
                self._publish_list()
                return
        self._show(conv)
        self._withdraw_gone()
        if conv.read_only:  # said when it opens, not only when a send or a rename is refused
            self.notice.emit(
                f"“{shown_title(conv.title)}” was saved by a newer version of Writer Desktop: "
                "you can read and export it here, not change it."
            )

    def _withdraw_gone(self) -> None:
        """A conversation told gone is no problem once the user has opened another one."""
        if self._gone_told is not None:
            self.problem_solved.emit(self._gone_told)
            self._gone_told = None

    def rename(self, conv_id: str, title: str) -> None:
        conv = self._conversation(conv_id)
        if conv is None or not self._writable(conv):  # its title stays: nothing was renamed
            return
        title = self._without_key(title.strip(), "title")
        if not title:  # a blank name gives back the one the first prompt gave, not "Untitled"
            first = next((m.content for m in conv.messages if m.role is Role.USER), "")
            title = self._without_key(title_from(first), "title")
        conv.title = title
        self._save(conv)
        self._publish_list()

    def set_pinned(self, conv_id: str, pinned: bool) -> None:
        """Pinned conversations stay at the top of the list."""
        conv = self._conversation(conv_id)
        if conv is None or conv.pinned == pinned or not self._writable(conv):
            return
        conv.pinned = pinned
        if self._save(conv):
            self._publish_list()

    def set_system_prompt(self, text: str) -> str:
        """The open conversation's instructions to the model, sent before every message;
        returns them as kept (without the API key)."""
        conv = self._current
        text = self._without_key(text, "system prompt")
        if conv is None or conv.system_prompt == text:
            return text
        conv.system_prompt = text
        if conv.messages:
            self._save(conv)
        return text

    def set_params(self, temperature: float, max_tokens: int) -> None:
        """Sampling for the open conversation's next replies."""
        conv = self._current
        params = Params(temperature=round(temperature, 2), max_tokens=max_tokens)
        if conv is None or conv.params == params:
            return
        conv.params = params
        if conv.messages:
            self._save(conv)

    def export(
        self, conv_ids: Sequence[str], target: Path, fmt: Format, *, replace: bool = True
    ) -> None:
        """Write conversations as Markdown or JSON: one to the file ``target`` (the user chose
        it and, with ``replace``, agreed to replace it; otherwise a taken name gets `` (2)``),
        several into the folder ``target`` (never overwriting), in the background."""
        if len(conv_ids) != 1:
            if self._exporting:
                self.notice.emit("An export is already running.")
            else:
                self._exporting = True
                self.spawn(self._export_many(list(conv_ids), target, fmt))
            return
        conv = self._conversation(conv_ids[0])
        if conv is None:
            return
        try:  # a streaming reply as far as it has arrived
            path = export_to_file(self._snapshot(conv), target, fmt, force=replace)
        except WriterError as exc:
            self.problem.emit(f"Export stopped: {exc.user_message}")
            return
        self.notice.emit(f"Exported 1 conversation to {path}")

    async def _export_many(self, conv_ids: list[str], folder: Path, fmt: Format) -> None:
        """Export into ``folder`` in slices of ~30 ms: 10,000 conversations took 13 s in one go,
        the window frozen (and a streaming reply with it). Progress goes to the status bar."""
        written = 0
        slices = _Slices(lambda n: self.notice.emit(f"Exporting… {n:,} of {len(conv_ids):,}"))
        try:
            for n, conv_id in enumerate(conv_ids, start=1):
                conv = self._conversation(conv_id)
                if conv is not None:
                    export_to_folder(self._snapshot(conv), folder, fmt)
                    written += 1
                await slices.done(n)
        except WriterError as exc:
            self.problem.emit(f"Export stopped after {written:,} conversation(s): "
                              f"{exc.user_message}")  # fmt: skip
            return
        finally:
            self._exporting = False
        if written:
            self.notice.emit(f"Exported {written:,} conversation(s) to {folder}")

    def export_all(self, folder: Path, fmt: Format) -> None:
        self.export([s.id for s in self._store.list()], folder, fmt)

    def import_files(self, paths: Sequence[Path]) -> None:
        """Add conversations from exported JSON files (nothing is overwritten), in the
        background: the summary goes to the status bar, files that failed to the problem bar."""
        if self._importing:
            self.notice.emit("An import is already running.")
            return
        self._importing = True
        self.spawn(self._import_many(list(paths)))

    async def _import_many(self, paths: list[Path]) -> None:
        """Import in slices of ~30 ms, as exports run: 3,000 files froze the window for 25 s,
        and a second launch meanwhile, unanswered, started a second app."""
        report = ImportReport()
        slices = _Slices(lambda n: self.notice.emit(f"Importing… {n:,} of {len(paths):,}"))
        try:
            for n, _ in enumerate(import_steps(self._store, paths, report), start=1):
                await slices.done(n)
        finally:
            self._importing = False
            self._publish_list()
        done = len(report.done)
        skipped = sum(r.outcome is Outcome.SKIPPED for r in report.done)
        new = done - skipped
        summary = f"Imported {new:,} conversation(s)" if new else "Nothing new was imported"
        if skipped:
            summary += f", {skipped:,} already here" if new else f": {skipped:,} already here"
        if report.failed:
            reasons = "\n".join(f"{path.name}: {reason}" for path, reason in report.failed)
            self.problem.emit(f"{summary}. These files could not be imported:\n{reasons}")
        else:
            self.notice.emit(summary + ".")

    def delete(self, conv_ids: Sequence[str], then_open: str | None = None) -> None:
        """Move ``conv_ids`` to the trash as one delete; running replies are stopped (and
        saved) first. If the open conversation is among them, ``then_open`` opens next (the one
        below them in the list), else a new one."""
        busy = [conv_id for conv_id in conv_ids if self.is_busy(conv_id)]
        if busy:
            self.spawn(self._delete_after_stop(list(conv_ids), busy, then_open))
        else:
            self._delete_now(conv_ids, then_open)

    async def _delete_after_stop(
        self, conv_ids: list[str], busy: list[str], then_open: str | None
    ) -> None:
        for conv_id in busy:
            await self._replies.stop_and_wait(conv_id)
        self._delete_now(conv_ids, then_open)

    def _delete_now(self, conv_ids: Sequence[str], then_open: str | None) -> None:
        try:
            deleted, failed = self._store.delete_many(conv_ids)
        except StorageError as exc:
            self.problem.emit(exc.user_message)
            return
        if failed:
            self.problem.emit("\n".join(dict.fromkeys(exc.user_message for _, exc in failed)))
        if not deleted:
            return
        self._publish_list()  # once: per conversation, a Del on 10,000 took minutes
        self.deleted.emit(deleted)
        if self.current_id in deleted:
            self._current = None
            if then_open is not None and then_open not in deleted and self._store.exists(then_open):
                self.open_conversation(then_open)
            if self._current is None:  # none to open, or it could not be read (it said so)
                self.new_conversation()

    def restore(self, conv_ids: Sequence[str]) -> None:
        """Undo the last delete of ``conv_ids`` (one Del, maybe on several) and open the first."""
        self._restore([(conv_id, None) for conv_id in conv_ids])

    def restore_from_trash(self, entries: Sequence[TrashEntry]) -> None:
        """Put ``entries`` back among the conversations and open the first one restored."""
        self._restore([(entry.id, entry) for entry in entries])

    def _restore(self, wanted: Sequence[tuple[str, TrashEntry | None]]) -> None:
        restored: list[str] = []
        failed: list[str] = []
        copies = 0
        try:
            results = self._store.restore_many(wanted)
        except StorageError as exc:  # the trash could not be listed
            results = [(conv_id, exc) for conv_id, _ in wanted]
        for conv_id, now in results:
            if isinstance(now, StorageError):
                failed.append(now.user_message)
            else:
                restored.append(now)
                copies += now != conv_id
        if restored:
            self._publish_list()
            self.open_conversation(restored[0])
        if failed:
            self.problem.emit("\n".join(dict.fromkeys(failed)))
        elif copies:
            which = "it" if len(restored) == 1 else f"{copies} of the {len(restored)}"
            self.notice.emit(
                f"Restored; {which} as a copy, since a conversation with the same id is here again."
            )
        elif len(restored) > 1:
            self.notice.emit(f"Restored {len(restored)} conversations.")

    def trash_contents(self) -> list[Trashed]:
        """What is in the trash, most recently deleted first (empty, and said, if unreadable)."""
        try:
            return self._store.trash_contents()
        except StorageError as exc:
            self.problem.emit(exc.user_message)
            return []

    def delete_for_good(self, entries: Sequence[TrashEntry]) -> list[TrashEntry]:
        """Remove ``entries`` from the trash now (they cannot be restored after this); return
        those removed: all, or those before one that could not be."""
        removed: list[TrashEntry] = []
        for entry in entries:
            try:
                self._store.delete_for_good(entry)
            except StorageError as exc:
                self.problem.emit(exc.user_message)
                break
            removed.append(entry)
        return removed

    def set_model(self, model: str) -> None:
        conv = self._current
        if conv is None or not model or conv.model == model:
            return
        conv.model = model
        if conv.messages:
            self._save(conv)

    # -- replies ------------------------------------------------------------------------------

    def send(self, text: str) -> None:
        """Add ``text`` as a user message and stream a reply; the composer clears on acceptance."""
        if self._current is not None and text.strip() and self._send(self._current, text):
            self.send_accepted.emit()

    def quick_send(self, text: str) -> str | None:
        """Ask from the quick prompt: a new conversation of its own, saved like any other.

        The main window keeps showing what it showed; returns the new conversation's id, or
        None when the message could not be saved.
        """
        if not text.strip():
            return None
        s = self._settings
        conv = Conversation(
            model=s.default_model, params=Params(temperature=s.temperature, max_tokens=s.max_tokens)
        )
        return conv.id if self._send(conv, text) else None

    def continue_reply(self, message_id: str, conv_id: str | None = None) -> None:
        """Ask for the rest of a reply cut off at the length limit (a visible user message)."""
        conv = self._conversation(conv_id) if conv_id else self._current
        if conv is None or not conv.messages or conv.messages[-1].id != message_id:
            self.notice.emit("Only the latest reply can be continued.")
        elif not self.is_busy(conv.id):
            self._send(conv, CONTINUE_PROMPT)

    def _without_key(self, text: str, what: str = "message") -> str:
        clean = self._redact(text)
        if clean != text:
            self.notice.emit(
                f"Your API key was taken out of the {what}: it would have been saved with the "
                "conversation" + (", and sent to Writer." if what != "title" else ".")
            )
        return clean

    def _send(self, conv: Conversation, text: str) -> bool:
        if not self._writable(conv):
            return False
        text = self._without_key(text)
        self._replies.cancel(conv.id)
        user = Message(Role.USER, text)
        reply = Message(Role.ASSISTANT, "", model=conv.model, status=Status.STREAMING)
        conv.messages += [user, reply]
        title = conv.title
        if not conv.title:
            conv.title = title_from(text)
        # One save for the question and the reply it starts (a rewrite of a 2,000-message
        # conversation takes ~45 ms here). Marked first: nothing may take the new reply for one
        # left by a crash and mark it interrupted.
        self._store.mark_streaming(conv.id)
        conv.touch()
        if not self._save(conv):
            conv.messages.remove(user)
            conv.messages.remove(reply)
            conv.title = title
            if not self._replies.is_busy(conv.id):  # a reply being stopped still writes
                self._store.unmark_streaming(conv.id)
            return False
        self.message_added.emit(conv.id, copy.deepcopy(user))
        self.message_added.emit(conv.id, copy.deepcopy(reply))
        self._start_reply(conv, reply, saved=True)
        return True

    def retry(self, message_id: str, conv_id: str | None = None) -> None:
        """Stream a failed or interrupted reply again. Text it had is kept as an earlier version
        (‹ 1/2 ›), as Regenerate keeps a reply: a retry cut short in turn replaced a long
        partial answer with a shorter one. A reply with no text is streamed again in place."""
        conv = self._conversation(conv_id) if conv_id else self._current
        if conv is None or self.is_busy(conv.id):
            return
        reply = next((m for m in conv.messages if m.id == message_id), None)
        if reply is None:  # another version is shown there now (switched in the main window)
            self.notice.emit(
                "That reply is no longer the one shown in its conversation: open the "
                "conversation to retry the version shown there."
            )
            return
        if reply.role is not Role.ASSISTANT:
            return
        if reply.content.strip():
            if not self._writable(conv):
                return
            new = self._apply(lambda: regenerate(conv, message_id, conv.model))
            if new is None:
                return
            if conv is self._current:
                self._show(conv)
            self.message_changed.emit(conv.id, copy.deepcopy(new))  # the quick prompt's answer
            self._start_reply(conv, new)
            return
        shown = copy.deepcopy(reply)  # the view starts the retry empty, by the model now
        shown.content, shown.usage, shown.error, shown.model = "", None, None, conv.model
        shown.status = Status.STREAMING
        self.message_changed.emit(conv.id, shown)
        self._start_reply(conv, reply, replace=True)

    # -- versions: nothing is destroyed (core.versions) ----------------------------------------

    def edit_message(self, message_id: str, text: str) -> None:
        """Resend your message ``message_id`` as ``text``; the old one and what followed it are
        kept as a version. A running reply is stopped (and saved) first, as for a send."""
        conv = self._current
        if conv is None or not text.strip() or not self._writable(conv):
            return
        self._replies.cancel(conv.id)
        text = self._without_key(text)
        if not self._apply(lambda: edit_message(conv, message_id, text)):
            return
        self._save(conv)  # if it fails, the reply's own saves keep trying
        self._show(conv)
        reply = Message(Role.ASSISTANT, "", model=conv.model, status=Status.STREAMING)
        conv.messages.append(reply)
        self.message_added.emit(conv.id, copy.deepcopy(reply))
        self._start_reply(conv, reply)

    def regenerate(self, message_id: str) -> None:
        """Stream a new reply in place of ``message_id``; the old one is kept as a version."""
        conv = self._current
        busy = conv is not None and self._refuse_busy(conv, "regenerating")
        if conv is None or busy or not self._writable(conv):
            return
        reply = self._apply(lambda: regenerate(conv, message_id, conv.model))
        if reply is not None:
            self._show(conv)
            self._start_reply(conv, reply)

    def regenerate_last(self) -> None:
        reply_id = self.last_message_id(Role.ASSISTANT)
        if reply_id is not None:
            self.regenerate(reply_id)

    def switch_version(self, message_id: str, delta: int) -> None:
        """Show an older (``delta`` −1) or newer (+1) version at ``message_id``'s place; saved."""
        conv = self._current
        busy = conv is not None and self._refuse_busy(conv, "switching versions")
        if conv is None or busy or not self._writable(conv):
            return
        shown = self._apply(lambda: switch_version(conv, message_id, delta))
        if shown is None:
            return
        if not self._save(conv):
            shown = switch_version(conv, shown.id, -delta)  # as it was, as on disk
        self._show(conv)
        self.version_shown.emit(conv.id, shown.id)

    def branch_from(self, message_id: str) -> None:
        """Open a new conversation with copies of the messages up to ``message_id``."""
        conv = self._current
        if conv is None:
            return
        branch = self._apply(lambda: branch_copy(self._snapshot(conv), message_id))
        if branch is not None and self._save(branch):
            self._publish_list()
            self._show(branch)
            self.notice.emit(f"Started “{branch.title}”.")

    def _apply(self, operation: Callable[[], T]) -> T | None:
        try:
            return operation()
        except VersionError as exc:
            self.notice.emit(str(exc))
            return None

    def _writable(self, conv: Conversation) -> bool:
        if conv.read_only:
            self.problem.emit(
                f"“{shown_title(conv.title)}” was saved by a newer version of Writer Desktop "
                "and is read-only here."
            )
        return not conv.read_only

    def _refuse_busy(self, conv: Conversation, doing: str) -> bool:
        if self.is_busy(conv.id):
            self.notice.emit(f"Stop the reply or let it finish before {doing}.")
        return self.is_busy(conv.id)

    def stop(self, conv_id: str | None = None) -> None:
        """Stop the reply streaming in ``conv_id`` (default: the open conversation)."""
        target = conv_id or self.current_id
        if target is not None:
            self._replies.cancel(target)

    # -- internals ----------------------------------------------------------------------------

    def _snapshot(self, conv: Conversation) -> Conversation:
        """A copy with streaming replies' text up to the last delta (the core syncs on save)."""
        snapshot = copy.deepcopy(conv)
        for message in snapshot.messages:
            text = self._replies.text_so_far(message.id)
            if text is not None:
                message.content = text
        return snapshot

    def _show(self, conv: Conversation) -> None:
        self._current = conv
        self.conversation_opened.emit(self._snapshot(conv))
        self.busy_changed.emit(conv.id, self.is_busy(conv.id))
        self.models_loaded.emit(self.models, conv.model)

    def _conversation(self, conv_id: str) -> Conversation | None:
        if self._current is not None and self._current.id == conv_id:
            return self._current
        live = self._replies.live(conv_id)
        if live is not None:
            return live
        try:
            return self._store.load(conv_id)
        except StorageError as exc:
            self.problem.emit(exc.user_message)
            return None

    def _save(self, conv: Conversation) -> bool:
        try:
            self._store.save(conv)
        except StorageError as exc:
            self._save_failed(conv.id, exc.user_message)
            return False
        finally:
            self._tell_outside_changes()
        self._saved(conv.id)
        return True

    def _tell_outside_changes(self) -> None:
        """A file another program changed while it was open here (a sync tool, an editor) was
        kept aside by the save that replaced it: say so, and where."""
        for change in self._store.take_outside_changes():
            conv_id = change.path.name.removesuffix(".json")
            listed = self._store.summary(conv_id)
            name = f"“{shown_title(listed.title)}”" if listed else change.path.name
            kept = change.moved_to.name if change.moved_to else "beside it"
            self.problem_in_folder.emit(
                f"{name} was changed by another program while it was open here. It was saved "
                f"as shown here; the other version was kept as {kept} in the conversations "
                "folder.",
                change.path.parent,
            )

    def _save_failed(self, conv_id: str, problem: str) -> None:
        """Told in the bar once per conversation and problem (a reply's saves are tried again
        every second); what was told before about it is withdrawn."""
        told = self._save_problems.get(conv_id)
        if told != problem:
            if told is not None:
                self.problem_solved.emit(told)
            self._save_problems[conv_id] = problem
            self.problem.emit(problem)

    def _saved(self, conv_id: str) -> None:
        """The conversation is on disk as it is: nothing said about its saves holds any more,
        nor about those of conversations with nothing left unsaved (a send refused on a full
        disk: its text went back to the prompt; the disk takes files again)."""
        self._unsaved.pop(conv_id, None)
        stale = [c for c in self._save_problems if c == conv_id or c not in self._unsaved]
        for stale_id in stale:
            self.problem_solved.emit(self._save_problems.pop(stale_id))

    def _publish_list(self) -> None:
        try:
            self.conversations_changed.emit(self._store.listing())
        except StorageError as exc:
            self.problem.emit(exc.user_message)

    def _start_reply(
        self, conv: Conversation, reply: Message, *, saved: bool = False, replace: bool = False
    ) -> None:
        """Stream ``reply``; ``saved``: the conversation is on disk with it as it is now;
        ``replace``: a retry (see :func:`~writer_desktop.core.reply.stream_reply`)."""
        self._replies.start(conv, reply, saved=saved, replace=replace)
        self.busy_changed.emit(conv.id, True)
        self._publish_list()

    def _on_reply_event(self, conv: Conversation, reply: Message, event: ReplyEvent) -> None:
        if isinstance(event, TextDelta):
            self.reply_delta.emit(conv.id, reply.id, event.text)
        elif isinstance(event, RetryScheduled):
            self.retry_scheduled.emit(conv.id, event.delay, retry_reason(event))
        elif isinstance(event, SaveFailed):
            self._unsaved[conv.id] = conv
            self.notice.emit(f"{event.error.user_message} Your reply is kept; retrying.")
            # Also in the bar, which stays: the notice went after a few seconds.
            told = (
                f"The reply in “{shown_title(conv.title)}” is not saved yet. "
                f"{event.error.user_message} It is kept, and saved once it can be."
            )
            self._save_failed(conv.id, told)
        elif isinstance(event, Saved):
            self._saved(conv.id)
            self.notice.emit("Saved.")

    def _on_reply_end(self, conv: Conversation, reply: Message, idle: bool) -> None:
        if conv.id in self._unsaved and conv.id not in self._saving:
            # The last save failed too (the disk is still full): keep trying in the background.
            self._saving.add(conv.id)

            async def keep_saving() -> None:
                try:
                    await save_until_saved(
                        self._store, conv, lambda e: self._on_reply_event(conv, reply, e)
                    )
                finally:
                    self._saving.discard(conv.id)

            self.spawn(keep_saving())
        if idle:
            self.busy_changed.emit(conv.id, False)
        self._tell_outside_changes()  # the reply's saves, at its start and end
        self.message_changed.emit(conv.id, copy.deepcopy(reply))
        self._publish_list()
        if reply.error_kind == "auth" and not self._client.has_key:  # the key was removed
            self.key_needed.emit(conv.id, reply.id, "")
        elif reply.error_kind == "auth":
            self.key_refused.emit(conv.id, reply.id)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a background job that ``shutdown`` cancels and waits for."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _load_models(self) -> None:
        try:
            models = [m.id for m in await self._client.list_models()]
        except MissingKey:
            return  # nothing to ask with; the key is asked for when a message needs it
        except AuthError as exc:  # the saved key no longer works: say so now, not at a send
            log.info("the API key was rejected: %s", exc.user_message)
            which = {
                KeySource.ENVIRONMENT: "the API key in WRITER_API_KEY",
                KeySource.SESSION: "the API key given for this session",
            }.get(self.key_info.source, "the saved API key")
            reason = exc.user_message.rstrip()
            ended = reason if reason.endswith((".", "!", "?")) else f"{reason}."
            if isinstance(exc, UnusableKey):  # never sent: Writer did not reject it
                self.key_needed.emit(
                    "", "", f"{which[0].upper()}{which[1:]} cannot be used: {ended}"
                )
            else:
                self.key_needed.emit("", "", f"Writer rejected {which}: {ended}")
            return
        except WriterError as exc:
            log.info("model list unavailable: %s", exc.user_message)
            known = "the built-in" if self.models == list(FALLBACK_MODELS) else "the last known"
            self.notice.emit(f"Offline: using {known} model list.")
            return
        if models:
            self.models = models
            if self._model_cache is not None:
                self._model_cache.save(models)
        current = self._current.model if self._current else self._settings.default_model
        self.models_loaded.emit(self.models, current)


EXPORT_SLICE = 0.03  # s of exporting (or importing) between two turns of the event loop


class _Slices:
    """Long work on the loop's thread, in slices of ``EXPORT_SLICE``: Qt's events run between
    them (the window draws, a second launch is answered), and ``tell(n)`` says how far it got
    every half second."""

    def __init__(self, tell: Callable[[int], None]) -> None:
        self._tell = tell
        self._loop = asyncio.get_running_loop()
        self._told = self._sliced = self._loop.time()

    async def done(self, n: int) -> None:
        """``n`` items are done: let the loop turn if this slice is used up."""
        now = self._loop.time()
        if now - self._sliced <= EXPORT_SLICE:
            return
        if now - self._told > 0.5:
            self._tell(n)
            self._told = now
        await asyncio.sleep(0.001)  # a timer: Qt's events run before the next slice
        self._sliced = self._loop.time()


def retry_reason(event: RetryScheduled) -> str:
    """What the countdown says went wrong: rate limiting reads differently from an outage."""
    if event.status == 429:
        return f"Rate limited: {event.reason}"
    if event.status is None:
        return f"Connection problem: {event.reason}"
    return event.reason
