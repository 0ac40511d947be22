"""The search panel: typed text shows highlighted hits from a real store; keys; hostile text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from writer_desktop.core.models import Conversation, Message, Role
from writer_desktop.core.readonly import ReadOnlyStore
from writer_desktop.core.search import MARK_END, MARK_START, SEARCH_NAME, SearchHit
from writer_desktop.core.search_service import SearchService
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.search_hits import HTML_ROLE, hit_html
from writer_desktop.ui.search_panel import SearchPanel

HOSTILE = '<img src=http://127.0.0.1:1/x> <script>alert("x")</script> hostile &amp; text'


def save(store: ConversationStore, title: str, *texts: str) -> Conversation:
    roles = (Role.USER, Role.ASSISTANT)
    conv = Conversation(
        title=title, messages=[Message(roles[i % 2], t) for i, t in enumerate(texts)]
    )
    store.save(conv)
    return conv


@pytest.fixture
def service(store: ConversationStore, tmp_path: Path) -> Iterator[SearchService]:
    svc = SearchService(tmp_path / "cache" / SEARCH_NAME, ReadOnlyStore(store.conversations_dir))
    yield svc
    svc.close()


@pytest.fixture
def panel(qtbot: QtBot, service: SearchService) -> SearchPanel:
    widget = SearchPanel(service, debounce_ms=10)
    qtbot.addWidget(widget)
    widget.resize(320, 480)
    widget.show()
    return widget


def started(service: SearchService) -> SearchService:
    service.start()
    service.ready.result(5)
    return service


def type_and_wait(qtbot: QtBot, panel: SearchPanel, text: str) -> None:
    with qtbot.waitSignal(panel.results_shown, timeout=5000):
        QTest.keyClicks(panel.field, text)


def test_typing_shows_highlighted_hits(
    qtbot: QtBot, store: ConversationStore, service: SearchService, panel: SearchPanel
) -> None:
    bread = save(store, "Bread", "How do I feed a sourdough starter?", "Twice a day.")
    save(store, "Code", "Write a python function")
    started(service)
    type_and_wait(qtbot, panel, "sourdough")
    assert panel.model.rowCount() == 1
    html = str(panel.model.index(0, 0).data(HTML_ROLE))
    assert "<b>Bread</b>" in html
    assert ">sourdough</b>" in html
    assert panel.model.hit(0) is not None
    assert panel.model.hit(0).conversation_id == bread.id  # type: ignore[union-attr]
    assert panel.status.isHidden()
    assert panel.latency_ms > 0
    panel.grab()  # the delegate paints without error


def test_hostile_snippets_are_text(
    qtbot: QtBot, store: ConversationStore, service: SearchService, panel: SearchPanel
) -> None:
    save(store, "<b>bold</b> title", HOSTILE)
    started(service)
    type_and_wait(qtbot, panel, "hostile")
    html = str(panel.model.index(0, 0).data(HTML_ROLE))
    assert "<img" not in html
    assert "<script" not in html
    assert "&lt;img src=http://127.0.0.1:1/x&gt;" in html
    doc = QTextDocument()
    doc.setHtml(html)
    plain = doc.toPlainText()
    assert "<b>bold</b> title" in plain
    assert "<img src=http://127.0.0.1:1/x>" in plain
    assert '<script>alert("x")</script>' in plain
    assert "&amp;" in plain
    panel.grab()


def test_enter_opens_the_first_hit_and_down_moves_into_the_list(
    qtbot: QtBot, store: ConversationStore, service: SearchService, panel: SearchPanel
) -> None:
    first = save(store, "Palmyra palmyra", "palmyra")
    second = save(store, "Other", "a note about palmyra")
    started(service)
    type_and_wait(qtbot, panel, "palmyra")
    hits = [panel.model.hit(r) for r in range(panel.model.rowCount())]
    assert [h.conversation_id for h in hits if h] == [first.id, first.id, second.id]
    with qtbot.waitSignal(panel.result_chosen) as chosen:
        QTest.keyClick(panel.field, Qt.Key.Key_Return)
    assert chosen.args == [first.id, None]  # the title matched best
    QTest.keyClick(panel.field, Qt.Key.Key_Down)
    assert panel.view.hasFocus()
    QTest.keyClick(panel.view, Qt.Key.Key_Down)
    QTest.keyClick(panel.view, Qt.Key.Key_Down)
    with qtbot.waitSignal(panel.result_chosen) as chosen:
        QTest.keyClick(panel.view, Qt.Key.Key_Enter)
    assert chosen.args == [second.id, second.messages[0].id]
    QTest.keyClick(panel.view, Qt.Key.Key_Escape)
    assert panel.field.hasFocus()


def test_no_results_and_escape(
    qtbot: QtBot, store: ConversationStore, service: SearchService, panel: SearchPanel
) -> None:
    save(store, "Bread", "sourdough")
    started(service)
    type_and_wait(qtbot, panel, "xylophone")
    assert panel.model.rowCount() == 0
    assert panel.status.text() == "No results"
    QTest.keyClick(panel.field, Qt.Key.Key_Escape)
    assert panel.field.text() == ""
    # Cleared (Esc or the field's ⓧ), the panel says what it is for rather than stand blank.
    qtbot.waitUntil(lambda: panel.status.text().startswith("Type words to search"))
    assert not panel.status.isHidden()
    with qtbot.waitSignal(panel.dismissed):
        QTest.keyClick(panel.field, Qt.Key.Key_Escape)


def test_indexing_then_results_over_everything(
    qtbot: QtBot, store: ConversationStore, service: SearchService, panel: SearchPanel
) -> None:
    save(store, "Bread", "sourdough")
    assert panel.status.text() == "Indexing…"
    panel.field.setText("sourdough")
    with qtbot.waitSignal(panel.results_shown, timeout=5000) as shown:
        service.start()  # the query is answered again once the index is complete
        qtbot.waitUntil(lambda: not service.indexing, timeout=5000)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    assert shown.args is not None
    assert panel.status.isHidden()


def test_only_the_newest_query_is_shown(
    qtbot: QtBot, store: ConversationStore, service: SearchService, panel: SearchPanel
) -> None:
    save(store, "Bread", "sourdough")
    save(store, "Code", "python")
    started(service)
    shown: list[int] = []
    panel.results_shown.connect(shown.append)
    panel.field.setText("sourdough")
    panel.run_query()
    panel.field.setText("python")
    panel.run_query()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    qtbot.wait(50)
    assert shown == [1]
    assert panel.model.hit(0).title == "Code"  # type: ignore[union-attr]


def test_a_panel_closed_before_the_answer_is_fine(
    qtbot: QtBot, store: ConversationStore, service: SearchService
) -> None:
    save(store, "Bread", "sourdough")
    started(service)
    widget = SearchPanel(service)
    widget.field.setText("sourdough")
    widget.run_query()
    widget.deleteLater()
    qtbot.wait(50)
    assert service.submit("sourdough").result(5)


def test_hit_html_escapes_then_highlights() -> None:
    snippet = f"<i>a</i>\n{MARK_START}<b>x</b>{MARK_END} & more"
    html = hit_html(SearchHit("c", "m", "<Title>", snippet, 0.0))
    assert html.startswith("<b>&lt;Title&gt;</b><br>&lt;i&gt;a&lt;/i&gt;\n<b style=")
    assert ">&lt;b&gt;x&lt;/b&gt;</b> &amp; more" in html
    title_only = hit_html(SearchHit("c", None, "Bread", f"{MARK_START}Bread{MARK_END}", 0.0))
    assert title_only.count("Bread") == 1  # the title is not repeated as its own snippet


def test_a_match_at_the_end_of_a_long_snippet_is_brought_forward() -> None:
    # A row shows two lines of snippet: "…amet lorem ipsum dolor" with the match cut off after.
    lead = " ".join(["lorem ipsum dolor sit amet"] * 5)
    snippet = f"…{lead} {MARK_START}zebraquokka{MARK_END}"
    html = hit_html(SearchHit("c", "m", "Title", snippet, 0.0))
    doc = QTextDocument()
    doc.setHtml(html)
    text = doc.toPlainText().split("\n", 1)[1]
    assert text.endswith("zebraquokka")
    assert text.startswith("…")
    assert len(text.split()) <= 8  # six words of context, the match, and the ellipsis


def test_an_untitled_hit_is_named_as_in_the_sidebar() -> None:
    snippet = f"a {MARK_START}word{MARK_END} here"
    for title in ("", "   "):
        assert hit_html(SearchHit("c", "m", title, snippet, 0.0)).startswith("<b>Untitled</b><br>")


def test_each_down_from_the_field_is_one_step_down_the_hits(
    qtbot: QtBot, store: ConversationStore, service: SearchService, panel: SearchPanel
) -> None:
    # The first hit is current as they arrive (Enter in the field opens it); the first Down only
    # moved the focus to it, so Down, Enter opened that same hit, not the one below.
    first = save(store, "Palmyra palmyra", "palmyra")
    second = save(store, "Other", "a note about palmyra")
    started(service)
    type_and_wait(qtbot, panel, "palmyra")
    assert panel.view.currentIndex().row() == 0
    QTest.keyClick(panel.field, Qt.Key.Key_Down)
    assert panel.view.hasFocus()
    assert panel.view.currentIndex().row() == 1
    QTest.keyClick(panel.view, Qt.Key.Key_Up)
    QTest.keyClick(panel.view, Qt.Key.Key_Up)  # at the top: back to the field
    assert panel.field.hasFocus()
    QTest.keyClick(panel.field, Qt.Key.Key_Down)
    assert panel.view.currentIndex().row() == 1
    QTest.keyClick(panel.view, Qt.Key.Key_Down)
    with qtbot.waitSignal(panel.result_chosen) as chosen:
        QTest.keyClick(panel.view, Qt.Key.Key_Enter)
    assert chosen.args == [second.id, second.messages[0].id]
    assert first.id != second.id


def test_a_snippet_longer_than_its_lines_is_marked_as_cut(qtbot: QtBot) -> None:
    # The lines that did not fit were clipped without a sign: "so that multi-", as if it ended.
    from writer_desktop.ui.search_hits import shown_lines

    def lines(text: str, count: int) -> tuple[int, bool]:
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setTextWidth(200)
        doc.setPlainText(text)
        doc.documentLayout().documentSize()  # laid out: the lines exist
        line = doc.firstBlock().layout().lineAt(0).height()
        shown = shown_lines(doc, count * line + 1)
        return round(shown.height / line), shown.cut is not None

    long = " ".join(["multi-byte characters cross chunk boundaries"] * 8)
    assert lines(long, 3) == (3, True)
    assert lines("short", 3) == (1, False)
    assert lines(long, 50)[1] is False  # all of it fits


def test_hits_wrap_to_a_narrow_panel(
    qtbot: QtBot, store: ConversationStore, service: SearchService, panel: SearchPanel
) -> None:
    # Rows were 200 pixels wide whatever the panel's width: in a narrow window the snippet went
    # past the edge, behind a sideways scroll bar.
    save(store, "Travel", "Lorem ipsum dolor sit amet, café au lait, a naive résumé of the trip")
    started(service)
    panel.resize(130, 300)
    type_and_wait(qtbot, panel, "naive")
    view = panel.view
    qtbot.waitUntil(lambda: view.viewport().width() < 130)
    assert view.visualRect(panel.model.index(0, 0)).width() <= view.viewport().width()
    assert not view.horizontalScrollBar().isVisible()
    panel.resize(400, 300)
    qtbot.waitUntil(lambda: view.visualRect(panel.model.index(0, 0)).width() > 300)  # widens too
