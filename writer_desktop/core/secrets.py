"""The API key: in the OS keyring (service ``writer-desktop``, user ``api-key``), never in a file.

``WRITER_API_KEY`` wins when set: it is used, never stored, and reported as "from environment".
Every keyring call runs on a daemon thread with a timeout, so a missing, locked, failing or hanging
keyring (a Secret Service prompt nobody answers) never freezes the window: the caller gets a
:class:`KeyLookup` that says why, and can keep a key for this session only, in memory. The
system's keyring is asked from a short-lived child process (:mod:`.keyring_child`): the app never
loads keyring's backends, and a call that hangs is killed.

Plain-text keyring backends (``keyrings.alt`` files, the null backend) are refused: a key written
there would be a plain-text file in disguise.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from . import keyring_child
from .api_key import key_problem
from .errors import SecretsError
from .keyring_child import SERVICE, USERNAME, run_op

__all__ = ["SERVICE", "USERNAME", "KeyLookup", "KeySource", "KeyStore", "run_op"]

log = logging.getLogger(__name__)

ENV_VAR = "WRITER_API_KEY"
NO_ANSWER = (
    "The system keyring did not answer; if it asked for its password, unlock it and try again."
)
_T = TypeVar("_T")


class KeySource(StrEnum):
    ENVIRONMENT = "environment"
    KEYRING = "keyring"
    SESSION = "session"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class KeyLookup:
    """The key if one was found, where from, and (when the keyring failed) why."""

    key: str | None
    source: KeySource
    problem: str | None = None

    def __repr__(self) -> str:  # the key never appears in a repr
        shown = "set" if self.key else "none"
        return f"KeyLookup(key={shown}, source={self.source.value}, problem={self.problem!r})"

    @property
    def description(self) -> str:
        return {
            KeySource.ENVIRONMENT: f"from environment ({ENV_VAR})",
            KeySource.KEYRING: "stored in the system keyring",
            KeySource.SESSION: "for this session only (not saved)",
            KeySource.NONE: "not set",
        }[self.source]


def _kind(exc: BaseException) -> str:
    """What failed: keyring's exception name, also for a failure reported by the child."""
    kind = getattr(exc, "kind", None)
    return kind if isinstance(kind, str) else type(exc).__name__


def _explain(exc: BaseException) -> str:
    name = _kind(exc)
    if name == "NoKeyringError" or isinstance(exc, SecretsError):
        return str(exc) or "No system keyring is available."
    if name == "KeyringLocked":
        return "The system keyring is locked."
    if isinstance(exc, TimeoutError):  # a locked keyring waits for its password meanwhile
        return NO_ANSWER
    if name == "InitError":  # Secret Service's: the daemon is gone or its collection unusable
        return "The system keyring could not be opened (is its service running and unlocked?)."
    return f"The system keyring failed ({name})."


def _translate(exc: Exception) -> SecretsError:
    """Any failure of a keyring call (a timeout included) as a SecretsError saying why."""
    if isinstance(exc, SecretsError):
        return exc
    if not isinstance(exc, TimeoutError):  # concurrent.futures.TimeoutError is TimeoutError
        log.warning("keyring call failed: %s", _kind(exc))
    return SecretsError(_explain(exc))


class KeyStore:
    """Finds, stores and forgets the key.

    ``backend`` is a keyring backend object, called on a thread of this process; None means the
    system's keyring as keyring chooses it, asked from a child process (:mod:`.keyring_child`).
    """

    def __init__(
        self,
        backend: Any = None,
        *,
        environ: Mapping[str, str] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._backend = backend
        self._environ = os.environ if environ is None else environ
        self.timeout = timeout
        self._session_key: str | None = None
        self._early: keyring_child.Pending | None = None  # a lookup started by prefetch()

    def __repr__(self) -> str:
        return f"KeyStore(backend={type(self._backend).__name__})"

    # -- the keyring, always behind a timeout ------------------------------------------------

    def _op(self, op: str, key: str | None = None) -> str | None:
        if self._backend is not None:
            return run_op(self._backend, op, key)
        if op == "get" and self._early is not None:
            early, self._early = self._early, None
            return early.answer(self.timeout)
        return keyring_child.call(op, key, self.timeout)

    def prefetch(self) -> None:
        """Start looking the key up in the system's keyring now, for :meth:`lookup_async` to find
        done: the child's start overlaps the app's own (nothing is started when the environment
        or this session already gives the key)."""
        if self._backend is None and self._early is None and not self._from_env_or_session():
            try:
                self._early = keyring_child.Pending("get")
            except OSError as exc:  # told by the lookup itself, which tries again
                log.warning("could not start the keyring helper: %s", exc)

    def _submit(self, fn: Callable[[], _T]) -> concurrent.futures.Future[_T]:
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        # A daemon thread, not an executor: a hung keyring must not block the app's exit.
        threading.Thread(target=work, name="keyring", daemon=True).start()
        return future

    def _call(self, fn: Callable[[], _T]) -> _T:
        try:
            return self._submit(fn).result(timeout=self.timeout)
        except Exception as exc:
            raise _translate(exc) from None

    async def _call_async(self, fn: Callable[[], _T]) -> _T:
        try:
            return await asyncio.wait_for(asyncio.wrap_future(self._submit(fn)), self.timeout)
        except Exception as exc:
            raise _translate(exc) from None

    def _read(self) -> str | None:
        return self._op("get")

    # -- public API -------------------------------------------------------------------------

    def _from_env_or_session(self) -> KeyLookup | None:
        env = self.environment_key
        if env:
            return KeyLookup(env, KeySource.ENVIRONMENT)
        if self._session_key:
            return KeyLookup(self._session_key, KeySource.SESSION)
        return None

    def describe(self, key: str) -> KeyLookup:
        """Where ``key`` (just checked and kept by this store) lives, without asking the keyring."""
        if self._session_key == key:
            return KeyLookup(key, KeySource.SESSION)
        if self.environment_key == key:
            return KeyLookup(key, KeySource.ENVIRONMENT)
        return KeyLookup(key, KeySource.KEYRING)

    @property
    def environment_key(self) -> str:
        """``WRITER_API_KEY`` (stripped; "" if unset): it overrides the keyring at every start."""
        return self._environ.get(ENV_VAR, "").strip()

    def lookup(self) -> KeyLookup:
        """Find the key (environment, session, keyring), blocking at most ``timeout`` seconds."""
        found = self._from_env_or_session()
        if found:
            return found
        try:
            key = self._call(self._read)
        except SecretsError as exc:
            return KeyLookup(None, KeySource.NONE, exc.user_message)
        return KeyLookup(key, KeySource.KEYRING) if key else KeyLookup(None, KeySource.NONE)

    async def lookup_async(self) -> KeyLookup:
        """As :meth:`lookup`, without blocking the event loop."""
        found = self._from_env_or_session()
        if found:
            return found
        try:
            key = await self._call_async(self._read)
        except SecretsError as exc:
            return KeyLookup(None, KeySource.NONE, exc.user_message)
        return KeyLookup(key, KeySource.KEYRING) if key else KeyLookup(None, KeySource.NONE)

    async def store_async(self, key: str) -> None:
        """Save ``key`` in the keyring; raise SecretsError (then offer :meth:`use_for_session`)."""
        key = _clean(key)
        await self._call_async(lambda: self._op("set", key))
        self._session_key = None

    def store(self, key: str) -> None:
        key = _clean(key)
        self._call(lambda: self._op("set", key))
        self._session_key = None

    def use_for_session(self, key: str) -> None:
        """Keep ``key`` in memory only, for when no keyring works."""
        self._session_key = _clean(key)

    def forget_session(self) -> None:
        """Stop using the key kept for this session (the keyring is not asked)."""
        self._session_key = None

    async def forget_async(self) -> None:
        """Remove the key from the keyring and from memory. A missing entry is not an error."""
        self._session_key = None
        await self._call_async(self._delete)

    def forget(self) -> None:
        self._session_key = None
        self._call(self._delete)

    def _delete(self) -> None:
        self._op("delete")


def _clean(key: str) -> str:
    key = key.strip()
    problem = key_problem(key)
    if problem:
        raise SecretsError(problem)
    return key
