"""What a click on a link in the chat means: an app action, or an address to vet.

App actions use the ``wd-action:`` scheme with quoted arguments (``render.action_href``); model
text can never produce them, since only http, https and mailto links survive rendering.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from PySide6.QtCore import QUrl

from .render import SAFE_SCHEMES

# In QTextCursor.selectedText(), Qt's paragraph and line separators and frame marks are breaks.
PLAIN_TEXT = str.maketrans(
    {
        "\u2029": "\n",
        "\u2028": "\n",
        "\ufdd0": "\n",
        "\ufdd1": "\n",
        "\xa0": " ",
        "\u200b": None,
    }  # the renderer's wrap points in very long words
)


def parse_action(url: QUrl) -> tuple[str, list[str]]:
    """``wd-action:copy-code/<id>/2`` → ``("copy-code", [<id>, "2"])``."""
    path = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
    action, *args = path.split("/")
    return action, [unquote(a) for a in args]


def shown_address(url: QUrl) -> str:
    """The address exactly as the browser will get it: ASCII only, percent-encoded.

    Qt's readable form decodes the host to Unicode and ``%E2%80%AE`` to a real right-to-left
    override, so ``xn--pypal-4ve.com`` (a Cyrillic "а") would read as paypal.com and
    ``/%E2%80%AEgnp.exe`` as ``/exe.png``: a spoofed address, shown just when the user decides.
    """
    return url.toString(QUrl.ComponentFormattingOption.FullyEncoded)


def refused(url: QUrl) -> bool:
    """Whether a link is refused without asking: a scheme other than http, https or mailto, or
    an address Qt cannot parse (the browser would get an empty one; a host label over 63
    characters, a port out of range)."""
    return url.scheme().lower() not in SAFE_SCHEMES or not url.isValid()


def refusal(url: QUrl) -> str:
    if not url.isValid():
        why = url.errorString().split(";")[0] or "it cannot be read"
        source = re.search(r'source was "([^"]*)"', url.errorString())
        shown = f":\n{ascii_only(source[1])}" if source else "."
        return f"Writer Desktop does not open this link: its address is not valid ({why}){shown}"
    scheme = url.scheme().lower()
    shown = shown_address(url) or "(empty)"
    return f"Writer Desktop does not open “{scheme or 'relative'}” links:\n{shown}"


def ascii_only(text: str) -> str:
    """``text`` with anything outside printable ASCII escaped (no homograph, no bidi control)."""
    return "".join(c if " " <= c <= "~" else c.encode("unicode_escape").decode() for c in text)
