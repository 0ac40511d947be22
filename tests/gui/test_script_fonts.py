"""Han text is drawn with the font Qt would fall back to, named up front."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontInfo, QTextLayout
from pytestqt.qtbot import QtBot

from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.ui.chat_view import ChatView
from writer_desktop.ui.script_fonts import HAN, families, han_fallback, with_fallback


def drawn_with(font: QFont, text: str) -> list[str]:
    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    return [run.rawFont().familyName() for run in layout.glyphRuns()]


def test_the_named_fallback_is_the_font_qt_picks_itself(qtbot: QtBot) -> None:
    font = QFont()
    picked = drawn_with(font, "漢字")
    family = han_fallback(font)
    if family is None:  # the UI font has Han glyphs itself: nothing to name
        assert picked == [font.family()]
        return
    assert picked == [family]
    named = with_fallback(font, family)
    assert families(named)[-1] == family
    assert families(named)[0] == QFontInfo(font).family()  # not an alias a later name outranks
    assert families(named)[-1 - len(families(font)) : -1] == families(font)
    assert drawn_with(named, "漢字") == [family]  # the same glyphs as before
    assert drawn_with(named, "Latin") == drawn_with(font, "Latin")  # other text unchanged
    assert with_fallback(named, family) is named  # named once


def test_han_is_ideographs_not_kana_or_latin() -> None:
    for text in ("中文", "日本語", "\u3400"):
        assert HAN.search(text)
    assert not HAN.search("ひらがな カタカナ 한국어 Latin 123")


def test_no_family_leaves_the_font_alone(qtbot: QtBot) -> None:
    font = QFont()
    assert with_fallback(font, None) is font


def chat(qtbot: QtBot) -> ChatView:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    return view


def test_the_chat_names_the_han_fallback_once_han_text_shows(qtbot: QtBot) -> None:
    view = chat(qtbot)
    own = families(view.document().defaultFont())
    family = han_fallback(view.document().defaultFont())
    latin = Conversation(messages=[Message(Role.USER, "Hello"), Message(Role.ASSISTANT, "Hi!")])
    view.show_conversation(latin)
    assert families(view.document().defaultFont()) == own  # nothing to name yet
    han = Conversation(messages=[Message(Role.USER, "你好"), Message(Role.ASSISTANT, "日本語です")])
    view.show_conversation(han)
    expected = families(with_fallback(view.document().defaultFont(), family))
    assert expected == own if family is None else expected[-1] == family
    assert families(view.document().defaultFont()) == expected
    view.set_text_scale(150)  # a new size keeps it
    assert families(view.document().defaultFont()) == expected
    assert "日本語です" in view.toPlainText()


def test_a_streamed_han_delta_names_it_too(qtbot: QtBot) -> None:
    view = chat(qtbot)
    own = families(view.document().defaultFont())
    family = han_fallback(view.document().defaultFont())
    conv = Conversation(messages=[Message(Role.USER, "Say it in Chinese")])
    view.show_conversation(conv)
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    view.add_message(conv.id, reply)
    view.append_delta(conv.id, reply.id, "Sure: ")
    assert families(view.document().defaultFont()) == own
    expected = families(with_fallback(view.document().defaultFont(), family))
    view.append_delta(conv.id, reply.id, "中文")
    assert families(view.document().defaultFont()) == expected
    latin = QTextLayout("Latin", view.document().defaultFont())
    latin.beginLayout()
    latin.createLine()
    latin.endLayout()
    assert [r.rawFont().familyName() for r in latin.glyphRuns()] == [
        QFontInfo(QFont()).family()
    ]  # the rest of the text in the font it had, not in the fallback
    qtbot.waitUntil(lambda: "Sure: 中文" in view.toPlainText())
