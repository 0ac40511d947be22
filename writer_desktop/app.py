"""The composition root: builds everything, in order, and runs until the window closes.

Start-up has two phases so that the window is on screen as early as a bare Qt window would be
(docs/performance.md). :func:`run_gui` does the synchronous part with only Qt's widgets and the
storage core loaded — paths, logging, settings, QApplication, the single-instance check, the
store (its listing cache as it was), the main window with the conversation list — and waits
for the first frame. Only then is the rest imported (asyncio, the HTTP stack, the Markdown
renderer, the keyring) and :func:`session` runs on the qasync event loop: http client, controller
(the open conversation is shown, then the store is synced with the folder), key.
:func:`open_main_window` is what tests reuse.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from . import APP_AUTHOR, APP_NAME
from .core import crash, logs
from .core.atomic import private_file
from .core.errors import AlreadyLocked, ConfigError, StorageError
from .core.paths import AppPaths
from .core.settings import Settings, SettingsFile, base_url_at_start
from .core.store import ConversationStore, StoreProblem
from .ui.first_paint import TRACE_ENV, FirstPaint, StartTrace
from .ui.icons import app_icon
from .ui.instance_client import send_to_running, socket_name
from .ui.main_window import MainWindow
from .ui.quit_signals import QuitSignals
from .ui.theme import ThemeSwitcher

if TYPE_CHECKING:  # imported for real after the first paint (see the module docstring)
    import asyncio

    from .core.api import WriterClient
    from .core.autostart import Autostart
    from .core.drafts import Drafts
    from .core.secrets import KeyStore
    from .ui.controller import Controller
    from .ui.hotkey_service import HotkeyService
    from .ui.key_dialog import KeyDialog
    from .ui.single_instance import InstanceServer
    from .ui.tray import Tray

log = logging.getLogger(__name__)


def run_gui(argv: Sequence[str] | None = None, *, quick_text: str | None = None) -> int:
    """Start the app (or wake the one already running); return the process exit code.

    ``quick_text`` (from ``writer-desktop quick``) opens the quick prompt once the app is up.
    """
    environ = os.environ
    trace = StartTrace(environ.get(TRACE_ENV))
    paths = AppPaths.from_env(environ)
    redactor = logs.Redactor()
    try:
        paths.ensure()
        logs.configure(paths.logs, environ, redactor)
    except OSError as exc:  # a read-only disk, another user's folder, a file in the way
        return cannot_start(folder_refused(exc))
    reporter = crash.install(paths.logs, redactor)  # unhandled errors: scrubbed reports
    settings_file = SettingsFile(paths.settings_file)
    settings = settings_file.load()

    app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_AUTHOR)
    app.setQuitOnLastWindowClosed(False)  # the session ends it, after replies are saved
    app.setWindowIcon(app_icon(app))

    instance_name = socket_name(paths.runtime)
    request = (
        {"command": "activate"} if quick_text is None else {"command": "quick", "text": quick_text}
    )
    if send_to_running(instance_name, request):
        log.info("Writer Desktop is already running: handed the request to it")
        return 0
    try:
        settings, base_url, problem = base_url_at_start(settings, environ)
    except ConfigError as exc:
        return cannot_start(exc.user_message)
    if problem:
        settings_file.problems.append(problem)
    store = ConversationStore(paths.data, paths.cache)
    try:
        store.open(sync=False)  # synced right after the first paint
    except AlreadyLocked as exc:
        # Another copy holds the data folder; it may still be starting (two launches at once).
        if _hand_over(instance_name, request):
            log.info("Writer Desktop is already running (it holds the data folder): handed over")
            return 0
        return cannot_start(exc.user_message)
    except StorageError as exc:
        return cannot_start(exc.user_message)
    instance: InstanceServer | None = None
    # Log-out, shutdown, kill or Ctrl+C: quit as from File ▸ Quit, replies saved as stopped. Caught
    # from here on, so that a quit asked while the app starts is a clean one too.
    signals = QuitSignals()
    try:
        # Where the window was, folders last used: the user's alone, as every file of theirs.
        state = QSettings(
            str(private_file(paths.config / "window.ini")), QSettings.Format.IniFormat
        )
        theme = ThemeSwitcher(app)
        window = first_frame(store, settings, state, theme, trace)
        # The rest of the app loads now, behind the window. Listening comes first, and only now
        # that the data folder is ours: of two launches at once, the one that will run is the
        # one later launches find (the other hands over to it, see _hand_over).
        from .ui.single_instance import InstanceServer

        instance = InstanceServer(instance_name, held=True)  # delivered once it can act
        if not instance.listen():
            log.warning("could not listen on %s; later launches won't find this one", instance_name)
        from .core.secrets import KeyStore

        keys = KeyStore()
        keys.prefetch()  # the keyring's child starts while the rest of the app loads
        from .ui.event_loop import LoopStopped, run

        try:
            return run(
                session(
                    app, store, settings, base_url, keys, redactor, state,
                    settings_file.problems, settings_file=settings_file, theme=theme,
                    instance=instance, desktop=True, quick_text=quick_text, window=window,
                    trace=trace, reporter=reporter, signals=signals,
                )
            )  # fmt: skip
        except LoopStopped:
            # Qt ends its loop by itself when the display goes away (the X server died): there
            # is nothing left to show. Saved conversations are on disk, a streaming reply's
            # journal brings it back at the next start; the data folder is released below.
            log.warning("the connection to the display was lost: quitting")
            return 1
    finally:
        signals.close()
        if instance is not None:
            instance.close()
        store.close()
        reporter.uninstall()


FIRST_ROWS = 200  # sidebar rows listed before the first paint; the full list follows at once


def first_frame(
    store: ConversationStore,
    settings: Settings,
    state: QSettings,
    theme: ThemeSwitcher,
    trace: StartTrace,
) -> MainWindow:
    """Show the main window with the first conversations listed and wait for it to be drawn.

    The controller is attached by :func:`session` a moment later; until then the user can
    already type, and a message sent meanwhile goes out once the app is ready
    (:meth:`MainWindow.set_ready`).
    """
    window = MainWindow(state, settings, theme=theme, defer_chat=True)  # made by attach()
    window.sidebar.set_conversations(store.listing(FIRST_ROWS))
    window.composer.set_models([settings.default_model], settings.default_model)  # not blank
    window.composer.focus_editor()  # typing starts at once; Enter waits for the key (set_ready)
    painted = FirstPaint(window, lambda: trace.mark("first_paint"))
    window.show()
    if painted.wait():
        log.debug("first paint done")
    else:
        log.warning("the main window was not drawn within 2 s; carrying on")
    return window


async def session(
    app: QApplication,
    store: ConversationStore,
    settings: Settings,
    base_url: str,
    keys: KeyStore,
    redactor: logs.Redactor,
    state: QSettings,
    problems: Sequence[str],
    *,
    settings_file: SettingsFile | None = None,
    theme: ThemeSwitcher | None = None,
    instance: InstanceServer | None = None,
    desktop: bool = False,
    quick_text: str | None = None,
    window: MainWindow | None = None,
    trace: StartTrace | None = None,
    reporter: crash.CrashReporter | None = None,
    signals: QuitSignals | None = None,
) -> int:
    """Everything that needs the event loop; returns when the main window has closed.

    ``desktop`` adds what reaches beyond the window (global shortcut, tray, start at login);
    tests leave it off so that they never grab keys or touch the user's login items. ``window``
    is the one :func:`first_frame` already shows; without it one is made here. ``signals``
    (owned by the caller) quit the app as File ▸ Quit does, also while it is starting.
    """
    import asyncio

    import httpx

    from .core.api import Timeouts, WriterClient
    from .core.autostart import Autostart
    from .core.drafts import DRAFTS_NAME, Drafts
    from .core.readonly import ReadOnlyStore
    from .core.search import SEARCH_NAME
    from .core.search_service import SearchService
    from .ui.crash_notice import CrashNotice
    from .ui.draft_keeper import DraftKeeper
    from .ui.hotkey_service import HotkeyService
    from .ui.launcher import login_command
    from .ui.quick_bridge import QuickBridge
    from .ui.quick_prompt import QuickPrompt
    from .ui.search_ui import SearchUi
    from .ui.tray import Tray

    if reporter is not None:
        reporter.watch_loop(asyncio.get_running_loop())
    hotkeys = HotkeyService(app) if desktop else None
    tray = Tray(app.windowIcon()) if desktop and Tray.available() else None
    autostart = Autostart(login_command()) if desktop else None
    timeouts = Timeouts(idle=settings.idle_timeout)
    drafts = Drafts(store.root / DRAFTS_NAME, scrub=redactor.scrub)  # no key in the file
    drafts_problem = drafts.load()
    if window is None:
        window = MainWindow(state, settings, theme=theme)
        window.show()
    if signals is not None:  # closing the window also ends start-up's waits (keyring, key dialog)
        signals.received.connect(lambda _signal: window.request_quit(ask=False))
        if signals.caught is not None:  # asked during the first paint, before any loop ran
            window.request_quit(ask=False)
    async with httpx.AsyncClient(timeout=timeouts.httpx()) as http:
        client = WriterClient(http, api_key="", base_url=base_url, timeouts=timeouts)
        window = await open_main_window(
            store, client, keys, settings, redactor, state,
            settings_file=settings_file, theme=theme, hotkeys=hotkeys, tray=tray,
            autostart=autostart, window=window, trace=trace, drafts=drafts,
        )  # fmt: skip
        if window is None:
            if hotkeys is not None:
                hotkeys.close()
            return 0
        unreadable = store.take_problems()
        problems = list(problems) + ([drafts_problem] if drafts_problem else [])
        if reporter is not None:
            notice = CrashNotice(window)
            notice.reported.connect(window.show_problem)
            reporter.on_crash = notice
        closed = when_closed(window)
        search = SearchService(
            store.cache_dir / SEARCH_NAME, ReadOnlyStore(store.conversations_dir)
        )
        SearchUi(window, search)  # its worker starts with the first search, not now
        quick = QuickBridge(window.controller, QuickPrompt(), window, window.findChild(DraftKeeper))
        if hotkeys is not None:
            hotkeys.activated.connect(quick.show)
            if trace is not None and trace.enabled:  # for benchmarks/hotkey.py
                hotkeys.activated.connect(
                    lambda: FirstPaint(quick.prompt, lambda: trace.mark("quick_paint"))
                )
            # A shortcut taken by another program is said in words, never silently ignored.
            hotkeys.problem_changed.connect(lambda text: show_if_any(window, text))
            if hotkeys.mechanism and hotkeys.problem:
                window.show_notice(hotkeys.problem)
        if tray is not None:
            tray.open_requested.connect(window.bring_to_front)
            tray.quick_requested.connect(quick.show)
            tray.settings_requested.connect(window.bring_to_front)
            tray.settings_requested.connect(window.open_settings)
            tray.quit_requested.connect(window.request_quit)
            tray.show()
        if instance is not None:
            instance.activate_requested.connect(window.bring_to_front)
            instance.quick_requested.connect(quick.show)
        tell_problems(window, unreadable, problems)
        if quick_text is not None:
            quick.show(quick_text)
        if instance is not None:
            instance.deliver()  # what later launches asked meanwhile, after this one's own text
        try:
            await closed
        finally:
            quick.prompt.close()
            if tray is not None:
                tray.hide()
            if hotkeys is not None:
                hotkeys.close()
            await window.controller.shutdown()
            search.close()
            if reporter is not None:
                reporter.on_crash = None  # the window is going away
    return 0


async def open_main_window(
    store: ConversationStore,
    client: WriterClient,
    keys: KeyStore,
    settings: Settings,
    redactor: logs.Redactor,
    state: QSettings,
    key_dialog: KeyDialog | None = None,
    *,
    settings_file: SettingsFile | None = None,
    theme: ThemeSwitcher | None = None,
    hotkeys: HotkeyService | None = None,
    tray: Tray | None = None,
    autostart: Autostart | None = None,
    window: MainWindow | None = None,
    trace: StartTrace | None = None,
    drafts: Drafts | None = None,
) -> MainWindow | None:
    """Show the window (unless ``window`` is already shown), attach the controller, then find
    (or ask for) the key; None if the user gave up or the window closed meanwhile.

    The window comes first so that a slow or hanging keyring never leaves the user looking at
    nothing; the conversations are there to read while the key is looked up. Closing it (or a
    quit signal, which closes it) ends the wait for the keyring or the key dialog.
    """
    import asyncio

    from .core.model_cache import CACHE_NAME, ModelCache
    from .ui.controller import Controller
    from .ui.key_dialog import KeyDialog, ask_for_key
    from .ui.key_requests import KeyRequests

    if window is not None and window.has_closed:  # quit before the app got this far
        return None
    controller = Controller(
        store, client, settings, keys=keys, settings_file=settings_file, autostart=autostart,
        model_cache=ModelCache(store.cache_dir / CACHE_NAME), redact=redactor.without_secrets,
    )  # fmt: skip
    if window is None:
        window = MainWindow(state, settings, theme=theme)
        window.show()
    window.attach(controller, hotkeys=hotkeys, tray=tray)
    controller.setParent(window)
    if drafts is not None:  # unsent text comes back with its conversation
        from .core.drafts import NEW
        from .ui.draft_keeper import DraftKeeper

        # a deleted conversation's draft stays while it can be restored from the trash
        keeper = DraftKeeper(
            drafts, window.composer, controller, store.exists_or_trashed, parent=window
        )
        keeper.problem.connect(window.show_problem)
        keeper.problem_solved.connect(window.withdraw_problem)
        keeper.drafted_changed.connect(window.sidebar.model.set_drafted)
        window.save_drafts = keeper.save_or_why  # a quit that would lose typed text asks first
        window.closed.connect(keeper.save_now)
    last = state.value(LAST_CONVERSATION)
    controller.start(
        prefer=last if isinstance(last, str) else None,
        new_first=drafts is not None and bool(drafts.get(NEW)),
    )
    if trace is not None:
        trace.mark("ready")
    await asyncio.sleep(0)  # let the conversation be drawn before the list is completed
    controller.sync_store()  # the cache's list, checked against the folder
    window.closed.connect(lambda: remember_conversation(controller, state))
    window.composer.focus_editor()
    closed = when_closed(window)
    lookup = asyncio.ensure_future(keys.lookup_async())
    await asyncio.wait((lookup, closed), return_when=asyncio.FIRST_COMPLETED)
    found = None if window.has_closed else lookup.result()
    key = found.key if found is not None else None
    if found is not None and not key:
        dialog = key_dialog or KeyDialog(window)
        window.closed.connect(dialog.abandon)
        if found.problem:
            dialog.show_status(found.problem)
        key = await ask_for_key(dialog, keys, client)
        found = keys.describe(key) if key else None
    if not key or found is None:  # closed meanwhile, or the key dialog's Quit
        lookup.cancel()  # its thread ends the keyring's child at the timeout
        window.close()
        await controller.shutdown()
        return None
    requests = KeyRequests(window, keys, client, redactor)
    window.key_replacement_requested.connect(
        lambda failed: requests.request(controller.current_id or "", failed)
    )
    controller.key_needed.connect(requests.request)  # the key removed, or rejected at start
    controller.key_refused.connect(requests.refused)
    redactor.add(key)
    controller.use_key(key, found)
    if trace is not None:
        trace.mark("key")  # the app can now talk to Writer
    window.set_ready()  # sends a message typed while the app was starting
    window.composer.focus_editor()
    return window


def when_closed(window: MainWindow) -> asyncio.Future[None]:
    """Done once ``window`` has closed for good (at once if it already has)."""
    import asyncio

    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_closed)
    if window.has_closed:
        on_closed()
    return closed


def show_if_any(window: MainWindow, text: str) -> None:
    if text:
        window.show_problem(text)


LAST_CONVERSATION = "last_conversation"


def remember_conversation(controller: Controller, state: QSettings) -> None:
    """The conversation to reopen at the next start. A new one (no messages yet) is not kept:
    the next start opens a new conversation again if it had a draft, else the newest."""
    conv = controller.current_conversation()
    if conv is not None and conv.messages:
        state.setValue(LAST_CONVERSATION, conv.id)
    else:
        state.remove(LAST_CONVERSATION)
    state.sync()


def _hand_over(name: str, request: dict[str, str], seconds: float = 3.0) -> bool:
    """Keep offering ``request`` to an instance that is still starting; True once it took it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if send_to_running(name, request, timeout_ms=500):
            return True
        time.sleep(0.1)
    return False


def cannot_start(text: str) -> int:
    """Say why the app cannot start (in a dialog, and on stderr for scripts); returns the exit
    code."""
    from PySide6.QtWidgets import QMessageBox  # built on first use (see main_window)

    print(f"{APP_NAME}: {text}", file=sys.stderr)
    # It may have failed before the app was made: one is needed for the dialog, kept until
    # the dialog is closed.
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QMessageBox.critical(None, APP_NAME, text)
    del app
    return 1


def folder_refused(exc: OSError) -> str:
    """What to tell when the data folders cannot be made or written."""
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or type(exc).__name__
    return (
        f"Writer Desktop cannot write to its folder{where}: {reason}.\n\n"
        "Your conversations there are unchanged. If the disk is mounted read-only or the "
        "folder belongs to another user, fix that and start again; meanwhile "
        "'writer-desktop export --all -o FOLDER' copies them out."
    )


def tell_problems(
    window: MainWindow, unreadable: Sequence[StoreProblem], problems: Sequence[str]
) -> None:
    """Tell once, in the window's problem bar (never a box taking the keyboard from someone
    already typing), the files and settings that could not be used, and where they were kept."""
    if len(unreadable) > 3:
        first = unreadable[0]
        kept = any(p.moved_to is not None for p in unreadable)
        where = " They were kept, unchanged, as <name>.corrupt-<time>." if kept else ""
        window.show_problem(
            f"{len(unreadable)} conversation files could not be read.{where} "
            f"The first: {first.path.name} ({first.reason.rstrip('.')}).",
            first.path.parent,
        )
    else:
        for p in unreadable:
            where = f" It was kept, unchanged, as {p.moved_to.name}." if p.moved_to else ""
            text = f"{p.path.name} could not be read: {p.reason.rstrip('.')}.{where}"
            window.show_problem(text, p.path.parent)
    for text in problems:
        window.show_problem(text)
