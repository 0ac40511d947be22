"""A list view that shows whether it has the keyboard focus.

Fusion paints a list's selection the same whether the focus is in the list or in another
widget, and draws no frame around a focused list, so a keyboard user could not tell where Tab
had taken them. As desktop lists do, the selection here is muted (a tint of the highlight over
the base, in the text colour) while the focus is elsewhere. The colours are derived at every
paint from the palette in force, so a theme switch needs nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QListView

if TYPE_CHECKING:  # only named here (PySide6 builds the type when Qt first passes one in)
    from PySide6.QtWidgets import QStyleOptionViewItem

MUTED_SHARE = 0.3  # how much of the highlight colour the muted selection keeps


def muted(highlight: QColor, base: QColor, share: float = MUTED_SHARE) -> QColor:
    """``share`` of ``highlight`` over ``base``."""
    return QColor.fromRgbF(
        highlight.redF() * share + base.redF() * (1 - share),
        highlight.greenF() * share + base.greenF() * (1 - share),
        highlight.blueF() * share + base.blueF() * (1 - share),
    )


class FocusShowingList(QListView):
    """A ``QListView`` whose selection is muted while another widget has the focus."""

    def initViewItemOption(self, option: QStyleOptionViewItem) -> None:
        super().initViewItemOption(option)
        if self.hasFocus():
            return
        palette = option.palette  # a copy: set back below
        role = QPalette.ColorRole
        tint = muted(palette.color(role.Highlight), palette.color(role.Base))
        palette.setColor(role.Highlight, tint)
        palette.setColor(role.HighlightedText, palette.color(role.Text))
        option.palette = palette
