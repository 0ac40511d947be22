"""Helper process for the kill tests: saves one conversation in a loop until it is killed.

Usage: ``python store_child.py ROOT CACHE CONV_ID [stream]``. Opens the store (which cleans up
after the previous victim), prints ``ready``, then saves versions ``n+1, n+2, …`` of
``version(conv_id, n)`` where ``n`` is the version on disk. The parent checks that every file it
finds is exactly one version, never a mix.

With ``stream``, it streams replies as ``core.reply`` does: reply ``r`` is saved ``streaming``
(``start r``), then ``stream_text(r)`` goes to the journal in pieces (``at r N`` once the first N
characters are appended), then the reply is saved complete (``end r``).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.store import ConversationNotFound, ConversationStore

CREATED = "2026-01-02T03:04:05.678Z"
PIECE = 120  # the most text one journal append holds here


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


def stream_text(r: int) -> str:
    """What reply ``r`` streams: about 4,000 characters, different for every ``r``."""
    return "".join(f"{r}.{i} 😀 “q” \\ \n中文 " for i in range(160 + r % 40))


def streamed(conv_id: str, r: int) -> Conversation:
    """The conversation as saved when reply ``r`` starts."""
    return Conversation(
        id=conv_id,
        title=f"s{r}",
        created_at=CREATED,
        updated_at=CREATED,
        messages=[
            Message(Role.USER, f"question {r}", id=f"u{r}", created_at=CREATED),
            Message(Role.ASSISTANT, "", id=f"a{r}", created_at=CREATED, status=Status.STREAMING),
        ],
    )


def stream(store: ConversationStore, conv_id: str) -> None:
    try:
        r = int(store.load(conv_id).title[1:])
    except ConversationNotFound:
        r = 0
    print("ready", flush=True)
    while True:
        r += 1
        conv = streamed(conv_id, r)
        reply = conv.messages[-1]
        store.mark_streaming(conv_id)
        store.save(conv)
        print(f"start {r}", flush=True)
        text, at, rng = stream_text(r), 0, random.Random(r)
        while at < len(text):
            piece = text[at : at + rng.randint(1, PIECE)]
            store.append_reply(conv_id, reply.id, at, piece)
            at += len(piece)
            print(f"at {r} {at}", flush=True)
        reply.content, reply.status = text, Status.COMPLETE
        store.unmark_streaming(conv_id)
        store.save(conv)
        print(f"end {r}", flush=True)


def main() -> None:
    root, cache, conv_id = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    with ConversationStore(root, cache) as store:
        if sys.argv[4:] == ["stream"]:
            stream(store, conv_id)
            return
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
