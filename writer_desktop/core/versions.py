"""Editing, regenerating, switching versions and branching: nothing is ever destroyed. No Qt.

``Conversation.messages`` is always the path the user sees. A place in it (message ``N``) may
keep earlier states in ``messages[N].versions``: each :class:`~.models.Version` is the message as
it was there plus the messages that followed it then. All states of a place, oldest first (by
``created_at``), are the versions with the displayed message among them; right after an edit or
a regeneration the displayed one is the newest, so it reads "2/2".

- :func:`edit_message`: the user message ``N`` and everything after it become a version of a
  new user message ``N`` with the edited text (which carries the old one's versions).
- :func:`regenerate`: the reply ``N`` (and anything after it) becomes a version of a new, empty
  reply, ready to stream.
- :func:`switch_version`: the displayed state of place ``N`` and the chosen one trade places.
  Going through every version and back restores the conversation exactly.
- :func:`branch_copy`: a new conversation with copies of messages ``0..N``.

The operations change ``conv`` in place and move message objects rather than copying them, so
a reply still streaming into a message that became a version keeps saving into it.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime, timedelta

from .models import Conversation, Message, Role, Status, Version
from .titles import UNTITLED

__all__ = [
    "VersionError",
    "branch_copy",
    "edit_message",
    "last_message_id",
    "regenerate",
    "switch_version",
    "version_position",
]

_EARLIEST = datetime.min.replace(tzinfo=UTC)


class VersionError(ValueError):
    """The operation does not apply (unknown message, wrong role, no such version)."""


def version_position(message: Message) -> tuple[int, int]:
    """``(k, n)``: the displayed message is state ``k`` (1-based) of ``n`` at its place."""
    return _slot(message, message.versions) + 1, len(message.versions) + 1


def last_message_id(conv: Conversation, role: Role) -> str | None:
    """The id of the last displayed message written by ``role``, if any."""
    return next((m.id for m in reversed(conv.messages) if m.role is role), None)


def edit_message(conv: Conversation, message_id: str, text: str) -> Message:
    """Replace user message ``message_id`` and what follows with ``text``; return the new one.

    The old message and its followers become a version of the new one; no reply is added.
    """
    index = _index(conv, message_id)
    if conv.messages[index].role is not Role.USER:
        raise VersionError("Only your own messages can be edited.")
    new = Message(Role.USER, text)
    _replace(conv, index, new)
    return new


def regenerate(conv: Conversation, message_id: str, model: str) -> Message:
    """Replace reply ``message_id`` (and anything after it) with a new, empty ``streaming``
    reply by ``model``; return it. The old reply becomes a version of the new one."""
    index = _index(conv, message_id)
    if conv.messages[index].role is not Role.ASSISTANT:
        raise VersionError("Only Writer's replies can be regenerated.")
    new = Message(Role.ASSISTANT, "", model=model or None, status=Status.STREAMING)
    _replace(conv, index, new)
    return new


def switch_version(conv: Conversation, message_id: str, delta: int) -> Message:
    """Show the state ``delta`` steps away (−1 older, +1 newer) at the place of ``message_id``;
    return the message now displayed there."""
    index = _index(conv, message_id)
    current = conv.messages[index]
    shown = _slot(current, current.versions)
    target = shown + delta
    if not 0 <= target <= len(current.versions):
        raise VersionError("There is no such version.")
    if target == shown:
        return current
    states = list(current.versions)
    current.versions = []
    states.insert(shown, Version(current, conv.messages[index + 1 :]))
    chosen = states.pop(target)
    new = chosen.message
    # A hand-made file may keep versions inside a version's message: keep them, at the end.
    new.versions = [*states, *new.versions]
    conv.messages[index:] = [new, *chosen.following]
    return new


def branch_copy(conv: Conversation, message_id: str) -> Conversation:
    """A new conversation with copies of messages ``0..message_id`` (fresh ids, no versions),
    the same model, system prompt and parameters, titled "<title> (branch)"."""
    index = _index(conv, message_id)
    messages = [_copy(m) for m in conv.messages[: index + 1]]
    return Conversation(
        title=f"{conv.title or UNTITLED} (branch)",
        model=conv.model,
        system_prompt=conv.system_prompt,
        params=dataclasses.replace(conv.params),
        messages=messages,
    )


# -- internals --------------------------------------------------------------------------------


def _index(conv: Conversation, message_id: str) -> int:
    for index, message in enumerate(conv.messages):
        if message.id == message_id:
            return index
    raise VersionError("That message is not in this conversation any more.")


def _moment(message: Message) -> datetime:
    try:
        moment = datetime.fromisoformat(message.created_at.replace("Z", "+00:00"))
    except ValueError:
        return _EARLIEST
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _slot(message: Message, versions: list[Version]) -> int:
    """Where ``message`` stands among ``versions``, oldest first (after those as old)."""
    moment = _moment(message)
    return sum(1 for v in versions if _moment(v.message) <= moment)


def _later_than(messages: list[Message]) -> str:
    """Now, or just after the latest of ``messages`` if the clock says otherwise: a new state
    is always the newest, so the order of versions never depends on equal times."""
    now = datetime.now(UTC)
    moment = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as written
    latest = max((_moment(m) for m in messages), default=_EARLIEST)
    if moment <= latest:
        moment = latest + timedelta(milliseconds=1)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _replace(conv: Conversation, index: int, new: Message) -> None:
    """``new`` takes place ``index``: the old state (and its followers) becomes a version."""
    old = conv.messages[index]
    states = list(old.versions)
    old.versions = []
    states.insert(_slot(old, states), Version(old, conv.messages[index + 1 :]))
    new.created_at = _later_than([old, *(v.message for v in states)])
    new.versions = states
    conv.messages[index:] = [new]


def _copy(message: Message) -> Message:
    status = Status.STOPPED if message.status is Status.STREAMING else message.status
    usage = dataclasses.replace(message.usage) if message.usage else None
    return Message(
        message.role,
        message.content,
        created_at=message.created_at,
        model=message.model,
        status=status,
        finish_reason=message.finish_reason,
        usage=usage,
        error=message.error,
        error_kind=message.error_kind,
        extra=copy.deepcopy(message.extra),
    )
