"""Shared test set-up: Qt runs offscreen unless a test starts its own X server; one fake Writer
server on loopback for the whole run, its queue and recordings reset for each test."""

from __future__ import annotations

import os
from collections.abc import Iterator

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
