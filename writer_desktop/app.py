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
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from . import APP_AUTHOR, APP_NAME
from .core import logs
from .core.api import Timeouts, WriterClient
from .core.errors import ConfigError, StorageError
from .core.paths import AppPaths
from .core.secrets import KeyStore
from .core.settings import Settings, SettingsFile, effective_base_url
from .core.store import ConversationStore
from .ui.controller import Controller
from .ui.event_loop import run
from .ui.key_dialog import KeyDialog, ask_for_key
from .ui.main_window import MainWindow
from .ui.single_instance import InstanceServer, send_to_running, socket_name
from .ui.theme import ThemeSwitcher

log = logging.getLogger(__name__)

ICON = Path(__file__).resolve().parent.parent / "resources" / "writer-desktop.svg"


def run_gui(argv: Sequence[str] | None = None) -> int:
    """Start the app (or wake the one already running); return the process exit code."""
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
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))

    instance = InstanceServer(socket_name(paths.runtime))
    if send_to_running(instance.name, {"command": "activate"}):
        log.info("Writer Desktop is already running: brought its window to the front")
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
    except StorageError as exc:  # AlreadyLocked too: another copy uses this data folder
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
) -> int:
    """Everything that needs the event loop; returns when the main window has closed."""
    import httpx  # imported here: not needed before the loop runs

    timeouts = Timeouts(idle=settings.idle_timeout)
    async with httpx.AsyncClient(timeout=timeouts.httpx()) as http:
        client = WriterClient(http, api_key="", base_url=base_url, timeouts=timeouts)
        window = await open_main_window(
            store, client, keys, settings, redactor, state,
            settings_file=settings_file, theme=theme,
        )  # fmt: skip
        if window is None:
            return 0
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_closed() -> None:
            if not closed.done():
                closed.set_result(None)

        app.lastWindowClosed.connect(on_closed)
        if instance is not None:
            instance.activate_requested.connect(window.bring_to_front)
        show_problems(window, problems)
        await closed
        await window.controller.shutdown()
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
) -> MainWindow | None:
    """Show the window at once, then find (or ask for) the key; None if the user gave up.

    The window comes first so that a slow or hanging keyring never leaves the user looking at
    nothing; the conversations are there to read while the key is looked up.
    """
    controller = Controller(store, client, settings, keys=keys, settings_file=settings_file)
    window = MainWindow(controller, state, theme=theme)
    controller.setParent(window)
    window.show()
    controller.start()
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


def show_problems(parent: QWidget, problems: Sequence[str]) -> None:
    """Tell the user once, without blocking, about files and settings that could not be used."""
    if not problems:
        return
    box = QMessageBox(
        QMessageBox.Icon.Warning, APP_NAME, "Some files could not be used.", parent=parent
    )
    box.setInformativeText("\n\n".join(problems))
    box.open()
