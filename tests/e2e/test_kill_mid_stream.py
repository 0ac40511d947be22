"""Kill -9 the real app while a reply streams: after a restart the partial reply is there,
marked interrupted, never shown as complete — at most about a second of text is lost."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.e2e.slow_reply import start_app_streaming
from tests.fake_writer.server import FakeWriter
from writer_desktop.core.errors import StorageError
from writer_desktop.core.models import Role, Status
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.store import ConversationStore


def saved_reply(home: Path) -> dict[str, object] | None:
    """The last reply as another process reads it: the file plus a streaming reply's journal."""
    reader = ReadOnlyStore(home / "conversations")
    for conv_id in reader.ids():
        try:
            messages = reader.load(conv_id).messages
        except StorageError:
            continue
        replies = [m for m in messages if m.role is Role.ASSISTANT]
        if replies:
            return replies[-1].to_dict()
    return None


def test_partial_reply_survives_kill_and_restart(
    display: str, fake: FakeWriter, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    proc = start_app_streaming(display, fake, home)
    try:
        deadline = time.monotonic() + 15
        partial = ""
        while time.monotonic() < deadline:  # wait until some text has reached the disk
            reply = saved_reply(home)
            if reply and reply["status"] == "streaming" and len(str(reply["content"])) > 20:
                partial = str(reply["content"])
                break
            time.sleep(0.05)
        assert partial, "no streamed text was saved while the reply streamed"
        time.sleep(1.2)  # a little more arrives, and one more save happens
        before_kill = str((saved_reply(home) or {}).get("content", ""))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with ConversationStore(home, home / "cache") as store:  # what the next start does
        [summary] = store.list()
        conv = store.load(summary.id)
        assert not list((home / "conversations").glob(".*.tmp"))
    reply_message = conv.messages[-1]
    assert reply_message.status is Status.INTERRUPTED
    assert reply_message.content.startswith(partial)
    assert len(reply_message.content) >= len(before_kill)
    assert reply_message.error
