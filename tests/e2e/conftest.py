"""Fixtures for GUI tests: the app's QApplication settings and a fresh store per test.

The fake Writer server (``server``, ``fake``) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from writer_desktop.core.store import ConversationStore

XVFB_ARGS = ("-screen", "0", "1280x900x24", "-nolisten", "tcp", "-noreset")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private Xvfb; the server picks a free display number and writes it to a pipe."""
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
        yield f":{number.decode().strip()}"
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(10)


@pytest.fixture(autouse=True)
def app(qapp: QApplication) -> QApplication:
    """As in the app, closing the last window must not quit: that would stop the loop mid-test."""
    qapp.setQuitOnLastWindowClosed(False)
    return qapp


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data", tmp_path / "cache") as s:
        yield s
