"""Every menu entry can be chosen from the keyboard: one mnemonic each, no two alike in a menu.

The chat's context menu and the Theme submenu had none (Alt-less keyboard users had to arrow
through them), and a shared letter makes the first entry with it unreachable by its letter.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from tests.fake_writer.server import FakeWriter
from tests.gui.harness import chat_showing, main_window, run_scenario
from writer_desktop.core.models import Conversation, Message, Role, Version
from writer_desktop.core.store import ConversationStore
from writer_desktop.core.versions import switch_version, version_position
from writer_desktop.ui.sidebar import Sidebar


def mnemonic(text: str) -> str:
    """The letter after the one ``&`` that is not ``&&``; the text's own fault if none."""
    marks = [i for i, c in enumerate(text) if c == "&" and text[i + 1 : i + 2] != "&"]
    assert len(marks) == 1, f"{text!r}: {len(marks)} mnemonics"
    return text[marks[0] + 1].lower()


def check(actions: list[QAction], where: str) -> list[str]:
    """The entries' letters, after checking each has one and none is used twice."""
    entries = [a for a in actions if not a.isSeparator() and a.text()]
    letters = [mnemonic(a.text()) for a in entries]
    assert len(set(letters)) == len(letters), f"{where}: {[a.text() for a in entries]}"
    return letters


def walk(menu: QMenu, where: str) -> int:
    """Check ``menu`` and its submenus; how many menus were checked."""
    check(menu.actions(), where)
    subs = [sub for a in menu.actions() if isinstance(sub := a.menu(), QMenu)]
    return 1 + sum(walk(sub, f"{where} ▸ {sub.title()}") for sub in subs)


def test_the_menu_bar_and_its_submenus(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            bar = window.menuBar().actions()
            check(bar, "the menu bar")
            menus = [a.menu() for a in bar]
            count = sum(walk(m, m.title()) for m in menus if isinstance(m, QMenu))
            assert count >= 5  # File, View, View ▸ Theme, Conversation, Help (and Search)
            themes = [a.text() for a in window.theme_actions.actions()]
            assert themes == ["Follow the &system", "&Light", "&Dark"]

    run_scenario(scenario())


def test_the_chat_context_menu_with_every_entry(qtbot: QtBot) -> None:
    prompt = Message(Role.USER, "A question")
    reply = Message(Role.ASSISTANT, "The third answer", created_at="2026-01-03T00:00:00Z")
    reply.versions = [
        Version(Message(Role.ASSISTANT, "The first", created_at="2026-01-01T00:00:00Z")),
        Version(Message(Role.ASSISTANT, "The second", created_at="2026-01-02T00:00:00Z")),
    ]
    conv = Conversation(messages=[prompt, reply])
    shown = switch_version(conv, reply.id, -1)  # the middle one: both Previous and Next apply
    k, n = version_position(shown)
    assert (k, n) == (2, 3)
    view = chat_showing(qtbot, conv)
    view.selectAll()
    entries: set[str] = set()
    for message in (prompt, shown):
        frame = view._window.frames[message.id]
        rect = view.document().documentLayout().frameBoundingRect(frame)
        point = view.viewport().rect().topLeft()
        point.setX(40)
        point.setY(round(rect.top() + rect.height() / 2) - view.verticalScrollBar().value())
        assert view.message_at(point) == message.id
        menu = view.message_menu(point)
        check(menu.actions(), f"the menu over {message.role.value}")
        entries |= {a.text() for a in menu.actions() if a.isEnabled() and a.text()}
    assert {
        "Copy &message",
        "&Copy text",
        "Select &all",
        "&Edit and resend…",
        "&Regenerate",
        f"&Previous version ({k - 1}/3)",
        f"Ne&xt version ({k + 1}/3)",
        "&Branch from here",
    } <= entries


def test_the_sidebar_context_menu(qtbot: QtBot, store: ConversationStore) -> None:
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    conv = Conversation(title="One")
    store.save(conv)
    sidebar.set_conversations(store.listing())
    index = sidebar.proxy.index(0, 0)
    check(sidebar.context_actions(index), "the sidebar's menu")


def test_the_tray_menu(qtbot: QtBot) -> None:
    from tests.gui.test_tray import make

    tray = make()
    tray.set_quick_shortcut("Ctrl+Alt+Space")
    # "&Quick prompt" and "&Quit" shared Q: the key moved between them instead of choosing.
    assert check(tray.menu.actions(), "the tray's menu") == ["o", "p", "s", "q"]
