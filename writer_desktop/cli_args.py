"""The headless subcommands' arguments; their work is in :mod:`writer_desktop.cli`, imported
only when a command is given (starting the window should not load the export stack)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_commands"]


def add_commands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any]:
    """Add the headless subcommands to the main parser (``args.command`` names the one used)."""
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    export = sub.add_parser(
        "export",
        help="write conversations as Markdown or JSON files",
        description="Write conversations as Markdown or JSON. Works while the app runs. "
        "IDs may be abbreviated to any unique prefix.",
    )
    export.add_argument("ids", nargs="*", metavar="ID", help="conversation id or id prefix")
    export.add_argument("--all", action="store_true", help="export every conversation")
    export.add_argument(
        "--format", choices=["markdown", "json"], help="default: json for -o *.json, else markdown"
    )
    export.add_argument(
        "-o", "--output", metavar="PATH",
        help="a file for one conversation, a folder for several (default: the current folder); "
        "'-' writes one conversation to standard output",
    )  # fmt: skip
    export.add_argument("--force", action="store_true", help="replace files that exist")
    imp = sub.add_parser(
        "import",
        help="add conversations from exported JSON files",
        description="Add conversations from JSON files made by 'export --format json'. Nothing "
        "is overwritten: a clashing id gets a new one, an identical conversation is skipped.",
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    search = sub.add_parser("search", help="full-text search of every conversation")
    search.add_argument("query", nargs="+", help="words to find (the last one may be a prefix)")
    search.add_argument("--limit", type=int, default=20, help="most hits shown (default 20)")
    sub.add_parser("list", help="list conversations: id, last update, title")
    return sub
