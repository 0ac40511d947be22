"""An API address that would expose the key is refused in words, never silently downgraded."""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, reply_done, run_scenario, saved, send
from writer_desktop.core.store import ConversationStore

ROOT = Path(__file__).resolve().parents[2]

START_WITH_BOX_PRINTED = """
import sys
from PySide6.QtWidgets import QMessageBox
QMessageBox.critical = lambda parent, title, text: print("BOX:", text) or 0
from writer_desktop.app import run_gui
sys.exit(run_gui([]))
"""


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
    result = subprocess.run(
        [sys.executable, "-c", START_WITH_BOX_PRINTED], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "BOX: Refusing plain http://" in result.stdout
    assert "the API key would travel unencrypted" in result.stdout


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_an_untrusted_certificate_fails_the_reply_in_words_and_nothing_is_sent(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, self_signed: tuple[Path, Path]
) -> None:
    cert, key = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    requests_seen = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests_seen
        try:
            if await reader.read(1):
                requests_seen += 1  # only reachable if the client accepted the certificate
        except (ssl.SSLError, ConnectionError):
            pass
        finally:
            writer.close()

    async def scenario() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
        address = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
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
    assert requests_seen == 0
    assert fake.chat_requests == []  # nothing fell back to another address
