"""Single instance: later launches reach the running one over a private local socket."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from writer_desktop.ui.instance_client import socket_name
from writer_desktop.ui.single_instance import MAX_REQUEST, InstanceServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX socket paths")

CLIENT = (  # as a later launch asks, before it has loaded Qt
    "import sys, json\n"
    "from writer_desktop.ui.instance_client import send_to_running\n"
    "print(send_to_running(sys.argv[1], json.loads(sys.argv[2])))\n"
    "assert 'PySide6.QtNetwork' not in sys.modules\n"
)


def send_from_another_process(name: str, request: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLIENT, name, request],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], qtbot: QtBot) -> str:
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=15_000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return out.strip()


@pytest.fixture
def runtime(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    return folder


# The POSIX transport (a plain Unix socket) and Windows' (QLocalServer), which runs here too.
TRANSPORTS = pytest.mark.parametrize("pipe", [False, True], ids=["unix", "qlocalserver"])


@TRANSPORTS
def test_activate_and_quick_reach_the_running_instance(
    runtime: Path, qtbot: QtBot, pipe: bool
) -> None:
    server = InstanceServer(socket_name(runtime), pipe=pipe)
    assert server.listen()
    try:
        mode = os.stat(socket_name(runtime)).st_mode
        assert stat.S_ISSOCK(mode)
        assert mode & 0o077 == 0, "only the user may open the socket"
        with qtbot.waitSignal(server.activate_requested, timeout=15_000):
            proc = send_from_another_process(server.name, '{"command": "activate"}')
        assert finish(proc, qtbot) == "True"
        with qtbot.waitSignal(server.quick_requested, timeout=15_000) as blocker:
            proc = send_from_another_process(server.name, '{"command": "quick", "text": "héllo"}')
        assert finish(proc, qtbot) == "True"
        assert blocker.args == ["héllo"]
    finally:
        server.close()


@TRANSPORTS
def test_bad_requests_are_refused(runtime: Path, qtbot: QtBot, pipe: bool) -> None:
    server = InstanceServer(socket_name(runtime), pipe=pipe)
    assert server.listen()
    try:
        for request in ('{"command": "format-disk"}', "[1, 2]", '{"command": "quick", "text": 5}'):
            proc = send_from_another_process(server.name, request)
            assert finish(proc, qtbot) == "False"
    finally:
        server.close()


def test_no_instance_means_false(runtime: Path, qtbot: QtBot) -> None:
    proc = send_from_another_process(socket_name(runtime), '{"command": "activate"}')
    assert finish(proc, qtbot) == "False"


@TRANSPORTS
def test_second_server_defers_to_a_live_one(runtime: Path, qtbot: QtBot, pipe: bool) -> None:
    first = InstanceServer(socket_name(runtime), pipe=pipe)
    assert first.listen()
    try:
        second = InstanceServer(socket_name(runtime), pipe=pipe)
        assert not second.listen()
    finally:
        first.close()


@TRANSPORTS
def test_stale_socket_from_a_crash_is_recovered(runtime: Path, qtbot: QtBot, pipe: bool) -> None:
    name = socket_name(runtime)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(name)  # the file stays behind once the socket is closed, as after kill -9
    crashed.close()
    assert Path(name).exists()
    server = InstanceServer(name, pipe=pipe)
    assert server.listen()
    try:
        with qtbot.waitSignal(server.activate_requested, timeout=15_000):
            proc = send_from_another_process(name, '{"command": "activate"}')
        assert finish(proc, qtbot) == "True"
    finally:
        server.close()


@TRANSPORTS
def test_a_launch_that_hangs_up_or_floods_does_not_stop_the_server(
    runtime: Path, qtbot: QtBot, pipe: bool
) -> None:
    name = socket_name(runtime)
    server = InstanceServer(name, pipe=pipe)
    assert server.listen()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:  # as listen()'s probe
            silent.connect(name)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as flood:
            flood.connect(name)
            flood.setblocking(False)  # the server answers from this thread's event loop
            rest = b"x" * (MAX_REQUEST + 10)  # never a whole line
            answer = b""

            def answered() -> bool:
                nonlocal rest, answer
                with contextlib.suppress(BlockingIOError):
                    rest = rest[flood.send(rest) :] if rest else rest
                with contextlib.suppress(BlockingIOError):
                    answer += flood.recv(4096)
                return b"\n" in answer

            qtbot.waitUntil(answered, timeout=15_000)
        assert json.loads(answer) == {"ok": False, "error": "request too large"}
        with qtbot.waitSignal(server.activate_requested, timeout=15_000):
            proc = send_from_another_process(name, '{"command": "activate"}')
        assert finish(proc, qtbot) == "True"
    finally:
        server.close()


def test_the_unix_socket_is_made_private_and_removed_at_close(runtime: Path) -> None:
    name = socket_name(runtime)
    server = InstanceServer(name)
    assert server.listen()
    assert [p.name for p in runtime.iterdir()] == ["writer-desktop.sock"]  # no folder left
    server.close()
    assert not Path(name).exists()
    # A newer instance's socket at the same path is not this one's to remove.
    server = InstanceServer(name)
    assert server.listen()
    os.unlink(name)
    newer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    newer.bind(name)
    try:
        server.close()
        assert Path(name).exists()
    finally:
        newer.close()


def test_a_deep_data_folder_gets_a_short_private_socket(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A WRITER_DESKTOP_HOME of ~90 characters made the socket's path too long for its address:
    # the server could not listen, and later launches and `quick` found nobody.
    deep = tmp_path / ("d" * 120) / "run"
    deep.mkdir(parents=True, mode=0o700)
    folder = f"writer-desktop-{os.getuid()}"
    name = socket_name(deep)
    assert len(os.fsencode(name)) <= 100
    assert Path(name).parent == Path("/tmp", folder)
    # The same name whatever the environment: a launch from another session (or a script
    # without XDG_RUNTIME_DIR) looked in another folder and found nobody.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert socket_name(deep) == name
    assert socket_name(tmp_path / ("e" * 120) / "run") != name  # one per data folder
    server = InstanceServer(name)
    assert server.listen()
    try:
        assert stat.S_IMODE(os.stat(Path(name).parent).st_mode) == 0o700
        with qtbot.waitSignal(server.activate_requested, timeout=15_000):
            proc = send_from_another_process(name, '{"command": "activate"}')
        assert finish(proc, qtbot) == "True"
    finally:
        server.close()


def test_a_socket_folder_others_can_enter_is_not_used(runtime: Path, qtbot: QtBot) -> None:
    # The short folder is in a shared place (/tmp without XDG_RUNTIME_DIR): one made by someone
    # else, or open to others, could hold their socket, listening for our requests.
    name = socket_name(runtime)
    server = InstanceServer(name)
    assert server.listen()
    try:
        runtime.chmod(0o755)
        proc = send_from_another_process(name, '{"command": "activate"}')
        assert finish(proc, qtbot) == "False"  # not asked: taken for no instance
        runtime.chmod(0o700)
        proc = send_from_another_process(name, '{"command": "activate"}')
        assert finish(proc, qtbot) == "True"
    finally:
        server.close()
    runtime.chmod(0o755)
    refused = InstanceServer(name)
    assert not refused.listen()  # logged; the app runs on without it
    refused.close()
    assert [p.name for p in runtime.iterdir()] == []  # no socket, no private folder left


def test_the_posix_server_does_not_load_qt_network(runtime: Path) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from writer_desktop.ui.single_instance import InstanceServer\n"
        "app = QCoreApplication([])\n"
        "server = InstanceServer(sys.argv[1])\n"
        "assert server.listen()\n"
        "server.close()\n"
        "print('PySide6.QtNetwork' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, socket_name(runtime)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert out.stdout.strip() == "False"


def test_a_held_server_answers_at_once_and_signals_once_delivered(
    runtime: Path, qtbot: QtBot
) -> None:
    # The app listens before the parts that act on requests exist: a "quick" arriving in
    # between was answered "ok" and its signal went to nobody.
    server = InstanceServer(socket_name(runtime), held=True)
    assert server.listen()
    got: list[str] = []
    server.quick_requested.connect(got.append)
    try:
        for text in ("one", "two"):
            proc = send_from_another_process(
                server.name, f'{{"command": "quick", "text": "{text}"}}'
            )
            assert finish(proc, qtbot) == "True"
        assert got == []
        server.deliver()
        assert got == ["one", "two"]
        proc = send_from_another_process(server.name, '{"command": "quick", "text": "three"}')
        assert finish(proc, qtbot) == "True"
        qtbot.waitUntil(lambda: got == ["one", "two", "three"], timeout=15_000)
    finally:
        server.close()
