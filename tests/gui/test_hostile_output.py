"""Hostile model output, end to end: nothing fetched, no file opened, nothing run, no crash.

Every payload (remote and local images, raw HTML, scripts, frames, style sheets, event handlers,
unsafe link schemes, spoofed addresses, a huge line, deep nesting) is streamed by the fake Writer
server as a reply, in pieces of at most four characters, into the real main window and into the
quick prompt; every link in the documents is clicked with the mouse; then the app is closed and
the saved conversations are opened again in a fresh window. Throughout:

- a canary HTTP server on loopback, named by the payloads, sees no connection at all;
- no bait file is opened or read (inotify, which sees Qt's C++ opens too), and Python opens
  none of the payload paths (/etc/passwd, /dev/zero, ~/.ssh, …) nor starts a program;
- only http, https and mailto links reach ``QDesktopServices.openUrl``, and only after the
  user confirmed a question that showed the exact (ASCII) address;
- Qt prints no warning, nothing is logged as an error, and no exception escapes.

``test_every_prefix_renders_safely`` renders every prefix of every payload as a streaming reply, so
that tags and links cut anywhere between deltas are covered deterministically.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest
from PySide6.QtCore import QPoint, Qt, QtMsgType, QUrl, qInstallMessageHandler
from PySide6.QtGui import QDesktopServices, QTextCursor, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QTextBrowser, QWidget

from tests.canary import AuditLog, CanaryServer, OpenWatch, audit
from tests.fake_writer.behaviours import Reply
from tests.fake_writer.server import FakeWriter
from tests.gui.harness import main_window, reply_done, run_scenario, send, until
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.store import ConversationStore
from writer_desktop.ui.chat_links import shown_address
from writer_desktop.ui.chat_view import ChatView
from writer_desktop.ui.link_dialog import OpenLinkDialog
from writer_desktop.ui.main_window import MainWindow
from writer_desktop.ui.quick_bridge import QuickBridge
from writer_desktop.ui.quick_prompt import AnswerView, QuickPrompt
from writer_desktop.ui.render import SAFE_SCHEMES, make_markdown, markdown_html

HUGE_LINE = 1 << 20  # one line of 1 MB, no space: opened from disk and rendered directly
STREAMED_LINE = 1 << 15  # the part of it streamed through the GUI (four characters a delta)
SECRET_FILES = ("/etc/passwd", "/etc/shadow", "/dev/zero", "/dev/random", "/dev/urandom")
SECRET_FOLDERS = (".ssh",)  # matched as a path component: a temp file's random name may hold ".ssh"


# -- payloads ---------------------------------------------------------------------------------


def payloads(canary: str, bait: Path) -> list[tuple[str, str]]:
    """(name, reply text): every payload names the canary server or a bait file to reach for."""
    c, b = canary, bait.as_posix()
    return [
        # remote images and style sheets
        ("md image", f"![x]({c}/md.png)"),
        ("md image title", f'![x]({c}/title.png "title")'),
        ("md image angle", f"![x](<{c}/angle.png>)"),
        ("reference image", f"![x][r]\n\n[r]: {c}/ref.png"),
        ("collapsed reference", f"![r][]\n\n[r]: {c}/ref2.png 'title'"),
        ("image in link", f"[![badge]({c}/badge.png)](https://example.com/)"),
        ("image in table", f"| a |\n|---|\n| ![x]({c}/table.png) <img src={c}/table2.png> |"),
        ("image in quote list", f"> - ![x]({c}/quote.png)\n>   1. ![y]({c}/deep.png)"),
        ("img tag", f'<img src="{c}/img.png">'),
        ("img tag inline", f"text <img src={c}/inline.png> text"),
        ("img srcset", f'<img srcset="{c}/s1.png 1x, {c}/s2.png 2x" src="{c}/s0.png">'),
        ("picture", f'<picture><source srcset="{c}/p.webp"><img src="{c}/p.png"></picture>'),
        (
            "style block",
            f"<style>body{{background:url({c}/style.png)}}@import url({c}/i.css);</style>",
        ),
        ("style attribute", f"<div style=\"background:url('{c}/attr.png')\">styled</div>"),
        ("span style", f'<span style="background-image:url({c}/span.png)">span</span>'),
        ("link stylesheet", f'<link rel="stylesheet" href="{c}/link.css">'),
        ("link prefetch", f'<link rel="prefetch" href="{c}/prefetch"><link rel=icon href={c}/i>'),
        ("meta refresh", f'<meta http-equiv="refresh" content="0;url={c}/meta">'),
        ("base href", f'<base href="{c}/">\n\n![x](relative.png) <img src="rel2.png">'),
        (
            "audio video",
            f'<video src="{c}/v.mp4" poster="{c}/poster.png"></video><audio src={c}/a>',
        ),
        ("table background", f'<table background="{c}/tbg.png"><tr><td>t</td></tr></table>'),
        ("body background", f'<body background="{c}/body.png">body</body>'),
        ("html comment", f"<!-- <img src={c}/comment.png> -->"),
        ("escaped tag", f"&lt;img src={c}/entity.png&gt; &#60;img src={c}/numeric.png&#62;"),
        ("code fence", f"```html\n<img src={c}/fence.png>\n![x]({c}/fence2.png)\n```"),
        ("inline code", f"`<img src={c}/code.png>` and `![x]({c}/code2.png)`"),
        # local files and devices as images
        ("etc passwd image", "![a](/etc/passwd)"),
        ("dev zero image", "![a](file:///dev/zero)"),
        ("dev random image", "![a](/dev/random) ![b](file:///dev/urandom)"),
        ("ssh key image", "![a](~/.ssh/id_rsa) ![b](file:///root/.ssh/id_rsa)"),
        ("unc image", "![a](\\\\server\\share\\x.png) ![b](//server/share/y.png)"),
        ("bait image", f"![a]({b}/bait.png) ![b](file://{b}/bait.png)"),
        ("bait img tag", f'<img src="{b}/bait.png"> <img src="file://{b}/bait.svg">'),
        (
            "bait style",
            f'<link rel=stylesheet href="file://{b}/bait.css">'
            f'<style>@import "{b}/bait.css";</style>',
        ),
        ("relative image", "![a](bait.png) <img src=bait.svg>"),
        ("qrc image", "![a](qrc:/qt-project.org/styles/commonstyle/images/up-16.png)"),
        # active content
        ("script", f"<script>fetch('{c}/script')</script>"),
        ("script src", f'<script src="{c}/script.js"></script>'),
        ("iframe", f'<iframe src="{c}/iframe"></iframe>'),
        ("iframe srcdoc", f"<iframe srcdoc=\"<img src='{c}/srcdoc.png'>\"></iframe>"),
        ("object", f'<object data="{c}/object.swf" type="application/x-shockwave-flash"></object>'),
        ("embed", f'<embed src="{c}/embed.swf">'),
        ("svg onload", f'<svg onload="fetch(\'{c}/svg\')"><image href="{c}/svg.png"/></svg>'),
        ("onerror", f"<img src=x onerror=\"fetch('{c}/onerror')\">"),
        ("onmouseover", f"<b onmouseover=\"fetch('{c}/hover')\">hover me</b>"),
        ("form", f'<form action="{c}/form"><input type=image src="{c}/input.png"></form>'),
        # links
        ("javascript link", f"[click](javascript:fetch('{c}/js'))"),
        ("javascript mixed case", "[a](JaVaScRiPt:alert(1)) [b](  javascript:alert(2))"),
        ("javascript encoded", "[a](%6Aavascript:alert(1)) [b](<javascript:alert(3)>)"),
        ("javascript entity", "[a](jav&#x61;script:alert(1)) [b](&#106;avascript:alert(2))"),
        ("javascript tab", "[a](java\tscript:alert(1)) [b](java&#9;script:alert(2))"),
        ("vbscript link", "[a](vbscript:msgbox(1))"),
        ("file link", "[a](file:///etc/passwd) [b](file://server/share)"),
        ("data link", f"[a](data:text/html,<script>fetch('{c}/data')</script>)"),
        ("data base64", "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
        ("app scheme", "[a](writer-desktop:open/x) [b](wd-action:retry/x) <wd-action:edit/x>"),
        ("os schemes", "[a](ms-settings:privacy) [b](smb://127.0.0.1/share) [c](ssh://host)"),
        ("autolink file", "<file:///etc/passwd> <javascript:alert(1)> <smb://server/share>"),
        ("raw a href", f'<a href="javascript:alert(1)">a</a> <a href="{c}/raw">b</a>'),
        ("relative links", "[a](/etc/passwd) [b](~/.ssh/id_rsa) [c](\\\\server\\share)"),
        ("protocol relative", f"[a](//127.0.0.1:{c.rsplit(':', 1)[1]}/pr)"),
        ("safe links", f"[canary]({c}/click) <{c}/auto> [mail](mailto:help@example.com)"),
        ("mailto attach", "[support](mailto:help@example.com?attach=/etc/passwd)"),
        ("homograph host", "[paypal.com](https://p\u0430ypal.com/login)"),
        ("encoded override", "[report.png](https://example.com/%E2%80%AEgnp.exe)"),
        ("zero width text", "[pay\u200bpal.com](https://evil.example/) pay\u200b\u200cpal"),
        (
            "bidi text",
            "[\u202egnp.exe](https://evil.example/x) \u2066a\u2069 <https://a.b/\u202ex>",
        ),
        ("user info", "[x](https://good.com@evil.example/) [y](https://a:b@good.com@evil.com/)"),
        ("long address", "[x](https://example.com/" + "a" * 10_000 + ")"),
        ("controls", "nul \x00 esc \x1b[31m bom \ufeff nonchar \ufffe\uffff bell \x07"),
        # size and depth
        ("huge line", "A" * STREAMED_LINE),
        ("nested lists", "- " * 2000 + "x"),
        ("nested ordered", "1. " * 1500 + "x"),
        ("nested quotes", ">" * 5000 + " deep"),
        ("quotes and lists", "> - " * 1500 + "x"),
        ("indented lists", "".join("  " * i + "- x\n" for i in range(150))),
        ("deep emphasis", "*" * 3000 + "x" + "*" * 3000),
        ("deep brackets", "[" * 3000 + "x" + "]" * 3000 + f"({c}/brackets)"),
        ("many images", f"![x]({c}/many.png)" * 300),
    ]


def bait_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bait"
    folder.mkdir()
    for name in ("bait.png", "bait.svg", "bait.css", "bait.html"):
        (folder / name).write_text("bait")
    return folder


# -- watching what the app does ---------------------------------------------------------------


@dataclass
class Desktop:
    """Stands in for the user and the desktop: answers link questions, records what opened."""

    questions: list[str] = field(default_factory=list)
    answers: list[bool] = field(default_factory=list)  # True: the user said Open
    refusals: list[str] = field(default_factory=list)
    opened: list[QUrl] = field(default_factory=list)

    def question(self, dialog: OpenLinkDialog) -> int:
        self.questions.append(dialog.text())
        self.answers.append(len(self.questions) % 2 == 1)  # yes and no in turn
        code = QDialog.DialogCode
        return (code.Accepted if self.answers[-1] else code.Rejected).value

    def warning(self, _parent: QWidget, _title: str, text: str, *_: object) -> object:
        self.refusals.append(text)
        return QMessageBox.StandardButton.Ok

    def open_url(self, url: QUrl) -> bool:
        self.opened.append(QUrl(url))
        return True


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Desktop:
    """Patched before any view is made: the views keep ``QDesktopServices.openUrl`` itself."""
    d = Desktop()
    monkeypatch.setattr(OpenLinkDialog, "exec", lambda dialog: d.question(dialog))
    monkeypatch.setattr(QMessageBox, "warning", d.warning)
    monkeypatch.setattr(QDesktopServices, "openUrl", d.open_url)
    return d


@pytest.fixture
def qt_messages() -> Iterator[list[str]]:
    """Qt's warnings (and worse) while the test runs."""
    seen: list[str] = []

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        offscreen = message.startswith("This plugin does not support")  # the offscreen QPA's
        if kind not in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg) and not offscreen:
            seen.append(f"{kind.name}: {message}")

    qInstallMessageHandler(handler)
    try:
        yield seen
    finally:
        qInstallMessageHandler(None)


@pytest.fixture
def resources(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every resource Qt asks the views for (each is still refused by the real method)."""
    asked: list[str] = []
    for cls in (ChatView, AnswerView):
        original: Callable[[QTextBrowser, int, QUrl | str], object] = cls.loadResource  # type: ignore[assignment]

        def recording(
            view: QTextBrowser,
            kind: int,
            name: QUrl | str,
            original: Callable[[QTextBrowser, int, QUrl | str], object] = original,
        ) -> object:
            asked.append(name.toString() if isinstance(name, QUrl) else str(name))
            return original(view, kind, name)

        monkeypatch.setattr(cls, "loadResource", recording)
    return asked


def local_opens(log: AuditLog, bait: Path) -> list[str]:
    """Python-level opens of a payload's path."""
    return [p for p in log.opened if str(bait) in p or is_secret(p)]


def is_secret(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return path.startswith(SECRET_FILES) or any(folder in parts for folder in SECRET_FOLDERS)


# -- links: find them in a document and click them ----------------------------------------------


def anchors(doc: QTextDocument) -> list[tuple[int, int, str]]:
    """(position, length, href) of every link in the document."""
    found: list[tuple[int, int, str]] = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fmt.isAnchor() and fmt.anchorHref():
                found.append((fragment.position(), fragment.length(), fmt.anchorHref()))
            it += 1
        block = block.next()
    return found


def model_hrefs(view: QTextBrowser) -> list[str]:
    """The links in a view that came from model text (not the app's own wd-action links)."""
    return [h for _, _, h in anchors(view.document()) if not h.startswith("wd-action:")]


def click_point(view: QTextBrowser, position: int, length: int, href: str) -> QPoint:
    """A point of the viewport on the link, scrolled into view."""
    cursor = QTextCursor(view.document())
    for offset in range(min(length, 3)):
        cursor.setPosition(position + offset)
        view.setTextCursor(cursor)
        view.ensureCursorVisible()
        rect = view.cursorRect(cursor)
        for dx in (2, 4, 1, 6):
            point = QPoint(rect.left() + dx, rect.center().y())
            if view.anchorAt(point) == href:
                return point
    raise AssertionError(f"could not find a spot to click on {href!r}")


def click_links(view: QTextBrowser, desktop: Desktop) -> int:
    """Click, with the mouse, every link that model text put in ``view``; how many."""
    clicked = 0
    for position, length, href in anchors(view.document()):
        if href.startswith("wd-action:"):
            continue  # the app's own (Copy, Retry): checked in test_safety.py
        before = len(desktop.questions) + len(desktop.refusals)
        questions_before = len(desktop.questions)
        opened = len(desktop.opened)
        point = click_point(view, position, length, href)
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
        url = QUrl(href)
        safe = url.scheme().lower() in SAFE_SCHEMES
        assert len(desktop.questions) + len(desktop.refusals) == before + 1, href
        if safe and not url.isValid():  # Qt parses the click's address its own way: then
            # either refused as not valid, or asked with an address, never an empty one
            asked = desktop.questions[-1] if len(desktop.questions) > questions_before else ""
            assert not asked.endswith("\n\n"), href
        elif safe:
            assert desktop.questions[-1].endswith("\n\n" + shown_address(url)), href
            assert desktop.questions[-1].isascii()  # no homograph host, no bidi override
            assert len(desktop.opened) == opened + desktop.answers[-1], href  # only on a yes
            if desktop.answers[-1]:
                assert desktop.opened[-1] == url
        else:
            assert len(desktop.opened) == opened, href
        clicked += 1
    return clicked


def assert_safe_document(view: QTextBrowser) -> None:
    """Only http, https and mailto links from model text; nothing that loads."""
    for href in model_hrefs(view):
        assert QUrl(href).scheme().lower() in SAFE_SCHEMES, href
    html = view.toHtml().split("<body", 1)[1]  # the head has Qt's own style sheet
    assert "<img" not in html
    assert not re.search(r"<(script|iframe|object|embed|link|style|svg|video|audio)\b", html)


# -- the scenario -----------------------------------------------------------------------------


@dataclass
class Tally:
    payloads: int = 0
    replies: int = 0
    quick_replies: int = 0
    conversations: int = 0
    links_clicked: int = 0
    reopened: int = 0


def shows(view: ChatView, message_id: str, text: str) -> bool:
    return view.message_text(message_id) == text


def moved_on(prompt: QuickPrompt, before: str | None) -> bool:
    return prompt.conversation_id != before


def idle(window: MainWindow, conv_id: str) -> bool:
    return not window.controller.is_busy(conv_id)


async def stream_into_main(
    window: MainWindow, fake: FakeWriter, texts: list[str], desktop: Desktop, tally: Tally
) -> None:
    """One conversation: each text is a reply of its own; its links are clicked."""
    window.controller.new_conversation()
    for i, text in enumerate(texts):
        fake.enqueue(Reply(text=text, split_seed=i))
        await send(window, f"payload {i}")
        await reply_done(window, 60)
        conv = window.controller.current_conversation()
        assert conv is not None
        reply = conv.messages[-1]
        assert reply.status is Status.COMPLETE, reply.error
        assert reply.content == text
        await until(functools.partial(shows, window.chat, reply.id, text), what="the reply")
        assert_safe_document(window.chat)
        tally.links_clicked += click_links(window.chat, desktop)
        tally.replies += 1
    tally.conversations += 1


async def stream_into_quick(
    window: MainWindow, fake: FakeWriter, texts: list[str], desktop: Desktop, tally: Tally
) -> None:
    """Each text as the answer in the quick prompt (a conversation of its own each time)."""
    prompt = QuickPrompt()
    QuickBridge(window.controller, prompt, window).show()
    try:
        for i, text in enumerate(texts):
            fake.enqueue(Reply(text=text, split_seed=1000 + i))
            before = prompt.conversation_id
            QTest.keyClicks(prompt.editor, f"quick {i}")
            QTest.keyClick(prompt.editor, Qt.Key.Key_Return)
            await until(functools.partial(moved_on, prompt, before), what="the quick reply")
            conv_id = prompt.conversation_id
            assert conv_id is not None
            await until(functools.partial(idle, window, conv_id), 60, "its end")
            shown = prompt.answer.message
            await until(
                lambda: (
                    (shown := prompt.answer.message) is not None and shown.status is Status.COMPLETE
                ),
                what="the quick answer's end",
            )
            shown = prompt.answer.message
            assert shown is not None
            assert shown.content == text
            assert_safe_document(prompt.answer)
            tally.links_clicked += click_links(prompt.answer, desktop)
            tally.quick_replies += 1
            tally.conversations += 1
    finally:
        prompt.close()
        prompt.deleteLater()
        await asyncio.sleep(0)


def reopen_all(store: ConversationStore, desktop: Desktop, tally: Tally) -> None:
    """Show every saved conversation in a fresh chat view (all of it rendered) and each reply in a
    fresh quick answer view; click every link."""
    view = ChatView()
    view.resize(800, 600)
    view.show()
    answer = AnswerView()
    answer.resize(600, 400)
    answer.show()
    try:
        for summary in store.list():
            conv = store.load(summary.id)
            view.show_conversation(conv)
            view.render_all()
            QApplication.processEvents()
            assert view.rendered_count() == len(conv.messages)
            assert_safe_document(view)
            tally.links_clicked += click_links(view, desktop)
            for message in conv.messages:
                if message.role is Role.ASSISTANT:
                    answer.show_message(message)
                    QApplication.processEvents()
                    assert_safe_document(answer)
                    tally.links_clicked += click_links(answer, desktop)
            tally.reopened += 1
    finally:
        view.close()
        answer.close()


def test_hostile_replies_fetch_nothing_open_nothing_run_nothing(
    fake: FakeWriter,
    tmp_path: Path,
    desktop: Desktop,
    qt_messages: list[str],
    resources: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not OpenWatch.available():
        pytest.skip("inotify is Linux only")
    bait = bait_folder(tmp_path)
    tally = Tally()
    data, cache = tmp_path / "data", tmp_path / "cache"
    caplog.set_level(logging.WARNING)
    with CanaryServer() as canary, audit() as log:
        watch = OpenWatch(bait)
        try:
            items = payloads(canary.base, bait)
            texts = [text for _, text in items]
            small = [t for t in texts if len(t) < 5000]
            joined = "\n\n".join(small)  # long: rendered in parts while it streams
            tally.payloads = len(items)

            with ConversationStore(data, cache) as store:

                async def first_run() -> None:
                    async with main_window(fake, store, tmp_path) as window:
                        await stream_into_main(window, fake, texts, desktop, tally)
                        await stream_into_main(window, fake, [joined], desktop, tally)
                        await stream_into_quick(window, fake, small, desktop, tally)

                run_scenario(first_run())
                # The whole 1 MB line, saved as a reply, for the reopening below.
                huge = "A" * HUGE_LINE
                store.save(
                    Conversation(messages=[Message(Role.USER, huge), Message(Role.ASSISTANT, huge)])
                )

            with ConversationStore(data, cache) as again:
                reopen_all(again, desktop, tally)
            assert tally.reopened == tally.conversations + 1
            opened_bait = watch.events()
        finally:
            watch.close()

    print(
        f"\nhostile output: {tally.payloads} payloads, {tally.replies} replies in the main window, "
        f"{tally.quick_replies} in the quick prompt, {tally.reopened} conversations reopened, "
        f"{tally.links_clicked} link clicks; canary: {canary.connections} connections, "
        f"{len(canary.requests)} requests; bait opened: {len(opened_bait)}; payload paths "
        f"opened by Python: {len(local_opens(log, bait))}; questions {len(desktop.questions)}, "
        f"refusals {len(desktop.refusals)}, opened {len(desktop.opened)}"
    )
    assert canary.connections == 0, canary.requests
    assert canary.requests == []
    assert opened_bait == []
    assert local_opens(log, bait) == []
    assert log.ran == []
    assert resources == []  # Qt never even asked for an image or a style sheet
    assert [r.path for r in fake.requests if r.path not in ("/v1/chat", "/v1/models")] == []
    assert {u.scheme() for u in desktop.opened} <= set(SAFE_SCHEMES)
    assert desktop.opened, "no safe link was opened after a yes"
    assert len(desktop.opened) < len(desktop.questions)  # a "no" opens nothing
    assert qt_messages == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


# -- every prefix, as if the deltas had been cut there ---------------------------------------


def test_every_prefix_renders_safely(resources: list[str]) -> None:
    """Each payload's every prefix as a streaming reply: partial tags, links and fences."""
    bait = Path("/nonexistent/bait")
    items = [(n, t) for n, t in payloads("http://127.0.0.1:9", bait) if len(t) <= 600]
    view = ChatView()
    view.resize(700, 500)
    view.show()
    answer = AnswerView()
    answer.show()
    reply = Message(Role.ASSISTANT, "", status=Status.STREAMING)
    conv = Conversation(messages=[Message(Role.USER, "go"), reply])
    view.show_conversation(conv)
    renders = 0
    try:
        for _name, text in items:
            for end in range(1, len(text) + 1):
                reply.content = text[:end]
                reply.status = Status.STREAMING if end < len(text) else Status.COMPLETE
                view.update_message(conv.id, reply)
                answer.show_message(reply)
                renders += 2
            assert_safe_document(view)
            assert_safe_document(answer)
    finally:
        view.close()
        answer.close()
    assert renders > 2000
    assert resources == []


def test_a_huge_line_renders_quickly_enough_to_finish() -> None:
    """1 MB without a space: Qt's line breaking took over a minute for it (quadratic); the
    renderer now offers a zero-width break every 256 characters. No timing assert: it finishes,
    and the text reads the same."""
    text = "A" * HUGE_LINE
    html, _ = markdown_html(make_markdown(), text)
    assert html.replace("\u200b", "") == f"<p>{text}</p>\n"
    view = ChatView()
    view.resize(700, 500)
    view.show()
    try:
        view.show_conversation(Conversation(messages=[Message(Role.ASSISTANT, text)]))
        QApplication.processEvents()
        assert view.toPlainText().count("A") == HUGE_LINE
    finally:
        view.close()


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)", "JAVASCRIPT:alert(1)", "vbscript:msgbox(1)", "file:///etc/passwd",
        "file://server/share", "data:text/html,<script>alert(1)</script>", "writer-desktop:open",
        "ms-settings:privacy", "smb://server/share", "ssh://host", "//127.0.0.1:9/x",
        "/etc/passwd", "~/.ssh/id_rsa", "\\\\server\\share", "", "qrc:/x.png",
        # Addresses Qt cannot parse: the question showed "Site: (none)" and an empty address.
        "https://www.paypal.com." + "a" * 66 + ".evil.example/login", "https://example.com:99999/",
        "http://[::1/x",
    ],
)  # fmt: skip
def test_unsafe_addresses_are_refused_by_both_views(href: str, desktop: Desktop) -> None:
    """Even if such a link were in a document, neither view would hand it to the desktop."""
    views: list[ChatView | AnswerView] = [ChatView(), AnswerView()]
    try:
        for view in views:
            view.anchorClicked.emit(QUrl(href))
    finally:
        for view in views:
            view.deleteLater()
    assert desktop.opened == []
    assert desktop.questions == []
    assert len(desktop.refusals) == 2
    assert all(text.isascii() or "“" in text for text in desktop.refusals)
    if not QUrl(href).isValid() and href.startswith("http"):
        assert all("its address is not valid" in text for text in desktop.refusals)
        assert all(href in text for text in desktop.refusals)  # what the link said, whole


def test_the_question_shows_the_address_as_the_browser_gets_it(desktop: Desktop) -> None:
    """Qt's readable form would show a Cyrillic "а" as "a", and a decoded right-to-left override
    would turn ``/‮gnp.exe`` into what reads as ``/exe.png``."""
    view = AnswerView()
    try:
        for href in ("https://xn--pypal-4ve.com/login", "https://example.com/%E2%80%AEgnp.exe"):
            view.anchorClicked.emit(QUrl(href))
    finally:
        view.deleteLater()
    assert desktop.questions == [
        "Open this address in your browser?\n\nSite: xn--pypal-4ve.com\n\n"
        "https://xn--pypal-4ve.com/login",
        "Open this address in your browser?\n\nSite: example.com\n\n"
        "https://example.com/%E2%80%AEgnp.exe",
    ]


def test_the_secret_path_check_matches_folders_not_random_names() -> None:
    assert is_secret("/root/.ssh/id_rsa")
    assert is_secret("/etc/passwd")
    assert not is_secret("/tmp/data/conversations/.c0ffee.json.sshh1bgq.tmp")  # a real run
