"""Smoke test of a frozen Writer Desktop bundle: does the built app really work?

    python packaging/smoke_test.py "dist/Writer Desktop"     # from the repository root

Needs an X server in ``DISPLAY`` (CI: ``xvfb-run``) and ``xdotool``. Against the fake Writer server
from ``tests/`` it

1. runs ``writer-desktop --version``;
2. starts the app on X11 (``QT_QPA_PLATFORM=xcb``) with a fresh ``WRITER_DESKTOP_HOME``, waits for
   the window, focuses it, types a prompt and presses Return, waits for the chat request and for the
   conversation file to hold the complete reply, quits with Ctrl+Q and requires exit code 0 and no
   ``Traceback`` or ``Warning`` on stderr; before quitting, a second launch must hand over to it
   over the single-instance socket and exit 0;
3. runs the headless ``writer-desktop export --all -o DIR`` on that home and checks the Markdown;
4. checks the bundled keyring: when this Python's keyring reaches a Secret Service (CI runs under
   ``dbus-run-session`` with gnome-keyring unlocked) and no key is stored yet, it stores a test key
   under ``writer-desktop``/``api-key``, starts the bundle *without* ``WRITER_API_KEY`` and
   requires the fake server to see that key; the test key is deleted again. Without a Secret
   Service this check is skipped and says so (``--require-keyring`` makes that a failure);
5. measures the bundle and fails above 120 MB unpacked or 50 MB as ``tar.gz``
   (``--no-size-limits`` only reports them), and times the warm start (see measure_start.py).

Prints a table and exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "packaging"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from measure_start import executable, measure, stop  # noqa: E402

from tests.fake_writer import FakeWriter, echo_reply  # noqa: E402
from writer_desktop import __version__  # noqa: E402

PROMPT = "Hello from the smoke test"
TITLE = "^Writer Desktop$"
KEY = "test-key"
UNPACKED_MB = 120  # size limits of the bundle (decimal MB), see README "Building installers"
TAR_GZ_MB = 50


class Failure(Exception):
    pass


def wait(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def app_env(home: Path, srv: FakeWriter, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(WRITER_DESKTOP_HOME=str(home), WRITER_BASE_URL=srv.base_url, WRITER_API_KEY=KEY)
    env.update(extra)
    return env


def xdotool(*args: str) -> str:
    out = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30)
    return out.stdout.strip() if out.returncode == 0 else ""


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def reply_saved(home: Path) -> bool:
    for path in (home / "conversations").glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being replaced right now: look again
        for m in data.get("messages", []):
            if (
                m.get("role") == "assistant"
                and m.get("status", "complete") == "complete"
                and m.get("content") == echo_reply(PROMPT)
            ):
                return True
    return False


def check_version(exe: Path) -> str:
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    text = (out.stdout + out.stderr).strip()
    if out.returncode != 0 or __version__ not in text:
        raise Failure(f"--version: exit {out.returncode}, output {text!r}")
    return text


def check_gui(exe: Path, home: Path, srv: FakeWriter) -> str:
    if not os.environ.get("DISPLAY"):
        raise Failure("no DISPLAY: run under xvfb-run or an X session")
    if not shutil.which("xdotool"):
        raise Failure("xdotool is not installed")
    env = app_env(home, srv, QT_QPA_PLATFORM="xcb")
    errlog = home.parent / "gui-stderr.txt"
    with open(errlog, "wb") as err:
        proc = subprocess.Popen([str(exe)], env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        win = ""

        def window() -> bool:
            nonlocal win
            if proc.poll() is not None:
                raise Failure(f"the app exited with {proc.returncode}: {errlog.read_text()!r}")
            found = xdotool("search", "--onlyvisible", "--name", TITLE).split()
            win = found[0] if found else ""
            return bool(win)

        wait(window, "the main window")
        wait(lambda: any(r.path.endswith("/models") for r in srv.requests), "GET /v1/models")
        xdotool("windowfocus", "--sync", win)
        time.sleep(0.3)  # the composer takes focus once the key is known
        xdotool("type", "--delay", "8", PROMPT)
        xdotool("key", "Return")
        wait(lambda: bool(srv.chat_requests), "the chat request")
        sent = srv.chat_requests[0].json
        if not any(PROMPT in s for s in strings(sent.get("messages"))):
            raise Failure(f"the chat request does not carry the prompt: {sent!r}")
        wait(lambda: reply_saved(home), "the complete reply in conversations/*.json")
        # A second launch finds this one over the single-instance socket, hands over, exits.
        try:
            second = subprocess.run([str(exe)], env=env, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired as exc:
            raise Failure("a second launch did not hand over to the first within 30 s") from exc
        if second.returncode != 0 or proc.poll() is not None:
            raise Failure(f"a second launch exited with {second.returncode}: {second.stderr!r}")
        xdotool("windowfocus", "--sync", win)
        xdotool("key", "ctrl+q")
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired as exc:
            raise Failure("the app did not quit within 30 s of Ctrl+Q") from exc
    finally:
        stop(proc)
    stderr = errlog.read_text(errors="replace")
    if code != 0:
        raise Failure(f"the app exited with {code} after Ctrl+Q; stderr: {stderr!r}")
    bad = [line for line in stderr.splitlines() if "Traceback" in line or "Warning" in line]
    if bad:
        raise Failure(f"stderr has {len(bad)} bad lines: {stderr!r}")
    return (
        f"window {win}, reply saved, second launch handed over, Ctrl+Q exit 0, "
        f"stderr {len(stderr)} bytes"
    )


def check_export(exe: Path, home: Path, srv: FakeWriter, out: Path) -> str:
    env = app_env(home, srv)
    env.pop("DISPLAY", None)  # headless commands must not need a display
    env.pop("WAYLAND_DISPLAY", None)
    res = subprocess.run(
        [str(exe), "export", "--all", "-o", str(out)], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    files = sorted(out.glob("*.md"))
    if res.returncode != 0 or not files:
        raise Failure(f"export: exit {res.returncode}, files {files}, stderr {res.stderr!r}")
    text = files[0].read_text(encoding="utf-8")
    if PROMPT not in text or f"Echo: {PROMPT}" not in text:
        raise Failure(f"export: {files[0].name} lacks the conversation: {text[:300]!r}")
    return f"{len(files)} Markdown file(s): {files[0].name}"


def host_keyring() -> Any:
    """This Python's keyring backend if it is a Secret Service one, else None."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    try:
        from keyring.backends import SecretService
    except ImportError:
        return None
    try:
        backend = SecretService.Keyring()  # type: ignore[no-untyped-call]
        backend.get_password("writer-desktop", "api-key")  # type: ignore[no-untyped-call]
    except Exception:
        return None
    return backend


def check_keyring(exe: Path, srv: FakeWriter, require: bool) -> str:
    backend = host_keyring()
    if backend is None:
        if require:
            raise Failure("keyring: no Secret Service reachable from this Python")
        return "SKIPPED (no Secret Service on the session bus)"
    if backend.get_password("writer-desktop", "api-key") is not None:
        if require:
            raise Failure("keyring: a key is already stored; not overwriting it")
        return "SKIPPED (a key is already stored for writer-desktop; not touching it)"
    backend.set_password("writer-desktop", "api-key", KEY)
    srv.reset()
    try:
        with tempfile.TemporaryDirectory(prefix="wd-keyring-") as home:
            env = app_env(Path(home), srv, QT_QPA_PLATFORM="offscreen")
            env.pop("WRITER_API_KEY")
            proc = subprocess.Popen(
                [str(exe)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            try:

                def authorised() -> bool:
                    if proc.poll() is not None:
                        raise Failure(f"keyring: the app exited with {proc.returncode}")
                    return any(
                        r.path.endswith("/models")
                        and {k.lower(): v for k, v in r.headers.items()}.get("authorization")
                        == f"Bearer {KEY}"
                        for r in srv.requests
                    )

                wait(authorised, "GET /v1/models with the key from the keyring")
            finally:
                stop(proc)
            log = Path(home, "logs", "writer-desktop.log")
            text = log.read_text(errors="replace") if log.exists() else ""
            if "keyring" in text.lower() and ("failed" in text or "No secure" in text):
                raise Failure(f"keyring: the log reports a keyring problem: {text[-500:]!r}")
    finally:
        backend.delete_password("writer-desktop", "api-key")
    return f"OK (read the key through {type(backend).__module__} inside the bundle)"


def tar_gz_size(bundle: Path, tmp: Path) -> int:
    archive = tmp / "bundle.tar.gz"
    subprocess.run(["tar", "czf", str(archive), "-C", str(bundle.parent), bundle.name], check=True)
    return archive.stat().st_size


def unpacked_size(bundle: Path) -> int:
    return sum(p.lstat().st_size for p in bundle.rglob("*") if not p.is_dir())


def main() -> int:
    parser = argparse.ArgumentParser(description="Smoke test of a frozen Writer Desktop bundle.")
    parser.add_argument("bundle", type=Path, help='the onedir bundle, e.g. "dist/Writer Desktop"')
    parser.add_argument("--require-keyring", action="store_true")
    parser.add_argument("--runs", type=int, default=5, help="start-time runs (default 5)")
    parser.add_argument(
        "--no-size-limits", action="store_true", help="report the sizes without failing on them"
    )
    args = parser.parse_args()
    bundle = args.bundle.resolve()
    exe = executable(bundle)
    results: list[tuple[str, str]] = []
    failed = False

    def step(name: str, fn: Callable[[], str]) -> None:
        nonlocal failed
        try:
            results.append((name, fn()))
        except Exception as exc:
            failed = True
            results.append((name, f"FAILED: {exc}"))

    with tempfile.TemporaryDirectory(prefix="wd-smoke-") as tmpname, FakeWriter() as srv:
        tmp = Path(tmpname)
        home = tmp / "home"
        home.mkdir()
        step("--version", lambda: check_version(exe))
        step("window, prompt, reply, Ctrl+Q", lambda: check_gui(exe, home, srv))
        step("export --all (headless)", lambda: check_export(exe, home, srv, tmp / "export"))
        step("keyring in the bundle", lambda: check_keyring(exe, srv, args.require_keyring))

        def size(what: str, measured: int, limit_mb: int) -> str:
            text = f"{measured / 1e6:.1f} MB (limit {limit_mb} MB)"
            if measured > limit_mb * 1e6 and not args.no_size_limits:
                raise Failure(f"{what} is {text}")
            return text

        step("unpacked size", lambda: size("unpacked", unpacked_size(bundle), UNPACKED_MB))
        step("tar.gz size", lambda: size("tar.gz", tar_gz_size(bundle, tmp), TAR_GZ_MB))

        def start() -> str:
            times = measure(bundle, args.runs)
            return f"{statistics.median(times):.2f} s median of {len(times)} (warm, offscreen)"

        step("start to window", start)
    width = max(len(name) for name, _ in results)
    for name, value in results:
        print(f"{name:<{width}}  {value}")
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
