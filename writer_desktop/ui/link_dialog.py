"""The question asked before a link from the chat goes to the browser: the whole address, always.

A message box shows its text in a label that wraps only between words, so a long host with no
break in it (``https://www.paypal.com.aaaa….evil.example/login``) was cut at the box's edge: the
part that names the real site never showed. Here the site has a line of its own, and the address
is in a read-only box that wraps anywhere and scrolls, selectable and copied as it is.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QFontMetrics, QResizeEvent, QTextOption
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from .chat_links import shown_address

QUESTION = "Open this address in your browser?"
ADDRESS_LINES = 6  # the address box's height, in lines; a longer address scrolls
WIDTH = 480  # the dialog's least width, px


def shown_site(url: QUrl) -> str:
    """The host the browser will contact, in ASCII (a homograph shows as ``xn--…``), with its
    port when it is not the scheme's own; for a mail link, who the mail is to."""
    if url.scheme().lower() == "mailto":
        return "a mail to " + (url.path(QUrl.ComponentFormattingOption.FullyEncoded) or "(no one)")
    host = url.host(QUrl.ComponentFormattingOption.FullyEncoded) or "(none)"
    return f"{host}:{url.port()}" if url.port() != -1 else host


class OpenLinkDialog(QDialog):
    """Open or Cancel (the default, and Esc) for ``url``; :meth:`text` is all it shows."""

    def __init__(self, parent: QWidget | None, url: QUrl) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open link?")
        self.setModal(True)
        self._address = shown_address(url)
        self._site = shown_site(url)
        question = QLabel(QUESTION, self)
        self.site = QLabel(self)
        self.site.setObjectName("linkSite")
        # A host is dot-separated labels of at most 63 characters: each can break after its dot.
        self.site.setText("Site: " + self._site.replace(".", ".\u200b"))
        self.site.setWordWrap(True)
        self.site.setAccessibleName(f"Site: {self._site}")
        font = self.site.font()
        font.setBold(True)
        self.site.setFont(font)
        self.address = QPlainTextEdit(self._address, self)
        self.address.setObjectName("linkAddress")
        self.address.setAccessibleName("Address")
        self.address.setReadOnly(True)
        self.address.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.address.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton("&Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.open_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)  # Enter never opens by itself
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self.site)
        layout.addWidget(self.address)
        layout.addWidget(buttons)
        self.setMinimumWidth(WIDTH)
        self.cancel_button.setFocus()
        margins = layout.contentsMargins()
        inside = WIDTH - margins.left() - margins.right() - 2 * self.address.frameWidth()
        inside -= 2 * round(self.address.document().documentMargin())
        advance = QFontMetrics(self.address.font()).horizontalAdvance(self._address)
        self._fit(math.ceil(advance / max(1, inside)))  # as it will wrap at the least width
        # then as it does wrap (a plain text layout's height is in lines)
        self.address.document().documentLayout().documentSizeChanged.connect(
            lambda size: self._fit(math.ceil(size.height()))
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Never shorter than the site and the address need at this width: a dialog takes its
        height from its width hint, and at another width the site may wrap into one more line."""
        super().resizeEvent(event)
        layout = self.layout()
        need = layout.totalHeightForWidth(self.width()) if layout is not None else 0
        if need > self.height():
            self.resize(self.width(), need)

    def _fit(self, lines: int) -> None:
        """The address box as tall as the address wrapped at its width, up to ADDRESS_LINES
        (beyond, it scrolls)."""
        box = self.address
        policy = Qt.ScrollBarPolicy
        box.setVerticalScrollBarPolicy(
            policy.ScrollBarAsNeeded if lines > ADDRESS_LINES else policy.ScrollBarAlwaysOff
        )
        lines = max(1, min(ADDRESS_LINES, lines))
        spacing = QFontMetrics(box.font()).lineSpacing()
        margins = box.contentsMargins()
        edges = 2 * round(box.document().documentMargin()) + margins.top() + margins.bottom()
        height = spacing * lines + edges + 2  # Qt's layout leaves a pixel under the last line
        box.setFixedHeight(height)

    def text(self) -> str:
        """What the dialog says, as one text: the question, the site, the whole address."""
        return f"{QUESTION}\n\nSite: {self._site}\n\n{self._address}"


def ask_to_open(parent: QWidget, url: QUrl) -> bool:
    """Ask before handing an address to the browser, showing it in full (and in ASCII)."""
    dialog = OpenLinkDialog(parent, url)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()
