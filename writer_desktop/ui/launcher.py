"""``writer-desktop quick [TEXT]``: open the quick prompt of the running app, or start one.

The request goes over the single-instance socket (see :mod:`.single_instance`). When no instance
answers, the app is started in the background — detached, so a script or desktop shortcut that
ran the command returns at once — and shows the quick prompt as soon as it is up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from writer_desktop.core.paths import AppPaths

from .instance_client import send_to_running, socket_name

SHOW_QUICK_OPTION = "--show-quick"


def gui_command(extra: Sequence[str] = ()) -> list[str]:
    """How to start this same app again (frozen bundle or ``python -m``)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, *extra]
    return [sys.executable, "-m", "writer_desktop", *extra]


def login_command(
    environ: Mapping[str, str] | None = None, platform: str = sys.platform
) -> list[str]:
    """How to start this app at login: :func:`gui_command`, keeping a portable data folder
    (``WRITER_DESKTOP_HOME``), which the login session does not have, through ``env`` on Linux
    and macOS. (Windows' Run key holds a bare command line: there the default folders are used.)
    """
    env = os.environ if environ is None else environ
    home = env.get("WRITER_DESKTOP_HOME", "").strip()
    if not home or platform == "win32":
        return gui_command()
    return ["/usr/bin/env", f"WRITER_DESKTOP_HOME={os.path.abspath(home)}", *gui_command()]


def request_quick(text: str, environ: Mapping[str, str] | None = None) -> int:
    """Show the quick prompt (prefilled with ``text``); return the exit status."""
    env = os.environ if environ is None else environ
    if sys.platform == "win32":  # the named-pipe client is Qt's, which needs an application
        from PySide6.QtCore import QCoreApplication

        _app = QCoreApplication.instance() or QCoreApplication([])
    name = socket_name(AppPaths.from_env(env).runtime)
    if send_to_running(name, {"command": "quick", "text": text}):
        return 0
    try:
        subprocess.Popen(
            gui_command([SHOW_QUICK_OPTION, text]),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,  # outlives the shell or launcher that ran us
            env=dict(env),
        )
    except OSError as exc:
        print(f"writer-desktop: could not start the app: {exc.strerror}", file=sys.stderr)
        return 1
    return 0
