"""A child process for the X11 hotkey tests: register a combination and report on stdout.

``python -m tests.e2e.hotkey_child SEQUENCE [--then OTHER] [--count N] [--timeout S]`` prints
``ready <backend name>`` once the grab is in place (or ``error: <message>`` and exits 3), then
``activated <monotonic seconds>`` for each activation; with ``--then`` it registers OTHER after the
first activation and prints ``moved``. It exits 0 after N activations, or 2 at the timeout.
"""

from __future__ import annotations

import argparse
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from writer_desktop.ui.hotkey import HotkeyError, choose_backend, unavailable_reason


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("sequence")
    parser.add_argument("--then")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()

    app = QGuiApplication([])
    backend = choose_backend(app)
    if backend is None:
        print(f"error: no backend: {unavailable_reason(app)}", flush=True)
        return 3
    try:
        backend.register(args.sequence)
    except HotkeyError as exc:
        print(f"error: {exc}", flush=True)
        return 3
    seen = 0

    def on_activated() -> None:
        nonlocal seen
        print(f"activated {time.monotonic():.6f}", flush=True)  # CLOCK_MONOTONIC: system-wide
        seen += 1
        if seen == 1 and args.then:
            backend.register(args.then)
            print("moved", flush=True)
        if seen >= args.count:
            backend.unregister()
            app.exit(0)

    backend.activated.connect(on_activated)
    QTimer.singleShot(int(args.timeout * 1000), lambda: app.exit(2))
    print(f"ready {backend.name}", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
