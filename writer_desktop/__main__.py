"""Command line entry point: ``writer-desktop`` and ``python -m writer_desktop``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    import argparse


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from .cli_args import add_commands

    parser = argparse.ArgumentParser(
        prog="writer-desktop",
        description="A desktop assistant for Writer's Palmyra models.",
        epilog=(
            "Environment: WRITER_API_KEY (key, never stored), WRITER_BASE_URL (API address), "
            "WRITER_DESKTOP_HOME (keep all state in one folder), WRITER_DESKTOP_LOG_LEVEL."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # Used by `writer-desktop quick` to start the app with the quick prompt showing.
    parser.add_argument("--show-quick", metavar="TEXT", default=None, help=argparse.SUPPRESS)
    commands = add_commands(parser)
    quick = commands.add_parser(
        "quick",
        help="open the quick prompt (starts the app if it is not running)",
        description="Open the quick prompt of the running Writer Desktop, prefilled with TEXT; "
        "starts the app in the background if none runs. Bind this to a key in your desktop's "
        "keyboard settings where global shortcuts are not available to apps (Wayland).",
    )
    quick.add_argument("text", nargs="*", help="text to put in the prompt")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if not words:
        return start_gui()  # a double-click or a menu entry: no parser to build (~8 ms)
    from .core.keyring_child import HELPER_FLAG, serve

    if words == [HELPER_FLAG]:  # the app asking the keyring from a child of its own
        return serve()
    args = build_parser().parse_args(words)
    if args.command == "quick":
        from .ui.launcher import request_quick

        return request_quick(" ".join(args.text))
    if args.command is not None:
        from .cli import run  # headless: export, import, search, list

        return run(args)
    return start_gui(quick_text=args.show_quick)


def start_gui(quick_text: str | None = None) -> int:
    from .ui.pyside_imports import lighten_feature_check  # Qt is imported only now

    lighten_feature_check()  # before the app's modules: see ui/pyside_imports.py
    from .app import run_gui

    return run_gui(quick_text=quick_text)


if __name__ == "__main__":
    sys.exit(main())
