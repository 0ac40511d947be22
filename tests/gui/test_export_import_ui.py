"""File ▸ Export/Import and the sidebar's Export… with the real store and files on disk."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QWidget
from pytestqt.qtbot import QtBot

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, reply_done, run_scenario, send, until
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.main_window import chosen_format, export_format_box, export_target


def test_export_current_as_markdown_and_json(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="# Heading\n\nBody with `code`."))
    out = tmp_path / "out"
    out.mkdir()

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.export_action.trigger()
            assert "nothing to export" in window.statusBar().currentMessage()
            await send(window, "Plan: release / v2?")
            await reply_done(window)
            suggested: list[str] = []

            def ask(name: str) -> tuple[str, str]:
                suggested.append(name)
                return str(out / "chat.md"), "Markdown (*.md)"

            window.ask_save_path = ask
            window.export_action.trigger()
            assert suggested == ["Plan_ release _ v2_.md"]  # made safe from the title
            text = (out / "chat.md").read_text()
            assert text.startswith("# Plan: release / v2?")
            assert "### Heading" in text  # the reply's heading cannot pose as a role heading
            window.ask_save_path = lambda _name: (str(out / "chat.json"), "JSON, importable")
            conv_id = window.controller.current_id
            assert conv_id is not None
            window.sidebar.export_requested.emit(conv_id)
            assert json.loads((out / "chat.json").read_text())["id"] == conv_id

    run_scenario(scenario())


def test_export_all_then_import_back_is_skipped_as_identical(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="one"), Reply(text="two"))
    folder = tmp_path / "backup"
    folder.mkdir()

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            for prompt in ("first", "second"):
                window.new_action.trigger()
                await send(window, prompt)
                await reply_done(window)
            window.ask_export_folder = lambda: (str(folder), "json")
            window.export_all_action.trigger()
            await until(lambda: "Exported 2" in window.statusBar().currentMessage(), what="done")
            files = sorted(folder.glob("*.json"))
            assert [f.name for f in files] == ["first.json", "second.json"]
            window.ask_import_paths = lambda: [str(f) for f in files]
            window.import_action.trigger()
            await until(lambda: "already here" in window.statusBar().currentMessage(), what="it")
            message = window.statusBar().currentMessage()
            assert message == "Nothing new was imported: 2 already here."  # not "Imported 0"
            assert len(store.list()) == 2

    run_scenario(scenario())


def test_import_reports_bad_files_and_adds_good_ones(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    good = {
        "schema_version": 1, "id": "3b241101-e2bb-4255-8caf-4136c566a962", "title": "Imported",
        "created_at": "2026-11-25T17:19:42.123Z", "updated_at": "2026-11-25T17:20:03.456Z",
        "model": "palmyra-x5", "system_prompt": "", "params": {}, "pinned": False, "messages": [],
    }  # fmt: skip
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "bad.json").write_text("{not json")
    problems: list[str] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller.problem.connect(problems.append)
            window.ask_import_paths = lambda: [
                str(tmp_path / "good.json"),
                str(tmp_path / "bad.json"),
            ]
            window.import_action.trigger()
            await until(lambda: problems, what="the report")
            titles = [window.sidebar.model.index(i, 0).data() for i in range(2)]
            assert "Imported" in titles

    run_scenario(scenario())
    assert len(problems) == 1
    assert "bad.json" in problems[0]
    assert "Imported 1 conversation" in problems[0]


def test_export_a_selection_of_conversations(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    from PySide6.QtCore import QItemSelectionModel

    fake.enqueue(Reply(text="a"), Reply(text="b"), Reply(text="c"))
    folder = tmp_path / "picked"
    folder.mkdir()

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            for prompt in ("alpha", "beta", "gamma"):
                window.new_action.trigger()
                await send(window, prompt)
                await reply_done(window)
            sidebar = window.sidebar
            selection = sidebar.view.selectionModel()
            flags = QItemSelectionModel.SelectionFlag
            selection.select(sidebar.proxy.index(0, 0), flags.ClearAndSelect | flags.Rows)
            selection.select(sidebar.proxy.index(2, 0), flags.Select | flags.Rows)
            assert len(sidebar.selected_ids()) == 2
            [_rename, _pin, export, _delete] = sidebar.context_actions(sidebar.proxy.index(0, 0))
            assert export.text() == "&Export 2 selected…"
            window.ask_export_folder = lambda: (str(folder), "markdown")
            export.trigger()
            await until(lambda: "Exported 2" in window.statusBar().currentMessage(), what="done")
            assert sorted(f.name for f in folder.iterdir()) == ["alpha.md", "gamma.md"]

    run_scenario(scenario())


def test_the_format_question_can_be_cancelled(qtbot: QtBot) -> None:
    # Esc (or closing the box) used to mean "No", that is JSON: everything was exported.
    parent = QWidget()
    qtbot.addWidget(parent)
    for press, expected in ((None, None), ("markdown", "markdown"), ("json", "json")):
        box = export_format_box(parent)
        box.open()
        qtbot.waitExposed(box)
        if press is None:
            QTest.keyClick(box, Qt.Key.Key_Escape)
        else:
            button = box.findChild(QAbstractButton, press)
            assert button is not None
            button.click()
        qtbot.waitUntil(lambda: not box.isVisible())  # noqa: B023 (waited for here)
        assert chosen_format(box) == expected
        box.deleteLater()


@pytest.mark.parametrize(
    ("path", "chosen", "expected"),
    [
        ("/d/name.md", "Markdown (*.md)", ("/d/name.md", "markdown")),
        ("/d/name.md", "JSON, importable (*.json)", ("/d/name.json", "json")),  # the suggestion
        ("/d/single", "JSON, importable (*.json)", ("/d/single.json", "json")),
        ("/d/single", "Markdown (*.md)", ("/d/single.md", "markdown")),
        ("/d/notes.markdown", "Markdown (*.md)", ("/d/notes.markdown", "markdown")),
        ("/d/data.json", "Markdown (*.md)", ("/d/data.md", "markdown")),
        ("/d/keep.txt", "JSON, importable (*.json)", ("/d/keep.txt", "json")),  # user's choice
        ("/d/plain.json", "", ("/d/plain.json", "json")),  # no filter: the name says
        ("/d/plain", "", ("/d/plain.md", "markdown")),
    ],
)
def test_the_file_name_follows_the_chosen_format(
    path: str, chosen: str, expected: tuple[str, str]
) -> None:
    target, fmt = export_target(path, chosen)
    assert (str(target), fmt) == expected


def test_a_renamed_export_never_replaces_a_file_nobody_agreed_to_replace(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text="An answer."))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "Export me")
            await reply_done(window)
            conv_id = window.controller.current_id or ""
            taken = tmp_path / "out.json"
            taken.write_text("someone else's file")
            # The dialog asked about out.md; JSON was chosen: out.json is not to be replaced.
            window.ask_save_path = lambda _: (str(tmp_path / "out.md"), "JSON, importable (*.json)")
            window.export_conversation(conv_id)
            assert taken.read_text() == "someone else's file"
            written = json.loads((tmp_path / "out (2).json").read_text())
            assert written["id"] == conv_id
            assert not (tmp_path / "out.md").exists()

    run_scenario(scenario())


def test_exporting_many_leaves_the_window_working(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10,000 conversations took 13 s in one go with the window frozen: now in slices, with the
    # event loop (a streaming reply, typing, painting) running between them.
    from writer_desktop.core.models import Conversation, Message, Role
    from writer_desktop.ui import controller as controller_module

    for i in range(150):
        conv = Conversation(title=f"Chat {i:03}", messages=[Message(Role.USER, f"hello {i}")])
        store.save(conv)
    monkeypatch.setattr(controller_module, "EXPORT_SLICE", 0.0)  # a turn after every file
    folder = tmp_path / "all"
    folder.mkdir()

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            ticks: list[float] = []
            timer = QTimer()
            timer.timeout.connect(lambda: ticks.append(0))
            timer.start(0)
            window.ask_export_folder = lambda: (str(folder), "markdown")
            window.export_all_action.trigger()
            window.export_all_action.trigger()  # a second one while it runs: said, not started
            assert "already running" in window.statusBar().currentMessage()
            await until(lambda: "Exported 150" in window.statusBar().currentMessage(), 20, "done")
            timer.stop()
            assert len(list(folder.glob("*.md"))) == 150
            assert len(ticks) > 100  # the loop turned between the files

    run_scenario(scenario())


def test_a_long_import_lets_the_window_draw_and_tells_its_progress(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 3,000 files froze the window for 25 s: no repaint, no progress, and a second launch
    # meanwhile got no answer from the single-instance server and started a second app.
    from writer_desktop.core import importer

    files = []
    for n in range(40):
        conv = {
            "schema_version": 1, "id": str(uuid.uuid4()), "title": f"Imported {n}",
            "created_at": "2026-11-25T17:19:42.123Z", "updated_at": "2026-11-25T17:20:03.456Z",
            "model": "palmyra-x5", "system_prompt": "", "params": {}, "pinned": False,
            "messages": [],
        }  # fmt: skip
        files.append(tmp_path / f"{n}.json")
        files[-1].write_text(json.dumps(conv))
    read_file = importer.read_file

    def slow_read(path: Path, **kwargs: int) -> object:
        time.sleep(0.02)  # 40 files: 0.8 s, in 26 slices or more
        return read_file(path, **kwargs)

    monkeypatch.setattr(importer, "read_file", slow_read)
    notices: list[str] = []
    ticks: list[float] = []

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            window.controller.notice.connect(notices.append)
            timer = QTimer(interval=5)
            timer.timeout.connect(lambda: ticks.append(time.monotonic()))
            timer.start()
            window.ask_import_paths = lambda: [str(f) for f in files]
            window.import_action.trigger()
            window.import_action.trigger()  # a second one while it runs
            await until(lambda: any(n.startswith("Imported") for n in notices), what="the end")
            timer.stop()
            assert len(store.list()) == 40

    run_scenario(scenario())
    assert "An import is already running." in notices
    assert any(n.startswith("Importing… ") and n.endswith(" of 40") for n in notices), notices
    assert notices[-1] == "Imported 40 conversation(s)."
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 10
    assert max(gaps) < 0.2, max(gaps)  # the loop turned between slices of ~30 ms


def test_the_file_dialogs_open_where_they_were_last_left(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every export and import dialog opened in the home folder, even right after an export.
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    exports, imports = tmp_path / "exports", tmp_path / "imports"
    exports.mkdir()
    imports.mkdir()
    started: list[str] = []

    def save(_parent: QWidget, _title: str, start: str, _filters: str) -> tuple[str, str]:
        started.append(start)
        return str(exports / "chat.md"), "Markdown (*.md)"

    def folder(_parent: QWidget, _title: str, start: str) -> str:
        started.append(start)
        return str(exports)

    def files(_parent: QWidget, _title: str, start: str, _filter: str) -> tuple[list[str], str]:
        started.append(start)
        return [str(imports / "a.json")], ""

    def pick(box: QMessageBox, name: str) -> int:
        button = box.findChild(QAbstractButton, name)
        assert button is not None
        button.click()
        return 0

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", folder)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", files)

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            home = str(Path.home())
            assert window.ask_save_path("chat.md")[0] == str(exports / "chat.md")
            assert started[-1] == str(Path.home() / "chat.md")  # the first time: home
            window.ask_save_path("other.md")
            assert started[-1] == str(exports / "other.md")
            assert window.ask_import_paths() == [str(imports / "a.json")]
            assert started[-1] == home  # import has a folder of its own
            window.ask_import_paths()
            assert started[-1] == str(imports)
            exports.rmdir()  # the folder last used is gone: home again
            window.ask_save_path("third.md")
            assert started[-1] == str(Path.home() / "third.md")
            exports.mkdir()
            # Export all: the folder it was left in (the format question answered Markdown)
            monkeypatch.setattr(QMessageBox, "exec", lambda box: pick(box, "markdown"))
            assert window.ask_export_folder() == (str(exports), "markdown")
            window.ask_save_path("fourth.md")
            assert started[-1] == str(exports / "fourth.md")

    run_scenario(scenario())
