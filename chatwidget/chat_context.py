"""``chat_context``: the messages of the current chat, as a model would read them.

It is a view of the conversation itself, so a message removed from the chat, or dropped
when the user edits an earlier one, leaves the context too. ``remove`` and ``clear``
only take messages out of the context (the chat still shows them); ``add`` puts in a
message that was never sent, e.g. a system prompt.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from ._context import require_chat
from .message import Message

if TYPE_CHECKING:
    from .chat import ChatSession

_ROLES = {"assistant_message": "assistant", "user_message": "user"}


class _Adjustments:
    """What was taken out of, or put into, one thread's context (a plain class: a dataclass
    would cost ``import chatwidget`` more than this module's whole code)."""

    __slots__ = ("added", "left_out", "thread_id")

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        self.left_out: set[str] = set()
        self.added: list[Message] = []


_by_chat: weakref.WeakKeyDictionary[ChatSession, _Adjustments] = weakref.WeakKeyDictionary()


def _adjustments(chat: ChatSession) -> _Adjustments:
    current = _by_chat.get(chat)
    if current is None or current.thread_id != chat.thread_id:  # a new chat starts from nothing
        current = _by_chat[chat] = _Adjustments(chat.thread_id)
    return current


class ChatContext:
    """``cw.chat_context.get()`` inside a handler: the chat's messages, oldest first."""

    def get(self) -> list[Message]:
        chat = require_chat()
        adjust = _adjustments(chat)
        shown = [
            m for m in chat.conversation.steps() if isinstance(m, Message) and m.id not in adjust.left_out
        ]
        shown_ids = {m.id for m in shown}
        return shown + [m for m in adjust.added if m.id not in shown_ids and m.id not in adjust.left_out]

    def add(self, message: Message) -> Message:
        adjust = _adjustments(require_chat())
        adjust.left_out.discard(message.id)
        if all(m.id != message.id for m in adjust.added):
            adjust.added.append(message)
        return message

    def remove(self, message: Message) -> bool:
        present = any(m.id == message.id for m in self.get())
        if present:
            _adjustments(require_chat()).left_out.add(message.id)
        return present

    def clear(self) -> None:
        adjust = _adjustments(require_chat())
        adjust.left_out.update(m.id for m in self.get())
        adjust.added.clear()

    def to_openai(self) -> list[dict[str, Any]]:
        """The context as OpenAI chat messages: ``[{"role", "content"}]``."""
        return [{"role": _ROLES.get(m.type, "system"), "content": m.content} for m in self.get()]


chat_context = ChatContext()
