"""The system keyring asked from a child process (``core/keyring_child.py``): the real
``keyring`` module choosing a backend from the environment, as a user's configuration would, in
a real child process: round trip, every fault, a hang killed at the timeout, and the app's own
process never loading keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.keyring_doubles import calls, environment
from writer_desktop.core.errors import SecretsError
from writer_desktop.core.keyring_child import HELPER_FLAG, helper_command
from writer_desktop.core.secrets import NO_ANSWER, KeySource, KeyStore

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-child-test-0123456789"


@pytest.fixture
def keyring_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    def use(fault: str) -> Path:
        for name, value in environment(fault, tmp_path).items():
            monkeypatch.setenv(name, value)
        return tmp_path

    return use


def test_the_key_goes_in_and_out_through_a_child(keyring_env) -> None:  # type: ignore[no-untyped-def]
    folder = keyring_env("ok")
    keys = KeyStore(environ={}, timeout=20)
    assert keys.lookup().source is KeySource.NONE  # nothing kept yet
    keys.store(KEY)
    found = keys.lookup()
    assert (found.key, found.source) == (KEY, KeySource.KEYRING)
    keys.forget()
    assert keys.lookup().key is None
    keys.forget()  # nothing to remove is not an error
    assert calls(folder) == ["get", "set", "get", "delete", "get", "delete"]
    records = [json.loads(line) for line in (folder / "keyring-calls.txt").read_text().splitlines()]
    assert len({r["pid"] for r in records}) == len(records)  # a child of its own for each call
    assert os.getpid() not in {r["pid"] for r in records}
    assert all(KEY not in " ".join(r["argv"]) for r in records)  # never on a command line
    assert all(r["argv"][1:] == [HELPER_FLAG] for r in records)


async def test_the_async_calls_go_through_a_child_too(keyring_env) -> None:  # type: ignore[no-untyped-def]
    folder = keyring_env("ok")
    keys = KeyStore(environ={}, timeout=20)
    await keys.store_async(KEY)
    assert (await keys.lookup_async()).key == KEY
    await keys.forget_async()
    assert (await keys.lookup_async()).key is None
    assert calls(folder) == ["set", "get", "delete", "get"]


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ("absent", "No recommended backend was available."),
        ("locked", "The system keyring is locked."),
        ("failing", "The system keyring failed (KeyringError)."),
    ],
)
def test_a_fault_in_the_child_is_told_in_words(keyring_env, fault: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    keyring_env(fault)
    found = KeyStore(environ={}, timeout=20).lookup()
    assert (found.key, found.source, found.problem) == (None, KeySource.NONE, problem)


def test_a_plain_text_backend_is_refused_in_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    found = KeyStore(environ={}, timeout=20).lookup()
    assert found.problem == "No secure system keyring is available."


def test_a_backend_that_cannot_load_is_a_failure_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    found = KeyStore(environ={}, timeout=20).lookup()
    assert found.problem == "The system keyring failed (ModuleNotFoundError)."


def test_a_hanging_keyring_is_killed_at_the_timeout(keyring_env) -> None:  # type: ignore[no-untyped-def]
    folder = keyring_env("hanging")
    started = time.monotonic()
    found = KeyStore(environ={}, timeout=2).lookup()
    waited = time.monotonic() - started
    assert found.problem == NO_ANSWER
    assert waited < 4
    [record] = (folder / "keyring-calls.txt").read_text().splitlines()
    pid = json.loads(record)["pid"]
    deadline = time.monotonic() + 5  # the worker thread kills it as its own timeout ends
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.05)
    assert not alive(pid), "the hung keyring child was left running"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_apps_process_never_loads_keyring(keyring_env) -> None:  # type: ignore[no-untyped-def]
    """secretstorage, jeepney and cryptography (+10.5 MB) stay in the child."""
    keyring_env("ok")
    code = (
        "import sys\n"
        "from writer_desktop.core.secrets import KeyStore\n"
        "keys = KeyStore(environ={}, timeout=20)\n"
        f"keys.store({KEY!r})\n"
        f"assert keys.lookup().key == {KEY!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('keyring', 'secretstorage', 'jeepney', 'cryptography')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_the_helper_command_runs_this_app() -> None:
    command = helper_command()
    assert command[0] == sys.executable
    assert command[-1] == HELPER_FLAG


@pytest.mark.keyring
def test_the_real_secret_service_through_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring's own choice in the child: gnome-keyring under dbus-run-session in CI."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        if os.environ.get("WRITER_DESKTOP_REQUIRE_KEYRING"):
            pytest.fail("a real Secret Service keyring is required here but no session bus is set")
        pytest.skip("no D-Bus session bus: run under dbus-run-session with gnome-keyring")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    keys = KeyStore(environ={}, timeout=20)
    try:
        keys.store("sk-real-keyring-child-test")
        found = keys.lookup()
        assert (found.key, found.source) == ("sk-real-keyring-child-test", KeySource.KEYRING)
        keys.forget()
        assert keys.lookup().key is None
    finally:
        keys.forget()


async def test_a_prefetched_lookup_is_the_one_the_app_waits_for(keyring_env) -> None:  # type: ignore[no-untyped-def]
    folder = keyring_env("ok")
    KeyStore(environ={}, timeout=20).store(KEY)
    keys = KeyStore(environ={}, timeout=20)
    keys.prefetch()
    keys.prefetch()  # one is enough
    found = await keys.lookup_async()
    assert (found.key, found.source) == (KEY, KeySource.KEYRING)
    assert calls(folder) == ["set", "get"]  # the prefetched child answered
    assert (await keys.lookup_async()).key == KEY  # later lookups start a child of their own
    assert calls(folder) == ["set", "get", "get"]


def test_nothing_is_prefetched_when_the_environment_gives_the_key(keyring_env) -> None:  # type: ignore[no-untyped-def]
    folder = keyring_env("ok")
    keys = KeyStore(environ={"WRITER_API_KEY": KEY}, timeout=20)
    keys.prefetch()
    assert keys.lookup().source is KeySource.ENVIRONMENT
    time.sleep(0.5)
    assert calls(folder) == []


def test_a_prefetched_lookup_that_hangs_is_killed_at_the_timeout(keyring_env) -> None:  # type: ignore[no-untyped-def]
    folder = keyring_env("hanging")
    keys = KeyStore(environ={}, timeout=2)
    keys.prefetch()
    found = keys.lookup()
    assert found.problem == NO_ANSWER
    [record] = (folder / "keyring-calls.txt").read_text().splitlines()
    pid = json.loads(record)["pid"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.05)
    assert not alive(pid), "the hung keyring child was left running"


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ([sys.executable, "-c", "import sys; sys.exit(3)"], "HelperFailed"),  # died, no answer
        ([sys.executable, "-c", "print('not json')"], "HelperFailed"),
        (["/nonexistent/writer-desktop"], "HelperNotStarted"),
    ],
)
def test_a_helper_that_fails_is_a_keyring_failure_in_words(
    monkeypatch: pytest.MonkeyPatch, command: list[str], kind: str
) -> None:
    from writer_desktop.core import keyring_child

    monkeypatch.setattr(keyring_child, "helper_command", lambda: command)
    keys = KeyStore(environ={}, timeout=20)
    keys.prefetch()  # a helper that cannot start is told by the lookup, not here
    assert keys.lookup().problem == f"The system keyring failed ({kind})."
    with pytest.raises(SecretsError, match=kind):
        keys.store(KEY)


def test_the_helper_answers_without_python_streams(keyring_env) -> None:  # type: ignore[no-untyped-def]
    """A windowed program may start with ``sys.stdin``/``sys.stdout`` None even when given
    pipes: the helper then reads and writes the descriptors themselves."""
    keyring_env("ok")
    code = (
        "import sys\n"
        "sys.stdin = sys.stdout = None\n"
        "from writer_desktop.core.keyring_child import serve\n"
        "serve()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, input='{"op": "get"}', capture_output=True,
        text=True, timeout=60, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout) == {"value": None}
