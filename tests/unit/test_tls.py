"""An https API address with a certificate the system does not trust is refused in words."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.untrusted_tls import self_signed_certificate, untrusted_server
from writer_desktop.core.api import WriterClient
from writer_desktop.core.errors import NetworkError


async def test_untrusted_certificate_is_refused_never_downgraded(tmp_path: Path) -> None:
    server, address, seen = await untrusted_server(*self_signed_certificate(tmp_path))
    try:
        waits: list[float] = []

        async def no_sleep(delay: float) -> None:
            waits.append(delay)

        async with httpx.AsyncClient() as http:
            client = WriterClient(http, api_key="sk-secret", base_url=address, sleep=no_sleep)
            with pytest.raises(NetworkError) as info:
                await client.list_models()
    finally:
        server.close()
        await server.wait_closed()
    assert "certificate is not trusted" in info.value.user_message
    assert seen.requests == 0
    assert waits == []  # not tried again: the next try would meet the same certificate
