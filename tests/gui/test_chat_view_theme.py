"""Colours follow the palette (light and dark, readable), and the text scales from 50 to 300 %."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtGui import QColor, QPalette, QTextFrame
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.ui.chat_palette import DARK, LIGHT, ChatPalette, chat_palette
from writer_desktop.ui.chat_view import ChatView
from writer_desktop.ui.render import make_markdown, message_html
from writer_desktop.ui.theme import dark_palette


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("palette", [LIGHT, DARK, chat_palette(dark_palette())])
def test_every_surface_is_distinct_and_readable(palette: ChatPalette) -> None:
    surfaces = [palette.assistant_bg, palette.user_bg, palette.notice_bg, palette.error_bg]
    assert len(set(surfaces)) == 4  # user, model and the app's notices look different
    for bg in [*surfaces, palette.code_bg]:
        assert contrast(palette.text, bg) >= 7
        assert contrast(palette.muted, bg) >= 4.5
        assert contrast(palette.link, bg) >= 4.5


def test_the_palette_follows_the_widget() -> None:
    dark = chat_palette(dark_palette())
    assert dark.dark
    assert dark.pygments_style == "github-dark"
    assert dark.assistant_bg == dark_palette().color(QPalette.ColorRole.Base).name()
    light = QPalette(QColor("#ffffff"))
    assert not chat_palette(light).dark
    assert chat_palette(light).pygments_style == "default"


def test_dark_html_uses_dark_colours() -> None:
    md = make_markdown(DARK)
    message = Message(Role.ASSISTANT, "`x`\n\n```python\nprint(1)\n```", error="e")
    message.status = Status.ERROR
    html = message_html(md, message, palette=DARK)
    assert f'bgcolor="{DARK.code_bg}"' in html
    assert f'bgcolor="{DARK.error_bg}"' in html
    assert LIGHT.code_bg not in html


@pytest.fixture
def view(qtbot: QtBot) -> ChatView:
    v = ChatView()
    v.resize(500, 300)
    qtbot.addWidget(v)
    v.show()
    return v


def backgrounds(view: ChatView) -> list[str]:
    frames: list[QTextFrame] = view._window.rendered_frames()
    return [f.frameFormat().background().color().name() for f in frames]


def test_a_palette_change_re_renders_visible_first_then_the_rest(
    view: ChatView, qtbot: QtBot
) -> None:
    messages = [
        Message(Role.USER if i % 2 == 0 else Role.ASSISTANT, f"message {i}\n\n" + "word " * 80)
        for i in range(40)
    ]
    view.show_conversation(Conversation(messages=messages))
    light = chat_palette(view.palette())
    assert set(backgrounds(view)) == {light.user_bg, light.assistant_bg}
    view.setPalette(dark_palette())
    dark = chat_palette(view.palette())
    assert dark.dark
    shown = backgrounds(view)
    assert shown[-1] in {dark.user_bg, dark.assistant_bg}  # on screen: at once
    qtbot.waitUntil(lambda: not view._lazy.stale)
    assert set(backgrounds(view)) == {dark.user_bg, dark.assistant_bg}
    assert "message 39" in view.toPlainText()
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()  # still following the tail


def test_theme_switch_through_the_application(view: ChatView, qtbot: QtBot) -> None:
    view.show_conversation(Conversation(messages=[Message(Role.ASSISTANT, "Hi")]))
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    original = QPalette(app.palette())
    try:
        app.setPalette(dark_palette())
        qtbot.waitUntil(lambda: chat_palette(view.palette()).dark)
        assert view._palette.dark
    finally:
        app.setPalette(original)
    qtbot.waitUntil(lambda: not view._palette.dark)


def test_text_scale(view: ChatView) -> None:
    base = view.font().pointSizeF()
    view.show_conversation(Conversation(messages=[Message(Role.ASSISTANT, "Hi " * 300)]))
    height = view.document().size().height()
    view.set_text_scale(200)
    assert view.text_scale == 200
    assert view.document().defaultFont().pointSizeF() == pytest.approx(base * 2)
    assert view.document().size().height() > 1.5 * height
    view.set_text_scale(10)
    assert view.text_scale == 50
    view.set_text_scale(1000)
    assert view.text_scale == 300
    view.set_text_scale(100)
    assert view.document().defaultFont().pointSizeF() == pytest.approx(base)
    font = view.font()
    font.setPointSizeF(base + 2)
    view.setFont(font)  # the widget's font changes: the scale still applies
    view.set_text_scale(150)
    assert view.document().defaultFont().pointSizeF() == pytest.approx((base + 2) * 1.5)


def test_palette_fields_are_colours() -> None:
    for palette in (LIGHT, DARK):
        for field in dataclasses.fields(palette):
            value = getattr(palette, field.name)
            if isinstance(value, str) and value.startswith("#"):
                assert QColor(value).isValid()
