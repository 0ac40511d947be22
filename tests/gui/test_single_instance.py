"""Single instance: later launches reach the running one over a private local socket."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from writer_desktop.ui.instance_client import socket_name
from writer_desktop.ui.single_instance import InstanceServer

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


def test_activate_and_quick_reach_the_running_instance(runtime: Path, qtbot: QtBot) -> None:
    server = InstanceServer(socket_name(runtime))
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


def test_bad_requests_are_refused(runtime: Path, qtbot: QtBot) -> None:
    server = InstanceServer(socket_name(runtime))
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


def test_second_server_defers_to_a_live_one(runtime: Path, qtbot: QtBot) -> None:
    first = InstanceServer(socket_name(runtime))
    assert first.listen()
    try:
        second = InstanceServer(socket_name(runtime))
        assert not second.listen()
    finally:
        first.close()


def test_stale_socket_from_a_crash_is_recovered(runtime: Path, qtbot: QtBot) -> None:
    name = socket_name(runtime)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(name)  # the file stays behind once the socket is closed, as after kill -9
    crashed.close()
    assert Path(name).exists()
    server = InstanceServer(name)
    assert server.listen()
    try:
        with qtbot.waitSignal(server.activate_requested, timeout=15_000):
            proc = send_from_another_process(name, '{"command": "activate"}')
        assert finish(proc, qtbot) == "True"
    finally:
        server.close()
