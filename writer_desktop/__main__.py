"""Command line entry point: ``writer-desktop`` and ``python -m writer_desktop``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .cli import add_commands, run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="writer-desktop",
        description="A desktop assistant for Writer's Palmyra models.",
        epilog=(
            "Environment: WRITER_API_KEY (key, never stored), WRITER_BASE_URL (API address), "
            "WRITER_DESKTOP_HOME (keep all state in one folder), WRITER_DESKTOP_LOG_LEVEL."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_commands(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is not None:
        return run(args)  # headless: export, import, search, list
    from .app import run_gui  # Qt is imported only once a window is really wanted

    return run_gui()


if __name__ == "__main__":
    sys.exit(main())
