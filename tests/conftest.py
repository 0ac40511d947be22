"""Shared test set-up: Qt runs offscreen unless a test starts its own X server; one fake Writer
server on loopback for the whole run, its queue and recordings reset for each test."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.fake_writer.server import FakeWriter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FAKE_KEY = "test-key"


@pytest.fixture(scope="session")
def server() -> Iterator[FakeWriter]:
    with FakeWriter(api_key=FAKE_KEY) as srv:
        yield srv


@pytest.fixture
def fake(server: FakeWriter) -> FakeWriter:
    server.reset()
    return server


XVFB_ARGS = ("-screen", "0", "1280x900x24", "-nolisten", "tcp", "-noreset")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private Xvfb for the module's tests."""
    with xvfb() as (name, _server):
        yield name


@contextmanager
def xvfb() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private Xvfb (its display name and process); the server picks a free display number
    and writes it to a pipe."""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install xvfb xdotool)"
        if os.environ.get("WRITER_DESKTOP_REQUIRE_X") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    read_end, write_end = os.pipe()
    # -noreset: without it the server resets when its last client leaves, and a child connecting
    # during the reset fails with "could not connect to display".
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), *XVFB_ARGS],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        number = b""
        while not number.endswith(b"\n") and select.select([read_end], [], [], 15)[0]:
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
        if not number.strip():
            pytest.fail("Xvfb did not report a display number")
        yield f":{number.decode().strip()}", server
    finally:
        os.close(read_end)
        if server.poll() is None:
            server.terminate()
        server.wait(10)
