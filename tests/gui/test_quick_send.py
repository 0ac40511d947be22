"""A quick-prompt exchange is a normal conversation, saved and listed, without moving the window."""

from __future__ import annotations

from pathlib import Path

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, reply_done, run_scenario, saved, send, until
from writer_desktop.core.store import ConversationStore


def test_quick_send_saves_a_new_conversation_in_the_background(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="main reply"), Reply(text="quick reply"))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "in the main window")
            await reply_done(window)
            shown = window.controller.current_id
            deltas: list[str] = []
            window.controller.reply_delta.connect(lambda _c, _m, text: deltas.append(text))
            quick_id = window.controller.quick_send("from anywhere")
            assert quick_id is not None
            assert quick_id != shown
            await until(lambda: not window.controller.is_busy(quick_id), what="quick reply")
            assert "".join(deltas) == "quick reply"
            assert window.controller.current_id == shown  # the window did not jump
            assert "quick reply" not in window.chat.toPlainText()
            titles = [window.sidebar.model.index(i, 0).data() for i in range(2)]
            assert "from anywhere" in titles
            data = saved(store, quick_id)
            assert [m["content"] for m in data["messages"]] == ["from anywhere", "quick reply"]
            assert data["messages"][-1]["status"] == "complete"
            window.controller.open_conversation(quick_id)
            assert "quick reply" in window.chat.toPlainText()
            assert window.controller.quick_send("   ") is None

    run_scenario(scenario())
