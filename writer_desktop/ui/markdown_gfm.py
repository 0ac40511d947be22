"""Two things models write as GitHub does, which markdown-it's CommonMark preset leaves as text.

- **Bare addresses** (``https://…``, ``www.…``) become links, with GitHub's rules for where one
  ends: trailing ``.,:;!?*_~'"`` and an unmatched ``)`` are not part of it. Only what
  ``md.validateLink`` allows (http, https, mailto) is linked, and a click still asks first.
- **Task-list items** (``- [ ] …``, ``- [x] …``) start with a ballot box, ☐ or ☑, instead of
  the literal brackets.

Both are markdown-it core rules on the parsed tokens (no extra dependency); text inside links and
code is never touched. Plain string work: no Qt here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it.token import Token

# Where an address may start (not inside a Latin word, another address or an e-mail address;
# right after CJK text, which has no spaces) and what it may hold: typographic quotes and CJK
# punctuation (。，「」（）…) end it too. Its end is then trimmed by ``_trim``.
_NOT_IN_ADDRESS = (
    "\u2018\u2019\u201c\u201d\u00ab\u00bb\u3000-\u303f\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f"
)
BARE_ADDRESS = re.compile(
    rf"(?<![A-Za-z0-9_@/.:+-])(?:https?://|www\.)[^\s<>\"'`{_NOT_IN_ADDRESS}]+", re.IGNORECASE
)
# What a line must not hold to be shown without a render while streaming (``tail_split``).
LINKISH = re.compile(r"https?://|www\.", re.IGNORECASE)
_TRAILING = frozenset(".,:;!?*_~'\"")
UNCHECKED, CHECKED = "\u2610", "\u2611"  # ☐ ☑
_TASK = re.compile(r"\[([ xX])\](?: |$)")


def _trim(address: str) -> str:
    """The address without the punctuation that ends the sentence around it."""
    while address:
        last = address[-1]
        if last in _TRAILING or (last == ")" and address.count(")") > address.count("(")):
            address = address[:-1]
        else:
            break
    return address


def _href(md: MarkdownIt, text: str) -> str | None:
    """The link for an address as written, or None if it is not one worth linking."""
    if text.lower().startswith("www."):
        host = text[4:].split("/", 1)[0]
        if "." not in host.strip("."):
            return None  # "www.", "www.x": no domain
        text = "http://" + text  # as GitHub does
    elif not text.split("://", 1)[1].split("/", 1)[0]:
        return None  # "https://" with no host
    href = md.normalizeLink(text)
    return href if md.validateLink(href) else None


def _linked(md: MarkdownIt, token: Token) -> list[Token] | None:
    """``token`` (a text token) split into text and links, or None if it holds no address."""
    from markdown_it.token import Token

    content, level = token.content, token.level
    pieces: list[Token] = []
    done = 0
    for match in BARE_ADDRESS.finditer(content):
        text = _trim(match.group())
        href = _href(md, text) if text else None
        if href is None:
            continue
        start = match.start()
        if start > done:
            pieces.append(Token("text", "", 0, content=content[done:start], level=level))
        opener = Token("link_open", "a", 1, markup="linkify", info="auto", level=level)
        opener.attrSet("href", href)
        pieces.append(opener)
        pieces.append(Token("text", "", 0, content=text, level=level + 1))
        pieces.append(Token("link_close", "a", -1, markup="linkify", info="auto", level=level))
        done = start + len(text)
    if not pieces:
        return None
    if done < len(content):
        pieces.append(Token("text", "", 0, content=content[done:], level=level))
    return pieces


def link_bare_addresses(state: StateCore) -> None:
    """Core rule: bare addresses in text become links (never inside a link already)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        if not LINKISH.search(block.content):
            continue
        children: list[Token] = []
        depth = 0  # inside how many links
        for child in block.children:
            if child.type == "link_open":
                depth += 1
            elif child.type == "link_close":
                depth -= 1
            elif child.type == "text" and depth == 0:
                pieces = _linked(state.md, child)
                if pieces is not None:
                    children.extend(pieces)
                    continue
            children.append(child)
        block.children = children


def mark_tasks(state: StateCore) -> None:
    """Core rule: a list item starting ``[ ]`` or ``[x]`` starts with ☐ or ☑ instead."""
    tokens: Sequence[Token] = state.tokens
    for i in range(len(tokens) - 2):
        if tokens[i].type != "list_item_open" or tokens[i + 1].type != "paragraph_open":
            continue
        inline = tokens[i + 2]
        first = inline.children[0] if inline.children else None
        if first is None or first.type != "text":
            continue
        match = _TASK.match(first.content)
        if match is None:
            continue
        box = UNCHECKED if match.group(1) == " " else CHECKED
        first.content = box + first.content[3:]
        inline.content = box + inline.content[3:]


def add_gfm_rules(md: MarkdownIt) -> None:
    """Add both rules to ``md``: the boxes before escapes are joined into the text (``\\[x]``
    stays as written), the links after (an escaped ``\\_`` in an address is a plain ``_``)."""
    md.core.ruler.before("text_join", "wd_tasks", mark_tasks)
    md.core.ruler.push("wd_bare_addresses", link_bare_addresses)
