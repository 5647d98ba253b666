"""Context variables that let ``Message(...).send()`` find its chat and its parent step.

A handler runs as an asyncio task (or in a worker thread with a copied context), so each
handler sees its own chat and its own stack of open steps, across ``await``s.

Outside a handler (a notebook cell) the rule is explicit: the chat of the app whose
``with app:`` block is active; else, if exactly one app is open in this kernel, that one;
else :class:`NoChatError`, which says how to choose. Nothing is ever sent to a chat the
code did not name or could not mean.
"""

from __future__ import annotations

import contextvars
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chat import ChatSession
    from .step import Step


class ChatContext:
    """What a running handler belongs to: the chat, and answers scripted for its prompts."""

    __slots__ = ("answers", "chat", "scripted", "stopped")

    def __init__(self, chat: ChatSession, answers: list[Any] | None = None) -> None:
        self.chat = chat
        #: Answers for ask prompts, when the chat is driven by a script (tests, notebooks).
        self.scripted = answers is not None
        self.answers: list[Any] = list(answers or [])
        self.stopped = False


current_chat: contextvars.ContextVar[ChatContext | None] = contextvars.ContextVar(
    "chatwidget_chat", default=None
)
current_step: contextvars.ContextVar[Step | None] = contextvars.ContextVar("chatwidget_step", default=None)

#: The chats of the apps not closed yet, for the "exactly one open app" rule.
open_chats: weakref.WeakSet[ChatSession] = weakref.WeakSet()


class NoChatError(RuntimeError):
    """Raised when the API is used outside a handler and it is not clear which chat is meant."""


def require_chat() -> ChatSession:
    """The chat that the API called here belongs to (see the module's rule)."""
    context = current_chat.get()
    if context is not None:
        return context.chat
    chats = list(open_chats)
    if len(chats) == 1:
        return chats[0]
    if not chats:
        raise NoChatError("No chat to send to: create a cw.ChatApp first, or call this inside a handler.")
    raise NoChatError(
        f"{len(chats)} chats are open, so this call does not say which one it is for: "
        "run it inside one of the app's handlers, or in a `with app:` block."
    )
