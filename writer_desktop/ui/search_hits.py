"""Search hits as a list model, and the delegate that paints them as highlighted rich text.

Snippets are model output and untrusted: every piece is HTML-escaped before the marks become
highlighting, so no tag in them is ever interpreted (nor any resource loaded).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import NamedTuple

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QPainter,
    QPalette,
    QRegion,
    QTextDocument,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from writer_desktop.core.search import SearchHit, snippet_parts
from writer_desktop.core.titles import shown_title

HTML_ROLE = Qt.ItemDataRole.UserRole + 1
HIT_ROLE = Qt.ItemDataRole.UserRole + 2
_LINES = 3  # a hit shows its title and two lines of snippet
AnyIndex = QModelIndex | QPersistentModelIndex


def hit_html(hit: SearchHit, mark: str = "#ffe08a") -> str:
    """Title line and snippet as rich text: all text escaped, matches bold on ``mark``."""
    pieces = []
    for text, highlighted in lead_in(snippet_parts(hit.snippet)):
        escaped = html.escape(text)  # a newline is a space in HTML
        if highlighted:
            escaped = f'<b style="background-color:{mark}; color:#000">{escaped}</b>'
        pieces.append(escaped)
    snippet = "".join(pieces)
    if hit.message_id is None and snippet_text(hit) == hit.title:  # the title itself matched
        return f"<b>{snippet}</b>"
    return f"<b>{html.escape(shown_title(hit.title))}</b><br>{snippet}"


LEAD_WORDS = 6  # words of context kept before the first match


def lead_in(parts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """``parts`` with at most ``LEAD_WORDS`` words before the first match (then "…"): a row
    shows two lines of snippet, and a match at the end of a long one was cut off unseen."""
    first = next((n for n, (_, lit) in enumerate(parts) if lit), None)
    if first is None:
        return parts
    before = "".join(text for text, _ in parts[:first])
    words = before.split(" ")
    if len(words) <= LEAD_WORDS + 1:
        return parts
    return [("…" + " ".join(words[-LEAD_WORDS - 1 :]), False), *parts[first:]]


def snippet_text(hit: SearchHit) -> str:
    """The snippet without its marks."""
    return "".join(text for text, _ in snippet_parts(hit.snippet))


class HitsModel(QAbstractListModel):
    """The hits of the query on show, best first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []
        self._html: list[str] = []

    def set_hits(self, hits: Sequence[SearchHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._html = [hit_html(h) for h in self._hits]
        self.endResetModel()

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        hit = self.hit(index.row()) if index.isValid() else None
        if hit is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{shown_title(hit.title)}: {snippet_text(hit)}"
        if role == HTML_ROLE:
            return self._html[index.row()]
        if role == HIT_ROLE:
            return hit
        return None


class HitDelegate(QStyledItemDelegate):
    """Paints a hit's rich text (title, then up to two lines of snippet)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = self._document(str(index.data(HTML_ROLE)), opt)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        rect = opt.rect.adjusted(4, 3, -4, -3)
        shown = shown_lines(doc, rect.height())
        painter.save()
        painter.translate(rect.topLeft())
        if shown.cut is None:
            painter.setClipRect(QRectF(0, 0, rect.width(), shown.height))
            doc.documentLayout().draw(painter, context)
        else:  # more than fits: the last line shown ends in "…", as an elided title does
            ellipsis = "…"
            width = opt.fontMetrics.horizontalAdvance(ellipsis)
            last = shown.cut
            end = min(last.right(), rect.width() - width)
            clip = QRegion(0, 0, rect.width(), int(last.top()))
            clip += QRegion(0, int(last.top()), int(end), int(last.height()) + 1)
            painter.setClipRegion(clip)
            doc.documentLayout().draw(painter, context)
            painter.setClipping(False)
            painter.setPen(context.palette.color(QPalette.ColorRole.Text))
            painter.setFont(opt.font)
            baseline = last.top() + opt.fontMetrics.ascent()
            painter.drawText(QPointF(end, baseline), ellipsis)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        # As wide as the list (its text wraps to it): a fixed 200 pixels put the snippet past a
        # narrow sidebar's edge, behind a sideways scroll bar.
        return QSize(1, _LINES * option.fontMetrics.lineSpacing() + 8)

    @staticmethod
    def _document(text: str, opt: QStyleOptionViewItem) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(opt.font)
        doc.setDocumentMargin(0)
        doc.setTextWidth(max(50, opt.rect.width() - 8))
        doc.setHtml(text)
        return doc


class Shown(NamedTuple):
    """The whole lines of a hit that fit: their ``height``, and the last one's rectangle (its
    text's width) if more text follows that does not fit (``cut``), else None."""

    height: float
    cut: QRectF | None


def shown_lines(doc: QTextDocument, height: float) -> Shown:
    """The whole lines of ``doc`` that fit in ``height`` (no half-cut line)."""
    bottom, block = 0.0, doc.begin()
    last: QRectF | None = None
    while block.isValid():
        top = doc.documentLayout().blockBoundingRect(block).top()
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            if top + line.y() + line.height() > height:
                return Shown(bottom, last)
            bottom = top + line.y() + line.height()
            last = QRectF(line.x(), top + line.y(), line.naturalTextWidth(), line.height())
        block = block.next()
    return Shown(bottom, None)
