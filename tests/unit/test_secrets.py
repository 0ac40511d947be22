"""The key store: environment first, the real keyring, and every way a keyring can fail."""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
import warnings
from typing import Any

import pytest
from keyring.errors import PasswordDeleteError

from writer_desktop.core.errors import SecretsError
from writer_desktop.core.secrets import NO_ANSWER, SERVICE, USERNAME, KeySource, KeyStore


class MemoryBackend:
    """A well-behaved keyring stand-in (deliberately not a KeyringBackend subclass, so it never
    registers itself as a candidate for keyring's global default)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.items.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        self.items[(service, user)] = value

    def delete_password(self, service: str, user: str) -> None:
        if self.items.pop((service, user), None) is None:
            raise PasswordDeleteError("Password not found")


class NoKeyringError(Exception):
    """Named like keyring's, which is how the store recognises it."""


class KeyringLocked(Exception):
    pass


class FailingBackend(MemoryBackend):
    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service: str, user: str) -> str | None:
        raise self.exc

    def set_password(self, service: str, user: str, value: str) -> None:
        raise self.exc


class HangingBackend(MemoryBackend):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, user: str) -> str | None:
        self.release.wait(30)
        return None

    set_password = get_password  # type: ignore[assignment]


def test_environment_wins_and_is_never_stored() -> None:
    backend = MemoryBackend()
    backend.set_password(SERVICE, USERNAME, "stored-key")
    store = KeyStore(backend, environ={"WRITER_API_KEY": " env-key "})
    found = store.lookup()
    assert (found.key, found.source) == ("env-key", KeySource.ENVIRONMENT)
    assert "from environment" in found.description
    assert backend.items == {(SERVICE, USERNAME): "stored-key"}


def test_round_trip_and_forget_with_backend() -> None:
    backend = MemoryBackend()
    store = KeyStore(backend, environ={})
    assert store.lookup().source is KeySource.NONE
    store.store("  sk-123  ")
    assert backend.items[(SERVICE, USERNAME)] == "sk-123"
    found = store.lookup()
    assert (found.key, found.source) == ("sk-123", KeySource.KEYRING)
    store.forget()
    assert store.lookup().key is None
    store.forget()  # forgetting twice is fine


def test_repr_never_shows_key() -> None:
    store = KeyStore(MemoryBackend(), environ={"WRITER_API_KEY": "sk-canary-secret"})
    found = store.lookup()
    assert "sk-canary-secret" not in repr(found)
    assert "sk-canary-secret" not in repr(store)


class InitError(Exception):
    """Secret Service's own, when its daemon is gone or its collection will not unlock (it
    was told as "failed (InitError)")."""


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (NoKeyringError("No recommended backend was available."), "No recommended backend"),
        (KeyringLocked("locked"), "locked"),
        (RuntimeError("dbus exploded"), "failed"),
        (InitError("Failed to unlock the collection!"), "could not be opened"),
    ],
)
def test_failures_are_explained_and_session_key_offered(exc: Exception, message: str) -> None:
    store = KeyStore(FailingBackend(exc), environ={})
    found = store.lookup()
    assert found.key is None
    assert found.problem
    assert message in found.problem
    with pytest.raises(SecretsError):
        store.store("sk-1")
    store.use_for_session("sk-1")
    found = store.lookup()
    assert (found.key, found.source) == ("sk-1", KeySource.SESSION)


def test_hanging_keyring_times_out_quickly() -> None:
    backend = HangingBackend()
    store = KeyStore(backend, environ={}, timeout=0.2)
    start = time.monotonic()
    found = store.lookup()
    assert time.monotonic() - start < 2
    assert found.problem == NO_ANSWER
    backend.release.set()


async def test_hanging_keyring_does_not_block_event_loop() -> None:
    import asyncio

    backend = HangingBackend()
    store = KeyStore(backend, environ={}, timeout=0.3)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    found = await store.lookup_async()
    task.cancel()
    backend.release.set()
    assert found.problem == NO_ANSWER
    assert ticks >= 10  # the loop kept running while the keyring hung
    with pytest.raises(SecretsError):
        await store.store_async("sk-x")


def test_plaintext_backends_are_refused() -> None:
    class PlaintextKeyring(MemoryBackend):
        pass

    store = KeyStore(PlaintextKeyring(), environ={})
    found = store.lookup()
    assert found.key is None
    assert found.problem == "No secure system keyring is available."
    with pytest.raises(SecretsError):
        store.store("sk-1")


@pytest.mark.parametrize(
    "bad", ["", "   ", "sk 1", "sk\u200b1", "sk\n1", "clé", "\u201csk-1\u201d"]
)
def test_bad_keys_rejected(bad: str) -> None:
    with pytest.raises(SecretsError):
        KeyStore(MemoryBackend(), environ={}).store(bad)


def _secret_service_available() -> bool:
    return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))


@pytest.mark.keyring
async def test_real_secret_service_round_trip() -> None:
    """Through keyring's real SecretService backend (gnome-keyring under dbus-run-session in CI)."""
    if not _secret_service_available():
        if os.environ.get("WRITER_DESKTOP_REQUIRE_KEYRING"):
            pytest.fail("a real Secret Service keyring is required here but no session bus is set")
        pytest.skip("no D-Bus session bus: run under dbus-run-session with gnome-keyring")
    from keyring.backends import SecretService

    backend: Any = SecretService.Keyring()  # type: ignore[no-untyped-call]
    store = KeyStore(backend, environ={}, timeout=10)
    # keyring's SecretService backend opens a D-Bus connection per call and never closes it
    # (keyring/backends/SecretService.py, get_preferred_collection): the socket is closed only
    # when collected, with a ResourceWarning. Collect here so it cannot surface in a later test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            await store.store_async("sk-real-keyring-test")
            found = await store.lookup_async()
            assert (found.key, found.source) == ("sk-real-keyring-test", KeySource.KEYRING)
            await store.forget_async()
            assert (await store.lookup_async()).key is None
        finally:
            with contextlib.suppress(SecretsError):
                await store.forget_async()
            gc.collect()


def test_no_backend_path_through_real_keyring_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring's own fail backend (what a machine without any keyring gets)."""
    from keyring.backends import fail

    store = KeyStore(fail.Keyring(), environ={})  # type: ignore[no-untyped-call]
    found = store.lookup()
    assert found.key is None
    assert found.source is KeySource.NONE
    assert found.problem
