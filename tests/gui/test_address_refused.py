"""An API address that would expose the key is refused in words, never silently downgraded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, reply_done, run_scenario, saved, send
from tests.untrusted_tls import Seen, self_signed_certificate, untrusted_server
from writer_desktop.core.store import ConversationStore

ROOT = Path(__file__).resolve().parents[2]

START_WITH_BOX_PRINTED = """
import sys
from PySide6.QtWidgets import QMessageBox
QMessageBox.critical = lambda parent, title, text: print("BOX:", text) or 0
from writer_desktop.app import run_gui
sys.exit(run_gui([]))
"""


def start_printing_boxes(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Start the app in a child whose error dialogs print "BOX: <text>" instead of waiting."""
    return subprocess.run(
        [sys.executable, "-c", START_WITH_BOX_PRINTED], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "address", ["http://api.writer.com", "http://192.168.1.10:8080", "http://[2001:db8::1]"]
)
def test_plain_http_to_another_computer_stops_the_start_with_a_message(
    tmp_path: Path, address: str
) -> None:
    env = {
        **os.environ, "QT_QPA_PLATFORM": "offscreen", "WRITER_DESKTOP_HOME": str(tmp_path),
        "WRITER_BASE_URL": address, "WRITER_API_KEY": "sk-canary-should-never-travel",
    }  # fmt: skip
    result = start_printing_boxes(env)
    assert result.returncode == 1
    assert "BOX: WRITER_BASE_URL cannot be used. Refusing plain http://" in result.stdout
    assert "the API key would travel unencrypted" in result.stdout


def test_an_untrusted_certificate_fails_the_reply_in_words_and_nothing_is_sent(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    seen = Seen()

    async def scenario() -> None:
        nonlocal seen
        server, address, seen = await untrusted_server(cert, key)
        try:
            async with main_window(fake, store, tmp_path, base_url=address) as window:
                await send(window, "Is this private?")
                await reply_done(window, seconds=20)
                text = window.chat.toPlainText()
                assert "certificate is not trusted" in text
                assert "Retry" in text  # the fix offered is trying again, never plain http
                conv_id = window.controller.current_id
                assert conv_id is not None
                assert saved(store, conv_id)["messages"][-1]["status"] == "error"
        finally:
            server.close()
            await server.wait_closed()

    run_scenario(scenario())
    assert seen.requests == 0
    assert fake.chat_requests == []  # nothing fell back to another address
