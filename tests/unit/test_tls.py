"""An https API address with a certificate the system does not trust is refused in words."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from writer_desktop.core.api import WriterClient
from writer_desktop.core.errors import NetworkError


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


async def test_untrusted_certificate_is_refused_never_downgraded(
    self_signed: tuple[Path, Path],
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

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:

        async def no_sleep(_: float) -> None:
            pass

        async with httpx.AsyncClient() as http:
            address = f"https://127.0.0.1:{port}"
            client = WriterClient(http, api_key="sk-secret", base_url=address, sleep=no_sleep)
            with pytest.raises(NetworkError) as info:
                await client.list_models()
    finally:
        server.close()
        await server.wait_closed()
    assert "certificate is not trusted" in info.value.user_message
    assert requests_seen == 0
