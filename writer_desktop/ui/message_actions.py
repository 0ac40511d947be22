"""What can be done with one message of the chat: copy, edit, regenerate, switch version, branch.

Each entry is a label and a ``wd-action:`` address, so the context menu, the hover toolbar
(``message_toolbar``) and the ‹ k/n › links in message headers all reach the chat view's one
dispatcher (``ChatView._on_anchor``). Plain data, no Qt.
"""

from __future__ import annotations

from writer_desktop.core.models import Message, Role, Status
from writer_desktop.core.versions import version_position

from .render import action_href

TOOLBAR = {"edit": "Edit", "regenerate": "Regenerate", "branch": "Branch"}  # action → button
TOOLBAR_TIPS = {  # what a button does, said where its one word does not
    "copy-message": "Copy this message as Markdown",
    "edit": "Edit this message and send it again (the earlier one stays as a version)",
    "regenerate": "Write this reply again (this one stays as a version)",
    "branch": "Start a new conversation with the messages up to here",
}


def message_actions(message: Message) -> list[tuple[str, str]]:
    """``(label, address)`` for each action that applies to ``message`` now (labels with their
    context menu mnemonics)."""
    out: list[tuple[str, str]] = []
    streaming = message.status is Status.STREAMING
    if message.role is Role.USER:
        out.append(("&Edit and resend…", action_href("edit", message.id)))
    if message.role is Role.ASSISTANT and not streaming:
        out.append(("&Regenerate", action_href("regenerate", message.id)))
    if message.versions and not streaming:
        k, n = version_position(message)
        if k > 1:
            out.append((f"&Previous version ({k - 1}/{n})", _version(message, -1)))
        if k < n:
            out.append((f"Ne&xt version ({k + 1}/{n})", _version(message, 1)))
    if not streaming:
        out.append(("&Branch from here", action_href("branch", message.id)))
    return out


def _version(message: Message, delta: int) -> str:
    return action_href("version", message.id, str(delta))


def toolbar_actions(message: Message) -> list[tuple[str, str]]:
    """``(button text, address)`` for the hover toolbar: copy, edit, regenerate, branch.
    (The context menu has its own Copy entries, for the message and for a selection.)"""
    out = [("Copy", action_href("copy-message", message.id))] if message.content else []
    for _, href in message_actions(message):
        action = _action(href)
        if action in TOOLBAR:
            out.append((TOOLBAR[action], href))
    return out


def toolbar_tip(href: str) -> str:
    """The tooltip of the hover toolbar's button for ``href``."""
    return TOOLBAR_TIPS.get(_action(href), "")


def _action(href: str) -> str:
    """The action an app link names: ``edit`` for ``wd-action:edit/<id>``."""
    return href.split(":", 1)[-1].split("/", 1)[0]
