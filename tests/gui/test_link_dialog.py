"""The question before a link opens: the whole address and its site, whatever their length."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from writer_desktop.ui.link_dialog import OpenLinkDialog

# A message box cut this at its right edge after "www.paypal.com.aaa…": the real site never showed.
LONG = "https://www.paypal.com." + ".".join(["a" * 60] * 3) + ".evil.example/login?next=%2Fhome"


def shown(qtbot: QtBot, url: str) -> OpenLinkDialog:
    dialog = OpenLinkDialog(None, QUrl(url))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_a_long_address_is_shown_whole_and_its_site_on_a_line_of_its_own(qtbot: QtBot) -> None:
    dialog = shown(qtbot, LONG)
    assert dialog.address.toPlainText() == LONG  # copied as it is, no break characters
    assert dialog.text().endswith("\n\n" + LONG)
    site = "www.paypal.com." + ".".join(["a" * 60] * 3) + ".evil.example"
    assert f"Site: {site}\n" in dialog.text()
    assert dialog.site.text().replace("\u200b", "") == f"Site: {site}"
    label = dialog.site  # wrapped inside the dialog, not cut at its edge or its foot
    assert label.geometry().right() <= dialog.contentsRect().right()
    qtbot.waitUntil(lambda: label.heightForWidth(label.width()) <= label.height(), timeout=2000)
    box = dialog.address
    assert not box.horizontalScrollBar().isVisible()
    assert box.verticalScrollBar().maximum() == 0  # every line in view
    block = box.document().firstBlock()
    assert block.layout().lineCount() >= 2  # wrapped, not cut


def test_cancel_is_the_default_and_esc_cancels(qtbot: QtBot) -> None:
    dialog = shown(qtbot, "https://example.com/")
    assert dialog.cancel_button.isDefault()
    assert not dialog.open_button.isDefault()
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Rejected
    dialog = shown(qtbot, "https://example.com/")
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected
    dialog = shown(qtbot, "https://example.com/")
    dialog.open_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_a_homograph_site_shows_in_ascii(qtbot: QtBot) -> None:
    dialog = shown(qtbot, "https://xn--pypal-4ve.com/login")
    assert "Site: xn--pypal-4ve.com" in dialog.text()
    assert dialog.text().isascii()
    mail = shown(qtbot, "mailto:someone@example.com")
    assert "Site: a mail to someone@example.com" in mail.text()  # was "Site: (none)"
    port = shown(qtbot, "http://example.com:65535/x")
    assert "Site: example.com:65535\n" in port.text()  # the port was left out
    plain = shown(qtbot, "https://example.com:443/x")
    assert "Site: example.com:443\n" in plain.text()
