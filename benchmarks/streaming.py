"""Streaming figures of issue 7: 2 (a 20,000-token reply against a bare httpx client, and a flat
per-token cost), 3 (1,000 tokens/s: the longest event-loop stall and CPU) and 7 (disk rewrites
while a 60 s reply streams).

Usage: ``python benchmarks/streaming.py [--runs 5] [--quick]`` (``--quick``: at most 3 runs, a 3 s
stream for figure 3 and a 10 s one for figure 7).

The fake Writer server (``python -m tests.fake_writer``) runs in a process of its own, so its CPU
is never counted. Every run is a fresh Python process from this interpreter, started the same way:

* **app**: the real composition (``open_main_window``: Controller, MainWindow, ChatView) on the
  app's qasync loop, offscreen, with a store in a temporary folder. It sends a short prompt first
  (untimed: it opens the keep-alive connection and loads markdown-it and Pygments), then types
  the measured prompt and presses Enter. The time runs from the key press until the reply is no
  longer streaming and the chat view has repainted (its final render). Each delta is timestamped
  where the chat view appends it (``ChatView.append_delta``, wrapped). A 5 ms precise QTimer
  records its worst lateness; CPU is ``time.process_time`` over wall time from send to the end.
  Rewrites of the conversation's JSON file are counted at ``ConversationStore``'s call of
  ``atomic_write``, appends to its reply journal at ``AppendFile.append`` (with their bytes);
  bytes that reached the disk come from ``/proc/self/io`` (``write_bytes``).
* **httpx**: a bare ``httpx.AsyncClient`` on plain asyncio posts the same prompt to the same
  server (after one untimed warm-up request on the same connection) and reads the body with
  ``aiter_bytes`` to EOF.

Figure 2 is the median app time ÷ the median httpx time of a 20,000-token reply sent unpaced
(``/tokens 20000``), app and httpx runs interleaved; its second row the per-token rate over the
last 10 % of deltas ÷ over the first 10 % (median over the app runs). Figures 3 and 7 stream at
1,000 tokens/s, one event per write as a real server sends them (``/pace 1000 N``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Figure, child_json, median, stop  # noqa: E402

KEY = "test-key"
MODEL = "palmyra-x5"
SSE_HEADERS = {"Authorization": f"Bearer {KEY}", "Accept": "text/event-stream"}


def chat_body(text: str) -> dict[str, Any]:
    """The request a bare client sends: one user message, streamed."""
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], "stream": True}


WARM_UP = "Hello"
UNPACED_TOKENS = 20_000
PACE = 1000  # tokens per second for figures 3 and 7
TICK_MS = 5  # the stall probe's interval
PROFILE_ENV = "STREAMING_PROFILE"


# -- the fake server, in its own process --------------------------------------------------------


@contextmanager
def fake_server() -> Iterator[str]:
    """``python -m tests.fake_writer`` on a free port; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_writer", "--port", "0", "--any-key", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"the fake server did not start: {line!r}")
        yield line[line.index("http://") :].strip()
    finally:
        stop(proc)


def run_child(
    mode: str, url: str, prompt: str, expect_chars: int, seconds: float
) -> dict[str, Any]:
    """One measurement in a fresh process; returns its JSON result."""
    args = ["--child", mode, "--url", url, "--prompt", prompt, "--expect-chars", str(expect_chars)]
    result: dict[str, Any] = child_json(__file__, args, seconds + 120, f"{mode} run")
    return result


# -- figures ------------------------------------------------------------------------------------


def expected_chars(tokens: int) -> int:
    from tests.fake_writer.texts import token_stream

    return len("".join(token_stream(tokens)))


def figure_2(url: str, runs: int) -> list[Figure]:
    prompt = f"/tokens {UNPACED_TOKENS}"
    chars = expected_chars(UNPACED_TOKENS)
    app: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
    for i in range(runs):
        order = ("app", "httpx") if i % 2 == 0 else ("httpx", "app")
        for mode in order:
            result = run_child(mode, url, prompt, chars, 60)
            (app if mode == "app" else bare).append(result)
    app_s = median([r["wall"] for r in app])
    bare_s = median([r["wall"] for r in bare])
    ratio = app_s / bare_s
    flat = median([r["rate_last"] / r["rate_first"] for r in app])
    per_char = UNPACED_TOKENS / chars  # rates are measured in characters
    first = median([r["rate_first"] for r in app]) * per_char
    last = median([r["rate_last"] for r in app]) * per_char
    cpu = median([r["cpu"] / r["wall"] * 100 for r in app])
    return [
        Figure(
            2,
            f"{UNPACED_TOKENS:,}-token reply unpaced, app ÷ bare httpx",
            ratio,
            "×",
            "≤ 3",
            ratio <= 3,
            f"app {app_s:.2f} s vs httpx {bare_s:.2f} s, median of {runs} each, interleaved; "
            f"app CPU {cpu:.0f} % of a core",
        ),
        Figure(
            2,
            "per-token rate last 10 % ÷ first 10 %",
            flat,
            "×",
            "≥ 0.8",
            flat >= 0.8,
            f"first 10 % {first:,.0f} tokens/s, last 10 % {last:,.0f} tokens/s, median of {runs}",
        ),
    ]


def paced_runs(url: str, runs: int, seconds: float) -> list[dict[str, Any]]:
    tokens = int(seconds * PACE)
    chars = expected_chars(tokens)
    return [run_child("app", url, f"/pace {PACE} {tokens}", chars, seconds) for _ in range(runs)]


def figure_3(url: str, runs: int, seconds: float) -> list[Figure]:
    results = paced_runs(url, runs, seconds)
    stall = median([r["worst_late_ms"] for r in results])
    cpu = median([r["cpu"] / r["wall"] * 100 for r in results])
    worst = max(results, key=lambda r: r["worst_late_ms"])
    where = worst["worst_late_at"] / worst["wall"] * 100
    stalls = ", ".join(f"{r['worst_late_ms']:.0f}" for r in results)
    return [
        Figure(
            3,
            f"{PACE:,} tokens/s: longest event-loop stall",
            stall,
            "ms",
            "≤ 50",
            stall <= 50,
            f"a {TICK_MS} ms timer's worst lateness over a {seconds:g} s reply, median of {runs} "
            f"(runs: {stalls} ms; the worst at {where:.0f} % of its stream)",
        ),
        Figure(
            3,
            f"{PACE:,} tokens/s: app CPU",
            cpu,
            "% of a core",
            "≤ 10",
            cpu <= 10,
            f"process time ÷ wall time from send to the final render, median of {runs}",
        ),
    ]


def figure_7(url: str, runs: int, seconds: float) -> list[Figure]:
    results = paced_runs(url, runs, seconds)
    rate = median([r["rewrites"] / r["wall"] for r in results])
    steady = median([r["streaming_rewrites"] / r["streaming_seconds"] for r in results])
    count = median([float(r["rewrites"]) for r in results])
    at_send = median([float(r["send_rewrites"]) for r in results])
    appends = median([r["appends"] / r["streaming_seconds"] for r in results])
    appended = median([r["append_bytes"] / r["wall"] for r in results])
    wall = median([r["wall"] for r in results])
    disk = median([r["write_bytes"] / r["wall"] for r in results])
    saved = median([r["rewrite_bytes"] / r["wall"] for r in results])
    gap = median([r["longest_gap"] for r in results])
    stall = median([r["worst_late_ms"] for r in results])
    cpu = median([r["cpu"] / r["wall"] * 100 for r in results])
    return [
        Figure(
            7,
            f"rewrites of the conversation while a {seconds:g} s reply streams",
            rate,
            "rewrites/s",
            "≤ 1",
            rate <= 1,
            f"{count:.0f} rewrites from send to the end in {wall:.1f} s ({PACE:,} tokens/s), "
            f"of them {steady:.3f}/s while text streamed (without the {at_send:.0f} at send "
            f"and the 1 at the end); {saved / 1024:.0f} KiB/s rewritten; the reply's journal: "
            f"{appends:.2f} appends/s while text streamed, {appended / 1024:.1f} KiB/s appended; "
            f"longest gap between durable writes (rewrite or append) {gap:.2f} s; "
            f"{disk / 1024:.0f} KiB/s reached the disk "
            f"(/proc/self/io write_bytes); meanwhile stall {stall:.0f} ms, CPU {cpu:.1f} %; "
            f"median of {runs}",
        ),
    ]


def figures(runs: int = 5, quick: bool = False) -> list[Figure]:
    """Figures 2, 3 and 7, measured now against a fake server in its own process."""
    if quick:
        runs = min(runs, 3)
    with fake_server() as url:
        rows = figure_2(url, runs)
        rows += figure_3(url, runs, 3 if quick else 10)
        rows += figure_7(url, runs, 10 if quick else 60)
    return rows


# -- the measured processes ---------------------------------------------------------------------


@dataclass
class Probe:
    """What the app process records while its reply streams."""

    stamps: list[tuple[float, int]]  # when the chat view got a delta, and its length
    ticks_worst: float = 0.0
    ticks_worst_at: float = 0.0
    last_tick: float = 0.0
    cpu_marks: list[float] = field(default_factory=list)  # process time at each whole second


def qt_timers(loop: asyncio.AbstractEventLoop) -> int:
    """Timers qasync has started and not yet killed (a cancelled asyncio timer keeps its Qt timer
    until it would have fired); -1 if qasync's insides are not as expected."""
    callbacks = getattr(getattr(loop, "_timer", None), "_SimpleTimer__callbacks", None)
    return len(callbacks) if isinstance(callbacks, dict) else -1


def start_profiler() -> Any:
    """A started pyinstrument profiler when ``STREAMING_PROFILE=<file>`` asks for the measured
    reply's profile (``pip install pyinstrument``), else None."""
    if not os.environ.get(PROFILE_ENV):
        return None
    pyinstrument = importlib.import_module("pyinstrument")  # optional: not a dependency
    profiler = pyinstrument.Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    return profiler


def disk_write_bytes() -> int:
    try:
        text = Path("/proc/self/io").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def edge_rates(stamps: list[tuple[float, int]], share: float = 0.1) -> tuple[float, float]:
    """Characters per second over the first and the last ``share`` of the text: from the delta
    before them to the one that completes them (so batched deltas count whole)."""
    total = sum(n for _, n in stamps)
    if len(stamps) < 3 or total == 0:
        return 0.0, 0.0
    want = share * total
    got, i = 0, 0
    while got < want and i < len(stamps) - 1:
        i += 1
        got += stamps[i][1]
    first = got / max(stamps[i][0] - stamps[0][0], 1e-9)
    got, j = 0, len(stamps) - 1
    while got < want and j > 0:
        got += stamps[j][1]
        j -= 1
    last = got / max(stamps[-1][0] - stamps[j][0], 1e-9)
    return first, last


def child_app(url: str, prompt: str, expect_chars: int) -> dict[str, Any]:
    """The app on its own loop: one untimed reply, then the measured one."""
    import httpx
    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from writer_desktop.app import open_main_window
    from writer_desktop.core import store as store_module
    from writer_desktop.core.api import WriterClient
    from writer_desktop.core.atomic import AppendFile
    from writer_desktop.core.logs import Redactor
    from writer_desktop.core.models import Message, Role, Status
    from writer_desktop.core.secrets import KeyStore
    from writer_desktop.core.settings import Settings
    from writer_desktop.core.store import ConversationStore
    from writer_desktop.ui.chat_view import ChatView
    from writer_desktop.ui.event_loop import run
    from writer_desktop.ui.main_window import MainWindow

    probe = Probe([])
    measuring = False
    appended = ChatView.append_delta

    def append_delta(self: ChatView, conv_id: str, message_id: str, text: str) -> None:
        if measuring:
            probe.stamps.append((time.perf_counter(), len(text)))
        appended(self, conv_id, message_id, text)

    ChatView.append_delta = append_delta  # type: ignore[method-assign]

    rewrites: list[tuple[float, Path, int]] = []
    atomic_write = store_module.atomic_write  # type: ignore[attr-defined]

    save_seconds: list[float] = []

    def counting_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
        start = time.perf_counter()
        atomic_write(path, data, mode=mode)
        rewrites.append((time.perf_counter(), path, len(data)))
        save_seconds.append(rewrites[-1][0] - start)

    store_module.atomic_write = counting_write  # type: ignore[attr-defined]

    appends: list[tuple[float, Path, int]] = []  # the reply journal's, for figure 7
    append = AppendFile.append

    def counting_append(self: AppendFile, data: bytes) -> None:
        append(self, data)
        appends.append((time.perf_counter(), self.path, len(data)))

    AppendFile.append = counting_append  # type: ignore[method-assign]

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if isinstance(app, QApplication):
        app.setQuitOnLastWindowClosed(False)  # as the app does: closing the window ends nothing
    tmp = Path(tempfile.mkdtemp(prefix="wd-bench-"))
    store = ConversationStore(tmp / "data", tmp / "cache").open()

    async def send_and_wait(window: MainWindow, text: str, timed: bool) -> dict[str, Any]:
        nonlocal measuring
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[float] = loop.create_future()

        def on_changed(_conv_id: str, message: Message) -> None:
            finished = message.role is Role.ASSISTANT and message.status is not Status.STREAMING
            if finished and not ended.done():
                ended.set_result(time.perf_counter())

        controller = window.controller
        controller.message_changed.connect(on_changed)
        tick = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=TICK_MS)
        t0 = 0.0

        def on_tick() -> None:
            now = time.perf_counter()
            late = now - probe.last_tick - TICK_MS / 1000
            if late > probe.ticks_worst:
                probe.ticks_worst, probe.ticks_worst_at = late, now - t0
            probe.last_tick = now
            if now - t0 >= len(probe.cpu_marks) + 1:
                probe.cpu_marks.append(time.process_time())

        tick.timeout.connect(on_tick)
        editor = window.composer.editor
        QTest.keyClicks(editor, text)
        measuring = timed
        probe.stamps.clear()
        probe.cpu_marks.clear()
        disk0 = disk_write_bytes()
        first_rewrite = len(rewrites)
        first_append = len(appends)
        save_seconds.clear()
        cpu0 = time.process_time()
        t0 = probe.last_tick = time.perf_counter()
        profiler = start_profiler() if timed else None
        if timed:
            tick.start()
        QTest.keyClick(editor, Qt.Key.Key_Return)
        t_end = await asyncio.wait_for(ended, 600)
        window.chat.viewport().repaint()
        t1 = time.perf_counter()
        if profiler is not None:
            profiler.stop()
            report = profiler.output_text(show_all=False)
            Path(os.environ[PROFILE_ENV]).write_text(report)  # noqa: ASYNC240 (after the timing)
        cpu = time.process_time() - cpu0
        tick.stop()
        measuring = False
        controller.message_changed.disconnect(on_changed)
        conv = controller.current_conversation()
        if conv is None or conv.messages[-1].status is not Status.COMPLETE:
            raise RuntimeError("the reply did not complete")
        reply = conv.messages[-1]
        if timed and expect_chars and len(window.chat.message_text(reply.id)) != expect_chars:
            raise RuntimeError(
                f"the view shows {len(window.chat.message_text(reply.id))} characters, "
                f"expected {expect_chars}"
            )
        target = store.conversations_dir / f"{conv.id}.json"
        mine = [(t, n) for t, path, n in rewrites[first_rewrite:] if path == target]
        t_text = probe.stamps[0][0] if probe.stamps else t_end  # the first text shown
        streaming = [t for t, _ in mine[:-1] if t > t_text]  # not the saves at send and end
        journal = target.with_suffix(".journal")
        journaled = [(t, n) for t, path, n in appends[first_append:] if path == journal]
        # the longest time the reply's newest text was only in memory: between durable writes
        times = [t0, *sorted([t for t, _ in mine] + [t for t, _ in journaled]), t1]
        first, last = edge_rates(probe.stamps)
        return {
            "wall": t1 - t0,
            "cpu": cpu,
            "deltas": len(probe.stamps),
            "rate_first": first,
            "rate_last": last,
            "worst_late_ms": probe.ticks_worst * 1000,
            "worst_late_at": probe.ticks_worst_at,
            "rewrites": len(mine),
            "streaming_rewrites": len(streaming),
            "send_rewrites": sum(t <= t_text for t, _ in mine),
            "appends": len(journaled),
            "append_bytes": sum(n for _, n in journaled),
            "streaming_seconds": t_end - t_text,
            "rewrite_bytes": sum(n for _, n in mine),
            "longest_gap": max(b - a for a, b in itertools.pairwise(times)),
            "write_bytes": disk_write_bytes() - disk0,
            "first_delta": probe.stamps[0][0] - t0 if probe.stamps else 0.0,
            "after_last_delta": t1 - probe.stamps[-1][0] if probe.stamps else 0.0,
            "save_seconds": sum(save_seconds),
            "worst_save": max(save_seconds, default=0.0),
            "qt_timers": qt_timers(loop),
            "cpu_per_second": [b - a for a, b in itertools.pairwise([cpu0, *probe.cpu_marks])],
        }

    async def scenario() -> dict[str, Any]:
        async with httpx.AsyncClient() as http:
            client = WriterClient(http, api_key=KEY, base_url=url)
            keys = KeyStore(object(), environ={"WRITER_API_KEY": KEY})
            state = QSettings(str(tmp / "window.ini"), QSettings.Format.IniFormat)
            window = await open_main_window(store, client, keys, Settings(), Redactor(), state)
            if window is None:
                raise RuntimeError("the main window did not open")
            window.resize(1000, 700)
            try:
                await send_and_wait(window, WARM_UP, timed=False)
                return await send_and_wait(window, prompt, timed=True)
            finally:
                window.close()
                await window.controller.shutdown()
                window.deleteLater()
                await asyncio.sleep(0)

    try:
        return run(scenario())
    finally:
        store.close()
        del app


def child_httpx(url: str, prompt: str, expect_chars: int) -> dict[str, Any]:
    """A bare httpx client reading the same stream to EOF (after a warm-up on the connection)."""
    import httpx

    async def scenario() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=url, headers=SSE_HEADERS, timeout=60) as http:
            async with http.stream("POST", "/v1/chat", json=chat_body(WARM_UP)) as response:
                async for _ in response.aiter_bytes():
                    pass
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            size = 0
            async with http.stream("POST", "/v1/chat", json=chat_body(prompt)) as response:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
            wall = time.perf_counter() - t0
            if response.status_code != 200 or size < expect_chars:
                raise RuntimeError(f"HTTP {response.status_code}, {size} bytes")
            return {"wall": wall, "cpu": time.process_time() - cpu0, "bytes": size}

    return asyncio.run(scenario())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="≤ 3 runs and shorter streams")
    parser.add_argument("--child", choices=("app", "httpx"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--prompt", help=argparse.SUPPRESS)
    parser.add_argument("--expect-chars", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child = child_app if args.child == "app" else child_httpx
        print(json.dumps(child(args.url, args.prompt, args.expect_chars)), flush=True)
        return
    for fig in figures(args.runs, args.quick):
        print(f"{fig.number}  {fig.what}: {fig.value:.2f} {fig.unit} (target {fig.target}, "
              f"{'ok' if fig.ok else 'MISSED'}) — {fig.detail}")  # fmt: skip


if __name__ == "__main__":
    main()
