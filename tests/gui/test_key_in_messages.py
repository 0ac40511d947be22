"""Your API key never reaches a conversation: taken out of what you send, edit or instruct."""

from __future__ import annotations

from pathlib import Path

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import KEY, main_window, reply_done, run_scenario, send, until
from writer_desktop.core.logs import REDACTED
from writer_desktop.core.store import ConversationStore


def test_the_key_is_taken_out_of_a_message_before_it_is_sent_or_saved(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, f"is {KEY} a valid key?")
            await reply_done(window)
            assert "API key was taken out" in window.statusBar().currentMessage()
            conv_id = window.controller.current_id
            assert conv_id is not None
            raw = (store.conversations_dir / f"{conv_id}.json").read_text(encoding="utf-8")
            assert KEY not in raw
            assert f"is {REDACTED} a valid key?" in raw
            assert KEY not in window.chat.toPlainText()
            user = window.controller.current_conversation().messages[0]  # type: ignore[union-attr]
            window.controller.edit_message(user.id, f"again {KEY}")
            await reply_done(window)
            window.composer.options.system_prompt.setPlainText(f"Use {KEY}")
            window.composer.options.flush()  # as after the typing pause
            assert window.composer.options.system_prompt.toPlainText() == f"Use {REDACTED}"
            await until(lambda: bool(store.load(conv_id).system_prompt), what="saved")
            raw = (store.conversations_dir / f"{conv_id}.json").read_text(encoding="utf-8")
            assert KEY not in raw
            assert f"again {REDACTED}" in raw
            assert f"Use {REDACTED}" in raw
            assert "taken out of the system prompt" in window.statusBar().currentMessage()
            window.controller.rename(conv_id, f"Notes on {KEY}")
            assert "taken out of the title" in window.statusBar().currentMessage()
            assert store.load(conv_id).title == f"Notes on {REDACTED}"
        sent = [r.body for r in fake.requests if r.path == "/v1/chat"]
        assert sent
        assert all(KEY.encode() not in body for body in sent)

    run_scenario(scenario())


def test_text_without_the_key_is_sent_as_written(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            text = "Authorization: Bearer abcdefghijkl is how it is sent"  # not a log line
            await send(window, text)
            await reply_done(window)
            conv = window.controller.current_conversation()
            assert conv is not None
            assert conv.messages[0].content == text
            assert "API key" not in window.statusBar().currentMessage()

    run_scenario(scenario())
