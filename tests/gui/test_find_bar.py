"""The find bar over a QTextBrowser: counts, wrapping, highlights, Esc, document changes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRegularExpression, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from writer_desktop.ui.find_bar import CURRENT, MATCH, FindBar, Outside, count_matches

TEXT = "\n".join(
    f"Line {n}: the Palmyra model answers." if n % 10 == 0 else f"Line {n}: filler text."
    for n in range(200)
)  # 20 lines mention palmyra, spread over a document taller than the view


_hosts: list[QWidget] = []  # qtbot holds its widgets weakly


def make(qtbot: QtBot, text: str = TEXT) -> tuple[FindBar, QTextBrowser]:
    host = QWidget()
    _hosts[:] = [host]
    qtbot.addWidget(host)
    target = QTextBrowser(host)
    target.setPlainText(text)
    bar = FindBar(target, host)
    layout = QVBoxLayout(host)
    layout.addWidget(target)
    layout.addWidget(bar)
    host.resize(500, 300)
    host.show()
    host.activateWindow()
    qtbot.waitActive(host)
    return bar, target


def selected_texts(target: QTextBrowser) -> list[str]:
    return [s.cursor.selectedText() for s in target.extraSelections()]


def test_counts_and_highlights_every_match_case_insensitively(qtbot: QtBot) -> None:
    bar, target = make(qtbot)
    assert bar.isHidden()
    bar.open()
    qtbot.waitUntil(bar.field.hasFocus, timeout=2000)
    QTest.keyClicks(bar.field, "palmyra")
    assert bar.count.text() == "1 of 20"
    assert selected_texts(target) == ["Palmyra"] * 20
    colours = [s.format.background().color() for s in target.extraSelections()]
    assert colours[0] == CURRENT
    assert all(c == MATCH for c in colours[1:])


def test_enter_and_shift_enter_move_and_wrap(qtbot: QtBot) -> None:
    bar, target = make(qtbot)
    bar.open()
    QTest.keyClicks(bar.field, "palmyra")
    bar_value = target.verticalScrollBar().value()
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.count.text() == "2 of 20"
    QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.count.text() == "20 of 20"  # wrapped to the last match
    assert target.verticalScrollBar().value() > bar_value  # scrolled down to it
    rect = target.cursorRect(bar.matches[bar.current])
    assert target.viewport().rect().contains(rect.center())
    bar.next_button.click()
    assert bar.count.text() == "1 of 20"  # wrapped to the first
    assert target.textCursor().hasSelection() is False  # the user's selection is untouched


def test_no_matches_and_empty_field(qtbot: QtBot) -> None:
    bar, target = make(qtbot)
    bar.open()
    QTest.keyClicks(bar.field, "xylophone")
    assert bar.count.text() == "No matches"
    assert target.extraSelections() == []
    assert not bar.next_button.isEnabled()
    bar.field.clear()
    assert bar.count.text() == ""


def test_escape_hides_and_clears_highlights(qtbot: QtBot) -> None:
    bar, target = make(qtbot)
    bar.open()
    QTest.keyClicks(bar.field, "line")
    assert target.extraSelections()
    with qtbot.waitSignal(bar.closed):
        QTest.keyClick(bar.field, Qt.Key.Key_Escape)
    assert bar.isHidden()
    assert target.extraSelections() == []
    bar.open()  # opening again searches the same text again
    assert bar.count.text() == "1 of 200"


def test_escape_on_the_bars_buttons_closes_it_too(qtbot: QtBot) -> None:
    # Tab reaches ‹, › and ✕; Esc there did nothing.
    bar, target = make(qtbot)
    for button in (bar.previous_button, bar.next_button, bar.close_button):
        bar.open()
        QTest.keyClicks(bar.field, "line")
        button.setFocus(Qt.FocusReason.TabFocusReason)
        with qtbot.waitSignal(bar.closed):
            QTest.keyClick(button, Qt.Key.Key_Escape)
        assert bar.isHidden()
        assert target.extraSelections() == []
        assert target.window().focusWidget() is target


def test_document_changes_search_again(qtbot: QtBot) -> None:
    bar, target = make(qtbot, "one palmyra")
    bar.open()
    QTest.keyClicks(bar.field, "palmyra")
    assert bar.count.text() == "1 of 1"
    target.append("two palmyra")
    qtbot.waitUntil(lambda: bar.count.text() == "1 of 2", timeout=2000)


def test_the_count_keeps_up_with_a_document_that_changes_all_the_time(qtbot: QtBot) -> None:
    # A streaming reply changes the document every 50 ms: the 100 ms re-search, restarted at
    # each change, never ran, and the count stayed "1 of 1" until the reply ended.
    bar, target = make(qtbot, "one palmyra")
    bar.open()
    QTest.keyClicks(bar.field, "palmyra")
    counts = set()
    for n in range(2, 12):
        target.append(f"more palmyra {n}")
        qtbot.wait(50)
        counts.add(bar.count.text())
    assert len(counts) >= 3, counts  # it moved while the changes went on


def test_a_document_that_grows_is_searched_again_where_the_view_is(qtbot: QtBot) -> None:
    # A reply streaming in while Find was open: each re-search scrolled back to the current
    # match, and the view stopped following the reply.
    bar, target = make(qtbot)
    bar.open()
    QTest.keyClicks(bar.field, "palmyra")
    scroll = target.verticalScrollBar()
    scroll.setValue(scroll.maximum())  # reading the end, as the chat does while it follows
    at = scroll.value()
    target.append("the end: palmyra once more")
    qtbot.waitUntil(lambda: bar.count.text() == "1 of 21", timeout=2000)
    assert scroll.value() > at - target.viewport().height() // 2, (scroll.value(), at)
    first = target.cursorRect(bar.matches[0])
    assert first.top() < 0  # not back at the first match, far above
    QTest.keyClick(bar.field, Qt.Key.Key_Return)  # stepping still brings the match into view
    rect = target.cursorRect(bar.matches[bar.current])
    assert 0 <= rect.top() < target.viewport().height()


class Rendering:
    """A scope that only renders the rest of the text before the search."""

    def __init__(self, target: QTextBrowser) -> None:
        self.target = target
        self.calls = 0

    def prepare(self) -> None:
        self.calls += 1
        if "hidden part" not in self.target.toPlainText():
            self.target.append("hidden part")

    def outside(self, pattern: QRegularExpression) -> Outside:
        return Outside([], [])

    def bring(self, item: str) -> tuple[int, int] | None:
        raise AssertionError("nothing is outside")


def test_the_scope_renders_first(qtbot: QtBot) -> None:
    bar, target = make(qtbot, "shown part")
    scope = bar.scope = Rendering(target)
    bar.open()
    QTest.keyClicks(bar.field, "hidden")
    assert bar.count.text() == "1 of 1"
    assert scope.calls
    qtbot.wait(150)  # the change made by prepare does not start a search loop
    assert scope.calls == len("hidden")  # once per search, none for the empty field


class Window:
    """A target that shows three of ``ITEMS`` at a time, as the chat view renders a window of a
    long conversation; ``brought`` lists what Find asked it to render."""

    def __init__(self, target: QTextBrowser, lo: int) -> None:
        self.target = target
        self.brought: list[str] = []
        self.show(lo)

    def show(self, lo: int) -> None:
        self.lo = max(0, min(lo, len(ITEMS) - 3))
        self.target.setPlainText("\n".join(text for _, text in ITEMS[self.lo : self.lo + 3]))

    def prepare(self) -> None:
        pass

    def outside(self, pattern: QRegularExpression) -> Outside:
        def counted(items: list[tuple[str, str]]) -> list[tuple[str, int]]:
            return [(i, count_matches(pattern, t)) for i, t in items if count_matches(pattern, t)]

        return Outside(counted(ITEMS[: self.lo]), counted(ITEMS[self.lo + 3 :]))

    def bring(self, item: str) -> tuple[int, int] | None:
        self.brought.append(item)
        index = [i for i, _ in ITEMS].index(item)
        self.show(index - 1)
        block = self.target.document().findBlockByNumber(index - self.lo)
        return block.position(), block.position() + block.length() - 1


ITEMS = [(f"m{n}", f"item {n}: " + ("needle " * (n % 3) if n % 4 else "hay")) for n in range(12)]
# needles: m1 ×1, m2 ×2, m3 ×0 (n % 3 == 0), m5 ×2, m6 ×0, m7 ×1, m9 ×0, m10 ×1, m11 ×2; m0/4/8 hay


def needles(target: QTextBrowser, bar: FindBar) -> str:
    """The line of the current match."""
    cursor = bar.matches[bar.current]
    return cursor.block().text().split(":")[0]


def test_find_covers_what_the_target_has_not_rendered(qtbot: QtBot) -> None:
    # The chat view renders a long conversation as a window of messages, and Find searched only
    # that window: text in message 150 of 400 was "No matches", and the count was the window's.
    bar, target = make(qtbot)
    scope = Window(target, lo=4)  # shows m4, m5, m6: two needles of nine
    bar.scope = scope
    bar.open()
    QTest.keyClicks(bar.field, "needle")
    assert bar.count.text() == "4 of 9"  # m1 and m2 hold three above
    assert needles(target, bar) == "item 5"
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.count.text() == "5 of 9"
    QTest.keyClick(bar.field, Qt.Key.Key_Return)  # past the window: m7 is rendered, its match
    assert scope.brought == ["m7"]
    assert (needles(target, bar), bar.count.text()) == ("item 7", "6 of 9")
    for want in ("7 of 9", "8 of 9", "9 of 9"):
        QTest.keyClick(bar.field, Qt.Key.Key_Return)
        assert bar.count.text() == want
    assert needles(target, bar) == "item 11"
    QTest.keyClick(bar.field, Qt.Key.Key_Return)  # wraps to the first, far above
    assert (needles(target, bar), bar.count.text()) == ("item 1", "1 of 9")
    QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert (needles(target, bar), bar.count.text()) == ("item 11", "9 of 9")  # and back
    QTest.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.count.text() == "8 of 9"
    assert all(s.cursor.selectedText() == "needle" for s in target.extraSelections())


def test_no_match_in_the_window_goes_to_the_nearest_beyond_it(qtbot: QtBot) -> None:
    bar, target = make(qtbot)
    scope = Window(target, lo=8)  # m8, m9, m10: one needle
    bar.scope = scope
    bar.open()
    QTest.keyClicks(bar.field, "hay")  # only in m0, m4 and m8
    assert bar.count.text() == "3 of 3"
    bar.field.setText("item 2:")  # in m2 only, above the window
    assert scope.brought == ["m2"]
    assert (needles(target, bar), bar.count.text()) == ("item 2", "1 of 1")
    bar.field.setText("item 99")
    assert bar.count.text() == "No matches"
    assert not bar.next_button.isEnabled()


def test_match_cap(qtbot: QtBot) -> None:
    bar, _ = make(qtbot, "a " * 50)
    bar.max_matches = 10
    bar.open()
    QTest.keyClicks(bar.field, "a")
    assert bar.count.text() == "1 of 10+"


WORDS = (
    "Crème brûlée, then CREME caramel.\n"
    "A decomposed bru\u0302le\u0301e too.\n"
    "Brûler is a verb; brul alone is not a word.\n"
    "東京都 and 京都.\n"
)


def test_a_searchs_words_are_found_as_the_search_found_them(qtbot: QtBot) -> None:
    # Opened from a search hit, the bar looked for the query as one literal string: "brulee"
    # found nothing in "brûlée", nor "creme brulee" two words apart, and it said No matches.
    bar, target = make(qtbot, WORDS)
    bar.open_words("creme brulee")
    assert bar.field.text() == "creme brulee"
    found = selected_texts(target)
    assert found == ["Crème", "brûlée", "CREME", "bru\u0302le\u0301e"]  # not "Brûler"
    assert bar.count.text() == "1 of 4"
    bar.open_words("brul")  # the last word, being typed, is also a prefix: whole words lit
    assert selected_texts(target) == ["brûlée", "bru\u0302le\u0301e", "Brûler", "brul"]
    bar.open_words("brul ")  # a finished word is whole words only
    assert selected_texts(target) == ["brul"]
    bar.open_words("京都")
    assert selected_texts(target) == ["京都", "京都"]
    bar.open_words("!!")
    assert bar.count.text() == "No matches"
    # Typing in the field searches for what is typed, as always.
    bar.open_words("creme brulee")
    bar.field.setText("brûlée")
    assert selected_texts(target) == ["brûlée"]


def test_a_new_search_starts_at_the_short_line_at_the_top_of_the_view(qtbot: QtBot) -> None:
    """The top of the view was looked up in the middle of the view's width: on a line shorter
    than that, Qt answered with the line's end, and a match on it was skipped."""
    text = "\n".join(f"row {n} {'needle' if n % 2 else 'x' * 70}" for n in range(300))
    bar, target = make(qtbot, text)
    block = target.document().findBlockByNumber(101)  # "row 101 needle": a short line
    top = target.document().documentLayout().blockBoundingRect(block).top()
    target.verticalScrollBar().setValue(round(top) + 2)  # the line's top edge just hidden
    assert target.cursorForPosition(QPoint(2, 2)).block().blockNumber() == 101
    bar.open()
    QTest.keyClicks(bar.field, "needle")
    assert bar.count.text() == "51 of 150"
    current = bar.matches[bar.current]
    assert current.block().blockNumber() == 101
