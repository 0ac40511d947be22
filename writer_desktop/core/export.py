"""Conversations as Markdown or JSON files: pure rendering plus one function that writes a file.

JSON is the stored form itself (``codec.encode``): lossless, and ``importer`` reads it back. A
conversation a newer version wrote is exported as its file was read, all of it.
Markdown is for reading (GitHub, Obsidian, any editor)::

    # Title
    Model: palmyra-x5 · Created: 2026-11-25 17:19 UTC · Updated: 2026-11-25 17:20 UTC

    **System prompt**
    > You are a concise poet.

    ## You
    Write a haiku about autumn.

    ## Writer · palmyra-x5
    *(version 2 of 2)*
    Crisp leaves drift and fall —
    *Stopped — reply incomplete*

Only the displayed path is exported; a message with earlier versions (edits, regenerated
replies) says which of them it is.

Only the title is a level-1 heading and only role headings are level 2, whatever the messages
contain; ``markdown_body`` explains how message text is kept from breaking that structure.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from writer_desktop.core.codec import encode
from writer_desktop.core.filenames import safe_stem, write_new
from writer_desktop.core.models import Conversation, Message, Role, Status
from writer_desktop.core.titles import UNTITLED
from writer_desktop.core.versions import version_position

__all__ = [
    "EXTENSIONS",
    "Format",
    "export_to_file",
    "export_to_folder",
    "markdown_body",
    "render",
    "to_markdown",
]

Format = Literal["markdown", "json"]
EXTENSIONS: dict[Format, str] = {"markdown": ".md", "json": ".json"}

_MARKS = {
    Status.STOPPED: "*Stopped — reply incomplete*",
    Status.INTERRUPTED: "*Interrupted — reply incomplete*",
    Status.STREAMING: "*Still being written when exported — reply incomplete*",
}
_RISKY = re.compile(r"#|`{3}|~{3}|<[A-Za-z/!?]|%%|\$\$|\]:|^[ \t>]*(?:=+|-+)[ \t]*$", re.MULTILINE)
_PREFIX = re.compile(r"^[ \t>]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)?[ \t>]*")
# A "<" that could start raw HTML, not already escaped; an autolink to a safe address
# (<https://…>, <mailto:…>) is left as it is, so it stays a link in other renderers.
_TAG_START = re.compile(r"(?<!\\)((?:\\\\)*)<(?=[A-Za-z/!?])(?!(?i:https?|mailto):[^\s<>]*>)")
_CODE_SPAN = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_parser = MarkdownIt("commonmark")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def render(conv: Conversation, fmt: Format) -> bytes:
    """The file contents of ``conv`` in ``fmt`` (UTF-8). JSON of a conversation written by a
    newer version is its file as read: this version may not understand all of it."""
    if fmt == "json":
        return conv.original if conv.original is not None else encode(conv)
    # A control character (a NUL from a pasted file, say) would make the file binary to grep and
    # git: shown as U+FFFD instead. Tabs and line breaks stay.
    return _CONTROLS.sub("\ufffd", to_markdown(conv)).encode("utf-8", "replace")


def export_to_folder(
    conv: Conversation, folder: Path, fmt: Format, *, force: bool = False, number: int = 1
) -> Path:
    """Write ``conv`` into ``folder`` under a name made from its title (`` (number)`` added
    from 2 on: the number-th conversation of that title); return the path."""
    stem = safe_stem(conv.title)
    if number > 1:
        stem = f"{stem} ({number})"
    return write_new(folder, stem, EXTENSIONS[fmt], render(conv, fmt), force=force)


def export_to_file(conv: Conversation, path: Path, fmt: Format, *, force: bool = False) -> Path:
    """Write ``conv`` to ``path`` (a name the user chose); `` (2)``… unless ``force``, which
    writes as a shell's ``>`` would (``filenames.replace_file``)."""
    stem, suffix = (path.stem, path.suffix) if path.suffix else (path.name, "")
    return write_new(path.parent, stem, suffix, render(conv, fmt), force=force, through=True)


def to_markdown(conv: Conversation) -> str:
    """``conv`` as one Markdown document (see the module docstring)."""
    out = [f"# {_inline(conv.title) or UNTITLED}", _metadata(conv), ""]
    if conv.system_prompt.strip():
        out += ["**System prompt**", _quote(markdown_body(conv.system_prompt)), ""]
    for message in conv.messages:
        out += [f"## {_role_heading(message, conv.model)}", ""]
        if message.versions:
            k, n = version_position(message)
            out += [f"*(version {k} of {n})*", ""]
        body = markdown_body(message.content)
        if body:
            out += [body, ""]
        out += _notes(message)
    text = "\n".join(out).rstrip("\n") + "\n"
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


def markdown_body(content: str) -> str:
    """Message text made safe to embed under a level-2 heading, otherwise unchanged.

    - Headings inside it go down two levels (``#`` → ``###``, ``##`` → ``####``, deepest
      ``######``): the document outline stays title › message › the message's own sections, and
      a line ``## You`` in a message cannot pass for a role heading. Setext headings
      (``Title`` over ``===``) become ATX ones the same way.
    - A code fence left open (a stopped reply) is closed, so it cannot swallow what follows.
    - ``<`` that could start raw HTML is escaped (``\\<div>``): shown as typed, never interpreted,
      so an unclosed ``<!--`` or ``<details>`` cannot hide the rest of the document. So is the
      last of an odd number of ``%%`` (an Obsidian comment) or ``$$`` (a math block).
    - A link reference definition (``[docs]: https://…``, ``[^1]: note``) has its ``[``
      escaped and shows as typed: it would define ``[docs]`` for the whole document, so one
      message's text could turn another's words into a link of its choosing.
    - Code blocks and code spans are left exactly as they are.

    If a parse of the result still shows a level-1/2 heading or no clean end, the text is put in
    a fenced ``text`` block instead: always safe, if less pretty.
    """
    text = content.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        return ""
    if not _RISKY.search(text):
        return text
    safe = _structure(_escape_references(_escape_html(text)))
    return safe if _is_contained(safe) else _fenced(text)


def _escape_references(text: str) -> str:
    """Escape the ``[`` of each link reference definition (see ``markdown_body``)."""
    env: dict[str, Any] = {}
    _parser.parse(text, env)
    references = env.get("references") or {}
    if not references:
        return text
    lines = text.split("\n")
    for reference in references.values():
        start = (reference.get("map") or [None])[0]
        if start is None or start >= len(lines):
            continue
        line = lines[start]
        prefix = _PREFIX.match(line)
        at = line.find("[", prefix.end() if prefix else 0)
        if at >= 0:
            lines[start] = line[:at] + "\\" + line[at:]
    return "\n".join(lines)


def _code_lines(tokens: list[Token]) -> set[int]:
    code: set[int] = set()
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            code.update(range(*token.map))
    return code


def _escape_html(text: str) -> str:
    """Escape ``<`` that could open raw HTML, and an unpaired ``%%``/``$$``, outside code."""
    lines = text.split("\n")
    code = _code_lines(_parser.parse(text))
    out = [line if n in code else _escape_line(line) for n, line in enumerate(lines)]
    # Obsidian hides everything after an unpaired %% (comment) and a stopped reply may leave a
    # $$ math block open: escape the last one of an odd count.
    for mark, escaped in (("%%", "\\%\\%"), ("$$", "\\$\\$")):
        found = [n for n, line in enumerate(out) if n not in code and mark in _no_spans(line)]
        if sum(_no_spans(out[n]).count(mark) for n in found) % 2:
            last = found[-1]
            at = out[last].rfind(mark)
            out[last] = out[last][:at] + escaped + out[last][at + 2 :]
    return "\n".join(out)


def _no_spans(line: str) -> str:
    return _CODE_SPAN.sub("", line) if "`" in line else line


def _structure(text: str) -> str:
    """Demote headings and close a fence left open (see ``markdown_body``)."""
    lines = text.split("\n")
    tokens = _parser.parse(text)
    replace: dict[int, str] = {}
    drop: set[int] = set()
    close = ""
    for i, token in enumerate(tokens):
        if token.type == "fence" and token.level == 0 and not _fence_closed(token, lines):
            close = token.markup
        elif token.type == "heading_open":
            inline = tokens[i + 1].content if i + 1 < len(tokens) else ""
            _demote(token, inline, lines, replace, drop)
    out = [replace.get(n, line) for n, line in enumerate(lines) if n not in drop]
    if close:
        out.append(close)
    return "\n".join(out)


def _fence_closed(token: Token, lines: list[str]) -> bool:
    start, end = token.map or (0, 0)
    last = lines[end - 1] if 0 < end <= len(lines) else ""
    char, size = token.markup[0], len(token.markup)
    pattern = rf" {{0,3}}{re.escape(char)}{{{size},}}[ \t]*"
    return end - 1 > start and re.fullmatch(pattern, last) is not None


def _demote(
    token: Token, inline: str, lines: list[str], replace: dict[int, str], drop: set[int]
) -> None:
    """Record the edits that make this heading two levels deeper (see ``markdown_body``)."""
    start, end = token.map or (0, 0)
    level = min(int(token.tag[1]) + 2, 6)
    if token.markup.startswith("#"):
        line = lines[start]
        prefix = _PREFIX.match(line)
        at = prefix.end() if prefix else 0
        hashes = re.match(r"#{1,6}", line[at:])
        if hashes:
            replace[start] = line[:at] + "#" * level + line[at + hashes.end() :]
        return
    prefix = _PREFIX.match(lines[start])
    text = " ".join(part.strip() for part in inline.split("\n"))
    text = re.sub(r"(\s)#+$", lambda m: m.group(1) + "\\" + m.group()[1:], text)
    replace[start] = (prefix.group() if prefix else "") + "#" * level + " " + text
    drop.update(range(start + 1, end))


def _escape_line(line: str) -> str:
    if "<" not in line:
        return line
    parts = []
    pos = 0
    for span in _CODE_SPAN.finditer(line):
        parts += [_escape_tags(line[pos : span.start()]), span.group()]
        pos = span.end()
    parts.append(_escape_tags(line[pos:]))
    return "".join(parts)


def _escape_tags(text: str) -> str:
    return _TAG_START.sub(lambda m: m.group(1) + "\\<", text)


def _is_contained(body: str) -> bool:
    """True if ``body`` has no level-1/2 heading, defines no link reference, and a heading after
    it starts fresh."""
    env: dict[str, Any] = {}
    tokens = _parser.parse(body + "\n\n## end\n", env)
    if env.get("references"):
        return False
    for token in tokens[:-3]:
        if token.type == "heading_open" and token.tag in ("h1", "h2"):
            return False
        if token.type == "html_block" or any(c.type == "html_inline" for c in token.children or ()):
            return False
    return [t.type for t in tokens[-3:]] == ["heading_open", "inline", "heading_close"] and (
        tokens[-3].level == 0 and tokens[-3].tag == "h2" and tokens[-2].content == "end"
    )


def _fenced(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _quote(body: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))


def _inline(text: str) -> str:
    """``text`` on one line, with Markdown's special characters escaped."""
    flat = " ".join(text.split())
    return _INLINE_SPECIAL.sub(r"\\\1", flat)


def _role_heading(message: Message, default_model: str) -> str:
    if message.role is Role.ASSISTANT:
        model = message.model or default_model
        return f"Writer · {_inline(model)}" if model.strip() else "Writer"
    return {Role.USER: "You", Role.SYSTEM: "System", Role.TOOL: "Tool"}[message.role]


def _notes(message: Message) -> list[str]:
    """Marks for a reply that is not a normal, complete one; errors as a quote, not model text."""
    out = []
    if message.status in _MARKS:
        out += [_MARKS[message.status], ""]
    elif message.status is Status.COMPLETE and message.finish_reason == "length":
        out += ["*Cut off at the maximum length*", ""]
    if message.error:
        label = "Error" if message.status is Status.ERROR else "Note"
        out += [_quote(f"**{label}:**\n" + markdown_body(message.error)), ""]
    elif message.status is Status.ERROR:
        out += ["> **Error:** the request failed.", ""]
    return out


def _metadata(conv: Conversation) -> str:
    parts = [f"Model: {_inline(conv.model)}"] if conv.model.strip() else []
    parts += [f"Created: {_when(conv.created_at)}", f"Updated: {_when(conv.updated_at)}"]
    return " · ".join(parts)


def _when(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _inline(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
