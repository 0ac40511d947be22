"""Headless commands: ``export``, ``import``, ``search`` and ``list``. No display, no Qt, no key.

``export``, ``search`` and ``list`` read conversations through ``ReadOnlyStore``: they take no
lock, so they work while Writer Desktop runs. ``import`` writes through ``ConversationStore`` and
so needs the data folder to itself. Exit status: 0 done, 1 something could not be read or written
(the rest was done), 2 a usage error: bad arguments, an unknown or ambiguous id, the app running.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
from pathlib import Path
from typing import BinaryIO, TextIO, cast

from writer_desktop.core.errors import AlreadyLocked, StorageError, WriterError
from writer_desktop.core.export import (
    EXTENSIONS,
    Format,
    export_to_file,
    export_to_folder,
    render,
)
from writer_desktop.core.filenames import safe_stem
from writer_desktop.core.importer import Outcome, import_files
from writer_desktop.core.models import Conversation
from writer_desktop.core.paths import AppPaths
from writer_desktop.core.readonly import ConversationNotFound, ReadOnlyStore
from writer_desktop.core.search import SEARCH_NAME, SearchIndex, snippet_parts
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.titles import BIDI_CONTROLS, shown_title

__all__ = ["run"]

RUNNING = "Writer Desktop is running; import from its File menu, or close it first."
PROG = "writer-desktop"
# Control characters, lone surrogates, and bidirectional controls (which reorder what follows
# them on the terminal's line: a title could show text that is not there).
_UNPRINTABLE = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{BIDI_CONTROLS}]")


class UsageError(Exception):
    """Bad arguments: reported on stderr with exit status 2."""


def run(args: argparse.Namespace, paths: AppPaths | None = None) -> int:
    """Run ``args.command``; return the exit status."""
    paths = paths or AppPaths.from_env()
    for stream in (sys.stdout, sys.stderr):  # a title the console cannot encode must not crash
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    commands = {"export": _export, "import": _import, "search": _search, "list": _list}
    if args.command != "import" and not paths.conversations.is_dir():
        # Nothing to read (a mistyped WRITER_DESKTOP_HOME, say): said, and nothing created.
        _say(f"there are no conversations: {paths.conversations} does not exist.")
        return 0
    try:
        return commands[args.command](args, paths)
    except UsageError as exc:
        _say(str(exc))
        return 2
    except WriterError as exc:
        _say(exc.user_message)
        return 1
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly. Python's docs on SIGPIPE recommend
        # pointing stdout at devnull so the flush at exit does not raise again.
        _drop_stdout()
        return 1
    except OSError as exc:  # the output could not be written (a full disk), a path too long …
        where = f"{exc.filename}: " if exc.filename else "could not write the output: "
        try:
            sys.stdout.flush()  # what was printed before it still goes out, if it can
        except OSError:
            _drop_stdout()
        _say(f"{where}{exc.strerror or exc}.")
        return 1


def _drop_stdout() -> None:
    """Point stdout at devnull, so that the flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _export(args: argparse.Namespace, paths: AppPaths) -> int:
    reader = ReadOnlyStore(paths.conversations)
    if args.all and args.ids:
        raise UsageError("export: name conversations (ID ...) or use --all, not both.")
    if not args.all and not args.ids:
        raise UsageError("export: name the conversations to export (ID ...) or use --all.")
    try:
        ids = reader.ids() if args.all else list(dict.fromkeys(map(reader.resolve, args.ids)))
    except ConversationNotFound as exc:
        raise UsageError(exc.user_message) from None
    output: str | None = args.output
    if output is not None and not output.strip():  # -o "$OUT" with OUT unset: not the folder here
        raise UsageError("export: -o is empty: name a file or folder, or leave -o out to export "
                         "into the current folder.")  # fmt: skip
    fmt: Format = args.format or (
        "json" if output and output.lower().endswith(".json") else "markdown"
    )
    if output == "-":
        if len(ids) != 1:
            raise UsageError("export: -o - writes exactly one conversation.")
        out = cast(BinaryIO, sys.stdout.buffer)
        out.write(render(reader.load(ids[0]), fmt))
        out.flush()
        return 0
    if not ids:
        _say("there are no conversations to export.")
        return 0
    target = Path(output) if output else Path.cwd()
    if len(ids) == 1 and not args.all and output and not _is_folder(output):
        conv = reader.load(ids[0])
        if not target.parent.is_dir():
            missing = "is not a folder" if target.parent.exists() else "does not exist"
            raise StorageError(f"Could not save {target.name}: {target.parent} {missing}.")
        if (target.exists() or target.is_symlink()) and not args.force:  # a script would
            raise StorageError(f"{target} exists: add --force to replace it.")  # read the old
        print(export_to_file(conv, target, fmt, force=args.force))
        return 0
    if target.exists() and not target.is_dir():
        raise UsageError(f"export: {target} is a file; several conversations need a folder.")
    if not target.exists() and target.suffix.lower() in EXTENSIONS.values():
        raise UsageError(
            f"export: several conversations go into a folder, and {target.name} is a file name."
        )
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Could not create the folder {target}: {exc.strerror}.") from exc
    failed = 0
    # --force replaces the files of an earlier export: the conversations of a title go, in id
    # order, to "Title", "Title (2)"…, skipping a name this run wrote already (a conversation
    # may be titled "Title (2)" itself), so exporting again gives the same files, not more.
    written: set[str] = set()
    titled: dict[str, int] = {}
    for conv_id in ids:
        try:
            conv = reader.load(conv_id)
            number = 1
            if args.force:  # the next "Title (n)" no file of this run has taken
                stem = safe_stem(conv.title).casefold()
                number = titled.get(stem, 0)
                while True:
                    number += 1
                    name = (stem if number == 1 else f"{stem} ({number})") + EXTENSIONS[fmt]
                    if name not in written:
                        break
                titled[stem] = number
            path = export_to_folder(conv, target, fmt, force=args.force, number=number)
        except ConversationNotFound as exc:
            if args.all:
                continue  # deleted since it was listed
            _say(f"{conv_id}: {exc.user_message}")
            failed += 1
        except StorageError as exc:
            _say(f"{conv_id}: {exc.user_message}")
            failed += 1
        else:
            written.add(path.name.casefold())
            print(path, flush=True)
    return 1 if failed else 0


def _import(args: argparse.Namespace, paths: AppPaths) -> int:
    try:
        store = ConversationStore(paths.data, paths.cache).open()
    except AlreadyLocked:
        raise UsageError(RUNNING) from None
    try:
        report = import_files(store, args.files)
        for problem in store.take_problems():
            _say(f"{problem.path.name}: {problem.reason}")
    finally:
        store.close()
    for done in report.done:
        title = _printable(shown_title(done.title))
        if done.outcome is Outcome.SKIPPED:
            print(f"skipped  {done.path}: already there as {done.conversation_id} “{title}”")
        elif done.outcome is Outcome.RENAMED:
            print(f"imported {done.path} → {done.conversation_id} “{title}” (new id: its id was "
                  "taken by a different conversation)")  # fmt: skip
        else:
            print(f"imported {done.path} → {done.conversation_id} “{title}”")
    for path, reason in report.failed:
        _say(f"{path}: {reason}")
    return 1 if report.failed else 0


def _search(args: argparse.Namespace, paths: AppPaths) -> int:
    if args.limit < 1:
        raise UsageError("search: --limit must be at least 1.")
    with _search_index(paths) as index:
        index.sync(ReadOnlyStore(paths.conversations))
        hits = index.search(" ".join(args.query), limit=args.limit)
    bold, plain = ("\x1b[1m", "\x1b[0m") if _tty(sys.stdout) else ("«", "»")
    for hit in hits:
        where = f"#{hit.message_id[:8]}" if hit.message_id else ""
        snippet = "".join(
            f"{bold}{_printable(text, strip=False)}{plain}"
            if lit
            else _printable(text, strip=False)
            for text, lit in snippet_parts(hit.snippet)
        )
        title = _printable(shown_title(hit.title))
        print(f"{hit.conversation_id[:8]}{where}  {title}\n    {snippet}")
    if not hits:
        _say("no matches.")
    return 0


def _list(args: argparse.Namespace, paths: AppPaths) -> int:
    reader = ReadOnlyStore(paths.conversations)
    convs: list[Conversation] = []
    failed = 0
    for conv_id in reader.ids():
        try:
            convs.append(reader.load(conv_id))
        except StorageError as exc:
            _say(f"{conv_id}: {exc.user_message}")
            failed += 1
    for conv in sorted(convs, key=lambda c: c.updated_at, reverse=True):
        when = _printable(conv.updated_at[:16].replace("T", " "))
        print(f"{conv.id}  {when}  {_printable(shown_title(conv.title))}")
    return 1 if failed else 0  # as export --all: a script must not take the list for complete


def _is_folder(output: str) -> bool:
    return output.endswith(("/", "\\")) or Path(output).is_dir()


def _tty(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def _search_index(paths: AppPaths) -> SearchIndex:
    """The app's search index, open; one in memory for this run when the cache folder cannot
    be written (a read-only disk): the search is then slower, not refused."""
    import sqlite3

    try:
        paths.cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not os.access(paths.cache, os.W_OK):
            raise PermissionError(f"{paths.cache} is not writable")
        return SearchIndex(paths.cache / SEARCH_NAME).open()
    except (OSError, sqlite3.Error, StorageError) as exc:
        _say(f"note: the search index cannot be used ({exc}); searching without it.")
        return SearchIndex(None).open()


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _printable(text: str, *, strip: bool = True) -> str:
    """``text`` on one line, safe for a terminal: no control or bidirectional characters, no lone
    surrogates."""
    flat = re.sub(r"\s+", " ", text)
    return _UNPRINTABLE.sub("\ufffd", flat.strip() if strip else flat)
