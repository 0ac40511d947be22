"""Helper process for the kill test: saves one conversation in a loop until it is killed.

Usage: ``python store_child.py ROOT CACHE CONV_ID``. Opens the store (which cleans up after the
previous victim), prints ``ready``, then saves versions ``n+1, n+2, …`` of ``version(conv_id, n)``
where ``n`` is the version on disk. The parent checks that every file it finds is exactly one
version, never a mix.
"""

from __future__ import annotations

import sys
from pathlib import Path

from writer_desktop.core.models import Conversation, Message, Role

CREATED = "2026-01-02T03:04:05.678Z"


def version(conv_id: str, n: int) -> Conversation:
    """Version ``n``: its size varies with ``n``, so a torn write cannot pass for a whole one."""
    text = f"v{n} 😀 中文 עברית\x00 " * (1 + n % 40) * 50
    return Conversation(
        id=conv_id,
        title=f"v{n}",
        created_at=CREATED,
        updated_at=CREATED,
        messages=[
            Message(Role.USER, f"question {n}", id=f"u{n}", created_at=CREATED),
            Message(Role.ASSISTANT, text, id=f"a{n}", created_at=CREATED),
        ],
    )


def main() -> None:
    from writer_desktop.core.store import ConversationNotFound, ConversationStore

    root, cache, conv_id = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    with ConversationStore(root, cache) as store:
        try:
            n = int(store.load(conv_id).title[1:])
        except ConversationNotFound:
            n = 0
        print("ready", flush=True)
        while True:
            n += 1
            store.save(version(conv_id, n))


if __name__ == "__main__":
    main()
