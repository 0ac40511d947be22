"""The composition root: builds everything, in order, and runs until the window closes.

:func:`run_gui` does the synchronous part (paths, logging, settings, QApplication, store, API
address), then runs :func:`session` on the qasync event loop: http client, key, controller, window.
:func:`open_main_window` is the part tests reuse to drive the real widgets.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from . import APP_AUTHOR, APP_NAME
from .core import logs
from .core.api import Timeouts, WriterClient
from .core.autostart import Autostart
from .core.errors import AlreadyLocked, ConfigError, StorageError
from .core.model_cache import CACHE_NAME, ModelCache
from .core.paths import AppPaths
from .core.readonly import ReadOnlyStore
from .core.search import SEARCH_NAME
from .core.search_service import SearchService
from .core.secrets import KeyStore
from .core.settings import Settings, SettingsFile, effective_base_url
from .core.store import ConversationStore
from .ui.controller import Controller
from .ui.event_loop import run
from .ui.hotkey_service import HotkeyService
from .ui.icons import app_icon
from .ui.key_dialog import KeyDialog, ask_for_key
from .ui.launcher import gui_command
from .ui.main_window import MainWindow
from .ui.quick_bridge import QuickBridge
from .ui.quick_prompt import QuickPrompt
from .ui.search_ui import SearchUi
from .ui.single_instance import InstanceServer, send_to_running, socket_name
from .ui.theme import ThemeSwitcher
from .ui.tray import Tray

log = logging.getLogger(__name__)


def run_gui(argv: Sequence[str] | None = None, *, quick_text: str | None = None) -> int:
    """Start the app (or wake the one already running); return the process exit code.

    ``quick_text`` (from ``writer-desktop quick``) opens the quick prompt once the app is up.
    """
    environ = os.environ
    paths = AppPaths.from_env(environ)
    paths.ensure()
    redactor = logs.Redactor()
    logs.configure(paths.logs, environ, redactor)
    settings_file = SettingsFile(paths.settings_file)
    settings = settings_file.load()

    app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_AUTHOR)
    app.setQuitOnLastWindowClosed(False)  # the session ends it, after replies are saved
    app.setWindowIcon(app_icon(app))

    instance = InstanceServer(socket_name(paths.runtime))
    request = (
        {"command": "activate"} if quick_text is None else {"command": "quick", "text": quick_text}
    )
    if send_to_running(instance.name, request):
        log.info("Writer Desktop is already running: handed the request to it")
        return 0
    if not instance.listen():
        log.warning("could not listen on %s; later launches will not find this one", instance.name)
    try:
        base_url = effective_base_url(settings, environ)
    except ConfigError as exc:
        QMessageBox.critical(None, APP_NAME, exc.user_message)
        return 1
    store = ConversationStore(paths.data, paths.cache)
    try:
        store.open()
    except AlreadyLocked as exc:
        # Another copy holds the data folder; it may still be starting (two launches at once).
        if _hand_over(instance.name, request):
            return 0
        QMessageBox.critical(None, APP_NAME, exc.user_message)
        return 1
    except StorageError as exc:
        QMessageBox.critical(None, APP_NAME, exc.user_message)
        return 1
    state = QSettings(str(paths.config / "window.ini"), QSettings.Format.IniFormat)
    problems = [f"{p.path.name}: {p.reason}" for p in store.take_problems()]
    problems += settings_file.problems
    theme = ThemeSwitcher(app)
    try:
        return run(
            session(
                app, store, settings, base_url, KeyStore(), redactor, state, problems,
                settings_file=settings_file, theme=theme, instance=instance,
                desktop=True, quick_text=quick_text,
            )
        )  # fmt: skip
    finally:
        instance.close()
        store.close()


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
) -> int:
    """Everything that needs the event loop; returns when the main window has closed.

    ``desktop`` adds what reaches beyond the window (global shortcut, tray icon, start at
    login); tests leave it off so that they never grab keys or touch the user's login items.
    """
    import httpx  # imported here: not needed before the loop runs

    hotkeys = HotkeyService(app) if desktop else None
    tray = Tray(app.windowIcon()) if desktop and Tray.available() else None
    autostart = Autostart(gui_command()) if desktop else None
    timeouts = Timeouts(idle=settings.idle_timeout)
    async with httpx.AsyncClient(timeout=timeouts.httpx()) as http:
        client = WriterClient(http, api_key="", base_url=base_url, timeouts=timeouts)
        window = await open_main_window(
            store, client, keys, settings, redactor, state,
            settings_file=settings_file, theme=theme, hotkeys=hotkeys, tray=tray,
            autostart=autostart,
        )  # fmt: skip
        if window is None:
            return 0
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_closed() -> None:
            if not closed.done():
                closed.set_result(None)

        window.closed.connect(on_closed)
        search = SearchService(
            store.cache_dir / SEARCH_NAME, ReadOnlyStore(store.conversations_dir)
        )
        SearchUi(window, search)
        search.start()  # indexes in the background; searches work meanwhile
        quick = QuickBridge(window.controller, QuickPrompt(), window)
        if hotkeys is not None:
            hotkeys.activated.connect(quick.show)
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
        show_problems(window, problems)
        if quick_text is not None:
            quick.show(quick_text)
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
) -> MainWindow | None:
    """Show the window at once, then find (or ask for) the key; None if the user gave up.

    The window comes first so that a slow or hanging keyring never leaves the user looking at
    nothing; the conversations are there to read while the key is looked up.
    """
    controller = Controller(
        store, client, settings, keys=keys, settings_file=settings_file, autostart=autostart,
        model_cache=ModelCache(store.cache_dir / CACHE_NAME),
    )  # fmt: skip
    window = MainWindow(controller, state, theme=theme, hotkeys=hotkeys, tray=tray)
    controller.setParent(window)
    window.show()
    last = state.value(LAST_CONVERSATION)
    controller.start(prefer=last if isinstance(last, str) else None)
    window.closed.connect(lambda: remember_conversation(controller, state))
    window.composer.focus_editor()
    found = await keys.lookup_async()
    key = found.key
    if not key:
        dialog = key_dialog or KeyDialog(window)
        if found.problem:
            dialog.show_status(found.problem)
        key = await ask_for_key(dialog, keys, client)
        if key is None:
            window.close()
            await controller.shutdown()
            return None
        found = keys.describe(key)
    redactor.add(key)
    controller.use_key(key, found)
    window.key_replacement_requested.connect(
        lambda: controller.spawn(replace_key(window, keys, client, redactor))
    )
    window.composer.focus_editor()
    return window


async def replace_key(
    window: MainWindow, keys: KeyStore, client: WriterClient, redactor: logs.Redactor
) -> None:
    """Settings ▸ Replace key: the same checks as the first run; Cancel keeps the old key."""
    dialog = KeyDialog(window, cancel_text="Cancel")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    key = await ask_for_key(dialog, keys, client)
    if key is not None:
        redactor.add(key)
        window.controller.use_key(key, keys.describe(key))
        window.show_notice("The new API key is in use.")


def show_if_any(window: MainWindow, text: str) -> None:
    if text:
        window.show_problem(text)


LAST_CONVERSATION = "last_conversation"


def remember_conversation(controller: Controller, state: QSettings) -> None:
    conv = controller.current_conversation()
    if conv is not None and conv.messages:  # an empty new conversation is not worth returning to
        state.setValue(LAST_CONVERSATION, conv.id)
        state.sync()


def _hand_over(name: str, request: dict[str, str], seconds: float = 3.0) -> bool:
    """Keep offering ``request`` to an instance that is still starting; True once it took it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if send_to_running(name, request, timeout_ms=500):
            return True
        time.sleep(0.1)
    return False


def show_problems(parent: QWidget, problems: Sequence[str]) -> None:
    """Tell the user once, without blocking, about files and settings that could not be used."""
    if not problems:
        return
    box = QMessageBox(
        QMessageBox.Icon.Warning, APP_NAME, "Some files could not be used.", parent=parent
    )
    box.setInformativeText("\n\n".join(problems))
    box.open()
