"""Messages as safe HTML for the chat view: Markdown via markdown-it, code via Pygments. No Qt.

Safety: raw HTML in model text is escaped (``html: False``); images never become ``<img>`` but a
``[image: alt — url]`` placeholder; links survive only for http, https and mailto, anything else
stays literal text; bidirectional overrides are shown as ``[U+202E]``. Notices (errors,
interruptions) are written by the app, styled apart from model text and labelled as coming from
Writer Desktop, so they never read as the model's words. Links to app actions use the
``wd-action:`` scheme, which model text can never produce.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import TextLexer, get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

from writer_desktop.core.models import Message, Role, Status

ACTION_SCHEME = "wd-action"
SAFE_SCHEMES = ("http", "https", "mailto")

USER_BG = "#e8f0fe"
ASSISTANT_BG = "#ffffff"
NOTICE_BG = "#fff4e5"
ERROR_BG = "#fdecea"
MUTED = "#6b7280"


_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def show_bidi_controls(text: str) -> str:
    """Make invisible direction overrides visible (they can disguise names, e.g. "txt.exe")."""
    return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def link_allowed(url: str) -> bool:
    """Only absolute http, https and mailto addresses may become links."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return False
    return scheme in SAFE_SCHEMES


def _image(
    _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or [])
    src = str(token.attrGet("src") or "")
    return f'<span style="color:{MUTED}">[image: {escape(alt)} — {escape(src)}]</span>'


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang) if lang else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    html = str(highlight(code, lexer, HtmlFormatter(nowrap=True, noclasses=True)))
    return html.rstrip("\n")  # no blank line at the bottom of the block


def make_markdown() -> MarkdownIt:
    """CommonMark plus tables; no raw HTML, images as placeholders, only safe links."""
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable("table")
    md.validateLink = link_allowed  # type: ignore[method-assign]
    md.add_render_rule("image", _image)
    renderer: RendererHTML = md.renderer  # type: ignore[assignment]
    default_fence = renderer.rules["fence"]
    default_table = renderer.rules.get("table_open")

    def fence(
        _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        inner = default_fence(tokens, idx, options, env)
        return (
            '<table width="100%" cellpadding="6" cellspacing="0" bgcolor="#f6f8fa">'
            f"<tr><td>{inner}</td></tr></table>"
        )

    def table_open(
        _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        tokens[idx].attrSet("border", "1")
        tokens[idx].attrSet("cellspacing", "0")
        tokens[idx].attrSet("cellpadding", "4")
        if default_table is not None:
            return str(default_table(tokens, idx, options, env))
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("fence", fence)
    md.add_render_rule("table_open", table_open)
    return md


def _notice(
    text: str, bg: str, action: str | None = None, label: str = "", detail: str = ""
) -> str:
    link = f' <a href="{ACTION_SCHEME}:{action}">{escape(label)}</a>' if action else ""
    more = f" {escape(detail)}" if detail else ""
    return (
        f'<table width="100%" cellpadding="6" cellspacing="0" bgcolor="{bg}" border="0">'
        f'<tr><td><span style="color:{MUTED}">Writer Desktop:</span> '
        f"<b>{escape(text)}</b>{more}{link}</td></tr></table>"
    )


def _footer(message: Message, retry_text: str | None) -> str:
    parts: list[str] = []
    retry_link = f"retry/{message.id}"
    if message.status is Status.STREAMING:
        parts.append(_notice(retry_text, NOTICE_BG) if retry_text else "")
        parts.append(f'<p style="color:{MUTED}">● Writing…</p>')
    elif message.status is Status.STOPPED:
        parts.append(f'<p style="color:{MUTED}"><i>Stopped</i></p>')
    elif message.status is Status.INTERRUPTED:
        detail = message.error or ""
        parts.append(
            _notice("Interrupted — connection lost.", NOTICE_BG, retry_link, "Retry", detail)
        )
    elif message.status is Status.ERROR:
        text = f"Couldn't get a reply: {message.error or 'unknown error.'}"
        parts.append(_notice(text, ERROR_BG, retry_link, "Retry"))
    elif message.finish_reason == "length":
        action = f"continue/{message.id}"
        parts.append(_notice("Cut off at the length limit.", NOTICE_BG, action, "Continue"))
    elif message.finish_reason == "content_filter":
        parts.append(_notice("Writer's content filter stopped this reply.", NOTICE_BG))
    if message.usage is not None and message.status is not Status.STREAMING:
        u = message.usage
        parts.append(
            f'<p style="color:{MUTED}"><small>{u.total_tokens} tokens '
            f"(prompt {u.prompt_tokens}, reply {u.completion_tokens})</small></p>"
        )
    return "".join(parts)


def message_html(md: MarkdownIt, message: Message, retry_text: str | None = None) -> str:
    """One message: a role header, its text, then its status told honestly."""
    if message.role is Role.USER:
        header = "You"
        body = "".join(f"<p>{escape(line) or '&nbsp;'}</p>" for line in message.content.split("\n"))
    else:
        header = f"Writer · {escape(message.model)}" if message.model else "Writer"
        body = md.render(show_bidi_controls(message.content)) if message.content else ""
    return f'<p style="color:{MUTED}"><b>{header}</b></p>{body}{_footer(message, retry_text)}'


def background(message: Message) -> str:
    return USER_BG if message.role is Role.USER else ASSISTANT_BG
