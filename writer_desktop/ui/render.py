"""Messages as safe HTML for the chat view: Markdown via markdown-it, code via Pygments.

Safety: raw HTML in model text is escaped (``html: False``); images never become ``<img>`` but a
``[image: alt — url]`` placeholder; links survive only for http, https and mailto, anything else
stays literal text; bidirectional overrides are shown as ``[U+202E]``. Notices (errors,
interruptions) are written by the app, styled apart from model text and labelled as coming from
Writer Desktop, so they never read as the model's words. Links to app actions use the
``wd-action:`` scheme, which model text can never produce. Colours come from a
:class:`~.chat_palette.ChatPalette` (light by default). Plain string building: no Qt calls here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

if TYPE_CHECKING:  # markdown-it and Pygments load on the first render, after the first paint
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict
    from pygments.lexer import Lexer  # type: ignore[import-untyped]

from writer_desktop.core.models import Message, Role, Status
from writer_desktop.core.versions import version_position

from .chat_palette import LIGHT, ChatPalette
from .markdown_gfm import add_gfm_rules

ACTION_SCHEME = "wd-action"
SAFE_SCHEMES = ("http", "https", "mailto")

# The light palette's colours, kept under their old names.
USER_BG = LIGHT.user_bg
ASSISTANT_BG = LIGHT.assistant_bg
NOTICE_BG = LIGHT.notice_bg
ERROR_BG = LIGHT.error_bg
MUTED = LIGHT.muted

_ATTACH = re.compile(r"(^|&)\s*attach(ment)?\s*=", re.IGNORECASE)
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def show_bidi_controls(text: str) -> str:
    """Make invisible direction overrides visible (they can disguise names, e.g. "txt.exe")."""
    return _BIDI_CONTROLS.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


BREAK_EVERY = 256  # characters of text without a space, at most, between chances to wrap
ZERO_WIDTH_SPACE = "\u200b"
# A tag, or a run of text of BREAK_EVERY characters or more with no space (only tried where a run
# starts, so finding them stays linear); an entity (&amp;) is one character that is never split.
_TAG_OR_LONG_RUN = re.compile(rf"<[^>]*>|(?<![^ \t\n\r\f<>])[^ \t\n\r\f<>]{{{BREAK_EVERY},}}")
_RUN_PIECE = re.compile(rf"(?:&#?\w+;|.){{1,{BREAK_EVERY}}}")


def breakable(html: str) -> str:
    """Give every long run of text a zero-width space each BREAK_EVERY characters.

    Qt lays out a line with nowhere to wrap in time growing with the square of its length: a
    reply of one 1 MB "word" froze the window for over a minute (and again on every reopen).
    Tags (and the addresses in their attributes) are left as they are.
    """
    return _TAG_OR_LONG_RUN.sub(
        lambda m: m[0] if m[0][0] == "<" else ZERO_WIDTH_SPACE.join(_RUN_PIECE.findall(m[0])),
        html,
    )


def link_allowed(url: str) -> bool:
    """Only absolute http, https and mailto addresses may become links."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme == "mailto" and _ATTACH.search(unquote(parts.query)):
        return False  # some mail programs attach the named local file
    return scheme in SAFE_SCHEMES


def action_href(action: str, *args: str) -> str:
    """An app action link, e.g. ``wd-action:copy-code/<message id>/2``; arguments are quoted."""
    return f"{ACTION_SCHEME}:{action}/" + "/".join(quote(a, safe="") for a in args)


@functools.cache
def _builtin_aliases() -> frozenset[str]:
    from pygments.lexers import get_all_lexers  # type: ignore[import-untyped]

    return frozenset(a for _, aliases, _, _ in get_all_lexers(plugins=False) for a in aliases)


@functools.lru_cache(maxsize=256)
def _lexer(lang: str, stripnl: bool = True) -> Lexer:
    """The lexer for a fence's language. Only Pygments' own: looking up an unknown name in the
    plugins scans every installed package (~45 ms), and a streaming fence passes through many
    partial names ("p", "pyt", …). ``stripnl=False`` keeps the newlines at both ends (for a
    segment of a block)."""
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound  # type: ignore[import-untyped]

    if lang not in _builtin_aliases():
        return TextLexer(stripnl=stripnl)
    try:
        return get_lexer_by_name(lang, stripnl=stripnl)
    except ClassNotFound:
        return TextLexer(stripnl=stripnl)


class CodeHighlighter:
    """Pygments for fenced code, as markdown-it's ``highlight`` callback.

    Highlighting is linear in the block's length, and a streaming reply is rendered up to 20 times
    a second: a 600-line block growing at 1,000 tokens/s took ~150 ms a flush, all but ~20 in
    Pygments. While ``streaming`` is set (:func:`markdown_html`), a block keeps the highlighted
    HTML of its first complete lines, advanced every ``CHECKPOINT`` characters, and only the rest
    is highlighted again; each segment is lexed from the lexer's start state, so a string or
    comment open across a checkpoint may be coloured wrongly until the reply ends. A render that is
    not streaming (the finished reply) highlights the whole block at once, exactly.
    """

    CHECKPOINT = 1500  # characters highlighted again at most, besides the growing last line
    _KEPT = 8  # growing blocks remembered (a reply streams one at a time)

    def __init__(self, highlight: Callable[[str, Lexer], str]) -> None:
        self._highlight = highlight
        self.streaming = False
        self._prefixes: dict[tuple[str, str], tuple[str, str]] = {}  # → (code, its html)

    def __call__(self, code: str, lang: str, _attrs: str = "") -> str:
        lang = lang.strip().lower()
        if not self.streaming:
            return self._highlight(code, _lexer(lang)).rstrip("\n")  # no blank line at the bottom
        key = (lang, code[:80])
        done, html = self._prefixes.get(key, ("", ""))
        if not code.startswith(done):
            done, html = "", ""
        if len(code) - len(done) > self.CHECKPOINT:
            cut = code.rfind("\n", len(done)) + 1  # after the last complete line
            if cut > len(done):
                html += self._segment(code[len(done) : cut], lang, first=not done)
                done = code[:cut]
                self._prefixes.pop(key, None)
                self._prefixes[key] = (done, html)
                while len(self._prefixes) > self._KEPT:
                    del self._prefixes[next(iter(self._prefixes))]
        return (html + self._segment(code[len(done) :], lang, first=not done)).rstrip("\n")

    def _segment(self, code: str, lang: str, *, first: bool) -> str:
        if first:
            code = code.lstrip("\n")  # as the whole block's lexer strips its leading newlines
        return self._highlight(code, _lexer(lang, stripnl=False)) if code else ""


_PRE_WRAP = '<pre style="white-space: pre-wrap">'
# A line of the user's text: [only line, after the first, before the last, in between]
_USER_LINE = (  # spaces kept as typed: indented lists, unfenced code, columns
    '<p style="white-space:pre-wrap">',
    '<p style="white-space:pre-wrap; margin-top:0">',
    '<p style="white-space:pre-wrap; margin-bottom:0">',
    '<p style="white-space:pre-wrap; margin-top:0; margin-bottom:0">',
)


def make_markdown(palette: ChatPalette = LIGHT) -> MarkdownIt:
    """CommonMark plus tables, ~~strikethrough~~, bare addresses as links and task-list boxes
    (``markdown_gfm``); no raw HTML, images as placeholders, only safe links.

    Fenced code gets a "Copy" action link when the render ``env`` names a ``message_id``; the
    blocks are numbered from ``env["code_index"]``, which is left at the next number.
    """
    from markdown_it import MarkdownIt
    from pygments import highlight  # type: ignore[import-untyped]
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]

    formatter = HtmlFormatter(nowrap=True, noclasses=True, style=palette.pygments_style)
    highlight_code = CodeHighlighter(lambda code, lexer: str(highlight(code, lexer, formatter)))
    md = MarkdownIt("commonmark", {"html": False, "highlight": highlight_code}).enable(
        ["table", "strikethrough"]  # ~~text~~, as models write it (GitHub's Markdown)
    )
    md.validateLink = link_allowed  # type: ignore[method-assign]
    add_gfm_rules(md)
    renderer: RendererHTML = md.renderer  # type: ignore[assignment]
    default_fence = renderer.rules["fence"]
    default_table = renderer.rules.get("table_open")

    def image(
        _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        alt = "".join(child.content for child in token.children or [])
        src = escape(str(token.attrGet("src") or ""))
        shown = f"{escape(alt)} — {src}" if alt.strip() else src  # not "[image:  — …]"
        return f'<span style="color:{palette.muted}">[image: {shown}]</span>'

    def fence(
        _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        # Long lines wrap: a <pre> that does not would widen the whole document, so the chat
        # scrolled sideways for one line of code and its Copy link went out of view.
        inner = default_fence(tokens, idx, options, env).replace("<pre>", _PRE_WRAP, 1)
        copy = ""
        if "message_id" in env:
            index = int(env.get("code_index", 0))
            env["code_index"] = index + 1
            href = action_href("copy-code", str(env["message_id"]), str(index))
            copy = (
                f'<tr><td align="right" style="padding-bottom:0"><small><a href="{href}" '
                f'style="color:{palette.link}" '
                f'title="Copy code block {index + 1} as shown">Copy</a></small></td></tr>'
            )
        return (
            f'<table width="100%" cellpadding="6" cellspacing="0" bgcolor="{palette.code_bg}">'
            f'{copy}<tr><td style="padding-top:{2 if copy else 6}px">{inner}</td></tr></table>'
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

    def link_open(
        _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        tokens[idx].attrSet("style", f"color:{palette.link}")
        return renderer.renderToken(tokens, idx, options, env)

    def code_inline(
        _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        # Tinted as on GitHub: in a sans text, the monospace alone hardly shows what is code.
        return (
            f'<code style="background-color:{palette.inline_code_bg}">'
            f"{escape(tokens[idx].content, quote=False)}</code>"
        )

    def blockquote_open(
        _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        # Qt draws <blockquote> as an indent alone: a bar at its left shows it is a quote. Only
        # the outermost gets one: Qt's layout of tables nested in tables grows steeply (a
        # hostile reply of nested quotes took over a minute), so quotes inside indent as before.
        env["quote_depth"] = depth = int(env.get("quote_depth", 0)) + 1
        if depth > 1:
            return "<blockquote>"
        return (
            '<table cellspacing="0" cellpadding="0" style="margin-top:4px; margin-bottom:8px">'
            f'<tr><td width="3" bgcolor="{palette.border}"></td>'
            f'<td style="padding-left:10px; color:{palette.muted}">'
        )

    def blockquote_close(
        _self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        depth = int(env.get("quote_depth", 1))
        env["quote_depth"] = depth - 1
        return "</blockquote>\n" if depth > 1 else "</td></tr></table>\n"

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("code_inline", code_inline)
    md.add_render_rule("blockquote_open", blockquote_open)
    md.add_render_rule("blockquote_close", blockquote_close)
    md.add_render_rule("image", image)
    md.add_render_rule("fence", fence)
    md.add_render_rule("table_open", table_open)
    return md


def markdown_html(
    md: MarkdownIt,
    text: str,
    message_id: str | None = None,
    first_code: int = 0,
    *,
    streaming: bool = False,
) -> tuple[str, int]:
    """Model text as HTML, and the number of the next code block (for Copy links).

    ``streaming``: the text is a reply still growing; its last code block is highlighted
    incrementally (:class:`CodeHighlighter`)."""
    env: dict[str, object] = {"code_index": first_code}
    if message_id is not None:
        env["message_id"] = message_id
    highlighter = md.options.get("highlight")
    if isinstance(highlighter, CodeHighlighter):
        highlighter.streaming = streaming
    try:
        html = breakable(md.render(show_bidi_controls(text), env)) if text else ""
    finally:
        if isinstance(highlighter, CodeHighlighter):
            highlighter.streaming = False
    return html, int(str(env["code_index"]))


def code_blocks(md: MarkdownIt, text: str) -> list[str]:
    """The fenced code blocks of model text, in order, as shown (bidi controls made visible)."""
    return [t.content for t in md.parse(show_bidi_controls(text)) if t.type == "fence"]


def _notice(
    palette: ChatPalette,
    text: str,
    bg: str,
    action: str | None = None,
    label: str = "",
    detail: str = "",
) -> str:
    style = f"color:{palette.link}"
    link = f' <a href="{action}" style="{style}">{escape(label)}</a>' if action else ""
    more = f" {escape(detail)}" if detail else ""
    return (
        f'<table width="100%" cellpadding="6" cellspacing="0" bgcolor="{bg}" border="0">'
        f'<tr><td><span style="color:{palette.muted}">Writer Desktop:</span> '
        f"<b>{escape(text)}</b>{more}{link}</td></tr></table>"
    )


def header_label(message: Message) -> str:
    """Who wrote the message, as its header says it: "You", "Writer · palmyra-x5"."""
    if message.role is Role.USER:
        return "You"
    return f"Writer · {message.model}" if message.model else "Writer"


def header_html(message: Message, palette: ChatPalette = LIGHT) -> str:
    """Who wrote the message, and which of its versions this is (‹ k/n ›) if it has some."""
    header = escape(header_label(message))
    return f'<p style="color:{palette.muted}"><b>{header}</b>{versions_html(message, palette)}</p>'


def versions_html(message: Message, palette: ChatPalette = LIGHT) -> str:
    """``‹ k/n ›``: links to the older and newer versions (none while the reply streams)."""
    if not message.versions:
        return ""
    k, n = version_position(message)
    live = message.status is not Status.STREAMING

    def arrow(symbol: str, delta: int, enabled: bool) -> str:
        if not (enabled and live):
            return f"&nbsp;{symbol}&nbsp;"
        href = action_href("version", message.id, str(delta))
        style = f"color:{palette.link}; text-decoration:none"
        return f'<a href="{href}" style="{style}"><b>&nbsp;{symbol}&nbsp;</b></a>'

    return f"&nbsp;&nbsp;{arrow('‹', -1, k > 1)}{k}/{n}{arrow('›', 1, k < n)}"


ERROR_FIXES = {  # error_kind → (app action, link text)
    "auth": ("update-key", "Update key"),
    "forbidden": ("update-key", "Update key"),
    "model": ("choose-model", "Choose another model"),
}


INTERRUPTED_WHY = {  # error_kind → why an interrupted reply stopped, else the connection
    "stalled": "Writer stopped sending",
    "closed": "the app was closed",  # quit, crash or power cut: found so at the next start
}


def footer_html(
    message: Message,
    retry_text: str | None = None,
    palette: ChatPalette = LIGHT,
    *,
    latest: bool = True,
) -> str:
    """The message's status, told honestly: writing, stopped, interrupted, failed, cut off.
    Only the ``latest`` message of a conversation offers Continue (a reply can only be
    continued while it is the last)."""
    p = palette
    parts: list[str] = []
    retry_link = action_href("retry", message.id)
    if message.status is Status.STREAMING:
        parts.append(_notice(p, retry_text, p.notice_bg) if retry_text else "")
        # Before the first text: a server that never answers looked as busy as one writing.
        doing = "Writing…" if message.content else "Waiting for Writer…"
        parts.append(f'<p style="color:{p.muted}">● {doing}</p>')
    elif message.status is Status.STOPPED:  # with why nothing came, if Writer had said
        stopped = escape(message.error) if message.error else "Stopped"
        parts.append(f'<p style="color:{p.muted}"><i>{stopped}</i></p>')
    elif message.status is Status.INTERRUPTED:
        why = INTERRUPTED_WHY.get(message.error_kind or "", "connection lost")
        text = f"Interrupted — {why}."
        parts.append(_notice(p, text, p.notice_bg, retry_link, "Retry", message.error or ""))
    elif message.status is Status.ERROR:
        # with text already there (an error event mid-reply, a retry that failed) it broke off
        failed = "Couldn't finish the reply" if message.content else "Couldn't get a reply"
        text = f"{failed}: {message.error or 'unknown error.'}"
        # Offer the action that fixes it: a new key, another model, or simply trying again.
        fix = ERROR_FIXES.get(message.error_kind or "")
        action, label = (action_href(fix[0], message.id), fix[1]) if fix else (retry_link, "Retry")
        parts.append(_notice(p, text, p.error_bg, action, label))
    elif message.finish_reason == "length":
        if latest:
            action = action_href("continue", message.id)
            parts.append(
                _notice(p, "Cut off at the length limit.", p.notice_bg, action, "Continue")
            )
        else:
            parts.append(_notice(p, "Cut off at the length limit.", p.notice_bg))
    elif message.finish_reason == "content_filter":
        parts.append(_notice(p, "Writer's content filter stopped this reply.", p.notice_bg))
    if message.usage is not None and message.status is not Status.STREAMING:
        u = message.usage
        parts.append(
            f'<p style="color:{p.muted}"><small>{u.total_tokens} tokens '
            f"(prompt {u.prompt_tokens}, reply {u.completion_tokens})</small></p>"
        )
    return "".join(parts)


def body_html(md: MarkdownIt, message: Message) -> str:
    """The message's text: the user's as typed, the model's as Markdown."""
    if message.role is Role.USER:
        # As typed: one line after another (a blank line one line high), not paragraphs each
        # with a margin; the first and last keep theirs, for the space around the message.
        # Direction overrides show, as in replies: pasted text can disguise a name too.
        lines = show_bidi_controls(message.content).split("\n")
        last = len(lines) - 1
        return breakable(
            "".join(
                f"{_USER_LINE[(n > 0) + 2 * (n < last)]}{escape(line) or '&nbsp;'}</p>"
                for n, line in enumerate(lines)
            )
        )
    streaming = message.status is Status.STREAMING
    return markdown_html(md, message.content, message.id, streaming=streaming)[0]


def message_html(
    md: MarkdownIt,
    message: Message,
    retry_text: str | None = None,
    palette: ChatPalette = LIGHT,
    *,
    latest: bool = True,
) -> str:
    """One message: a role header, its text, then its status told honestly (``footer_html``)."""
    return (
        header_html(message, palette)
        + body_html(md, message)
        + footer_html(message, retry_text, palette, latest=latest)
    )


def background(message: Message, palette: ChatPalette = LIGHT) -> str:
    return palette.user_bg if message.role is Role.USER else palette.assistant_bg
