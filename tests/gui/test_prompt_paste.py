"""What pasting or dropping into the prompt does: text in, HTML as its text, an image refused
with a reason (each was silently ignored when it had no plain-text version)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from writer_desktop.ui.composer import Composer
from writer_desktop.ui.quick_prompt import QuickPrompt


def paste(data: QMimeData) -> None:
    QApplication.clipboard().setMimeData(data)


def composer(qtbot: QtBot) -> Composer:
    widget = Composer()
    qtbot.addWidget(widget)
    widget.show()
    widget.editor.setFocus()
    return widget


def test_plain_text_is_pasted_as_it_is(qtbot: QtBot) -> None:
    box = composer(qtbot)
    data = QMimeData()
    data.setText("line one\n\tline two ")
    data.setHtml("<b>ignored</b>")
    paste(data)
    box.editor.paste()
    assert box.editor.toPlainText() == "line one\n\tline two "


def test_html_without_a_plain_version_pastes_its_text(qtbot: QtBot) -> None:
    box = composer(qtbot)
    data = QMimeData()
    data.setHtml('<p>Hello <b>world</b></p><img src="http://127.0.0.1:1/x.png"><p>again</p>')
    assert not data.hasText()
    paste(data)
    box.editor.paste()
    assert box.editor.toPlainText().split() == ["Hello", "world", "again"]


def test_an_image_is_refused_with_a_reason(qtbot: QtBot) -> None:
    box = composer(qtbot)
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    data = QMimeData()
    data.setImageData(image)
    paste(data)
    with qtbot.waitSignal(box.notice) as notice:
        box.editor.paste()
    assert "Images cannot be sent" in notice.args[0]
    assert box.editor.toPlainText() == ""
    assert box.editor.canInsertFromMimeData(data)  # a drop is taken too, to say so

    prompt = QuickPrompt()
    qtbot.addWidget(prompt)
    prompt.show_prompt()
    paste(data)
    prompt.editor.paste()
    assert "Images cannot be sent" in prompt.status.text()


def test_what_is_sent_is_what_was_pasted_even_no_break_spaces(qtbot: QtBot) -> None:
    # toPlainText() turned U+00A0 into a space: the message saved and sent differed from the
    # text pasted (French typography, copied web text).
    box = composer(qtbot)
    data = QMimeData()
    data.setText("prix\u00a0: 10\u00a0€\nligne\u2028suivante")
    paste(data)
    box.editor.paste()
    assert box.text() == "prix\u00a0: 10\u00a0€\nligne\nsuivante"
    with qtbot.waitSignal(box.submitted) as sent:
        box.editor.enter_pressed.emit()
    assert sent.args == ["prix\u00a0: 10\u00a0€\nligne\nsuivante"]


def test_html_of_nothing_but_an_image_is_refused_and_keeps_the_text(qtbot: QtBot) -> None:
    # It pasted nothing over the selected text, in silence: the prompt was emptied.
    box = composer(qtbot)
    box.set_text("my draft")
    box.editor.selectAll()
    data = QMimeData()
    data.setHtml("<img src='https://example.com/a.png' alt='chart'>")
    paste(data)
    with qtbot.waitSignal(box.notice) as notice:
        box.editor.paste()
    assert "Images cannot be sent" in notice.args[0]
    assert box.text() == "my draft"
