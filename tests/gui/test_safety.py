"""Hostile replies render as text: no images fetched, no scripts, only safe links offered."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, reply_done, run_scenario, send, until
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.chat_view import ChatView
from writer_desktop.ui.render import make_markdown, message_html


def hostile(port: int) -> str:
    return (
        "<script>alert('x')</script>\n\n"
        f"<img src=http://127.0.0.1:{port}/x>\n\n"
        f"![x](http://127.0.0.1:{port}/y)\n\n"
        "[a](javascript:alert(1)) and [f](file:///etc/passwd) and [ok](https://writer.com) "
        "and [mail](mailto:help@example.com)"
    )


def anchors(doc: QTextDocument) -> list[str]:
    """Every link target in the document."""
    found: list[str] = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isAnchor() and fmt.anchorHref():
                found.append(fmt.anchorHref())
            it += 1
        block = block.next()
    return found


def test_hostile_markdown_renders_as_text() -> None:
    html = message_html(make_markdown(), Message(Role.ASSISTANT, hostile(9)))
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "[image: x — http://127.0.0.1:9/y]" in html
    bare = message_html(make_markdown(), Message(Role.ASSISTANT, "![](http://127.0.0.1:9/z)"))
    assert "[image: http://127.0.0.1:9/z]" in bare  # no alt text: not "[image:  — …]"
    assert 'href="javascript' not in html
    assert 'href="file' not in html
    assert 'href="https://writer.com"' in html


def test_bidi_overrides_are_made_visible() -> None:
    html = message_html(make_markdown(), Message(Role.ASSISTANT, "open \u202etxt.exe\u202c now"))
    assert "\u202e" not in html
    assert "[U+202E]txt.exe[U+202C]" in html


def test_hostile_reply_fetches_nothing_and_offers_only_safe_links(
    fake: FakeWriter, store: ConversationStore, tmp_path: Path
) -> None:
    fake.enqueue(Reply(text=hostile(fake.port)))

    async def scenario() -> None:
        async with main_window(fake, store, tmp_path) as window:
            await send(window, "be hostile")
            await reply_done(window)
            await until(lambda: "[image: x" in window.chat.toPlainText(), what="placeholder")
            text = window.chat.toPlainText()
            assert "<script>alert('x')</script>" in text  # shown, not run
            assert f"<img src=http://127.0.0.1:{fake.port}/x>" in text
            hrefs = anchors(window.chat.document())
            schemes = {QUrl(h).scheme() for h in hrefs}
            assert schemes <= {"http", "https", "mailto"}  # the img's address is a bare one
            assert "https://writer.com" in hrefs
            assert "mailto:help@example.com" in hrefs

    run_scenario(scenario())
    assert [r.path for r in fake.requests if r.method == "GET" and r.path != "/v1/models"] == []


def test_load_resource_never_loads(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    kind = int(QTextDocument.ResourceType.ImageResource.value)
    assert view.loadResource(kind, QUrl("http://127.0.0.1:1/x.png")) is None
    assert view.loadResource(kind, QUrl("file:///etc/passwd")) is None


@pytest.mark.parametrize(
    ("url", "confirmed", "opened", "refused"),
    [
        ("https://writer.com/a?b=c", True, True, False),
        ("http://example.com", False, False, False),  # the user said no
        ("mailto:help@example.com", True, True, False),
        ("javascript:alert(1)", True, False, True),
        ("file:///etc/passwd", True, False, True),
        ("data:text/html,hi", True, False, True),
        ("relative/path", True, False, True),
    ],
)
def test_links_need_a_safe_scheme_and_confirmation(
    qtbot: QtBot, url: str, confirmed: bool, opened: bool, refused: bool
) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    asked: list[str] = []
    opens: list[str] = []
    refusals: list[str] = []

    def confirm(u: QUrl) -> bool:
        asked.append(u.toString())
        return confirmed

    view.confirm_open = confirm
    view.open_url = lambda u: opens.append(u.toString())
    view.refuse = refusals.append
    view.anchorClicked.emit(QUrl(url))
    assert bool(opens) is opened
    assert bool(refusals) is refused
    if not refused:
        assert asked == [QUrl(url).toString()]  # the full address was shown
    else:
        assert asked == []
        assert url.split(":")[0] in refusals[0] or "relative" in refusals[0]


def test_retry_link_only_for_known_messages(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    reply = Message(Role.ASSISTANT, "", error="boom")
    view.show_conversation(Conversation(messages=[Message(Role.USER, "hi"), reply]))
    with qtbot.waitSignal(view.retry_requested) as blocker:
        view.anchorClicked.emit(QUrl(f"wd-action:retry/{reply.id}"))
    assert blocker.args == [reply.id]
    with qtbot.assertNotEmitted(view.retry_requested):
        view.anchorClicked.emit(QUrl("wd-action:retry/not-a-message"))


def test_action_links_quote_hostile_message_ids(qtbot: QtBot) -> None:
    """A conversation file can hold any id: it must not break out of the link, or act elsewhere."""
    hostile_id = 'x" style="color:red"/../retry/other'
    reply = Message(Role.ASSISTANT, "```\ncode\n```", id=hostile_id, status=Status.ERROR)
    html = message_html(make_markdown(), reply)
    assert 'style="color:red"' not in html
    assert "retry/x%22%20style" in html
    view = ChatView()
    qtbot.addWidget(view)
    view.show_conversation(Conversation(messages=[reply]))
    hrefs = anchors(view.document())
    assert all(QUrl(h).scheme() == "wd-action" for h in hrefs)
    with qtbot.waitSignal(view.retry_requested) as blocker:
        view.anchorClicked.emit(QUrl(next(h for h in hrefs if h.startswith("wd-action:retry/"))))
    assert blocker.args == [hostile_id]


def test_copy_links_cannot_be_forged_by_model_text() -> None:
    forged = "[Copy](wd-action:copy-code/x/0) <wd-action:copy-code/x/0>"
    html = message_html(make_markdown(), Message(Role.ASSISTANT, forged))
    assert "href=" not in html
    user = message_html(make_markdown(), Message(Role.USER, "```\nuser code\n```"))
    assert "copy-code" not in user  # the user's text is plain: no blocks, no links


def test_mailto_links_that_would_attach_a_file_stay_text() -> None:
    from writer_desktop.ui.render import link_allowed

    for url in (
        "mailto:a@b.example?attach=/etc/passwd",
        "mailto:a@b.example?subject=x&ATTACHMENT=%2Fh",
        "mailto:a@b.example?%61ttach=~/.ssh/id_rsa",
    ):
        assert not link_allowed(url), url
    assert link_allowed("mailto:a@b.example?subject=attach%20the%20report")


def test_copied_selection_leaves_out_the_wrap_points_of_long_words() -> None:
    from writer_desktop.ui.chat_links import PLAIN_TEXT

    assert ("x" * 256 + "\u200b" + "y\u2029z").translate(PLAIN_TEXT) == "x" * 256 + "y\nz"
