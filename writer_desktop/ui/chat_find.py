"""Find's reach in the chat view: the whole conversation, not only its rendered messages.

The chat view renders a long conversation as a window of messages around what is on screen
(``ui/message_frames.py``), so Find searches the messages outside that window in their text and
renders the one it steps to (:class:`~.find_bar.FindScope`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRegularExpression

from .find_bar import Outside, count_matches

if TYPE_CHECKING:
    from .chat_view import ChatView


class ChatFindScope:
    """The :class:`~.find_bar.FindScope` of a chat view."""

    def __init__(self, chat: ChatView) -> None:
        self._chat = chat

    def prepare(self) -> None:
        self._chat.render_all()

    def outside(self, pattern: QRegularExpression) -> Outside:
        above, below = self._chat.unrendered()

        def counted(items: list[tuple[str, str]]) -> list[tuple[str, int]]:
            counts = ((m, count_matches(pattern, text)) for m, text in items)
            return [(m, n) for m, n in counts if n]

        return Outside(counted(above), counted(below))

    def bring(self, item: str) -> tuple[int, int] | None:
        self._chat.show_message(item)
        return self._chat.message_span(item)
