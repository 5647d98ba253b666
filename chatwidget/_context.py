"""Context variables that let ``Message(...).send()`` find its chat and its parent step.

A handler runs as an asyncio task (or in a worker thread with a copied context), so each
handler sees its own chat and its own stack of open steps, across ``await``s.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import ChatApp
    from .step import Step


class ChatContext:
    """What a running handler belongs to: the app, and answers scripted for its prompts."""

    __slots__ = ("answers", "app", "scripted", "stopped")

    def __init__(self, app: ChatApp, answers: list[Any] | None = None) -> None:
        self.app = app
        #: Answers for ask prompts, when the chat is driven by a script (tests, notebooks).
        self.scripted = answers is not None
        self.answers: list[Any] = list(answers or [])
        self.stopped = False


current_chat: contextvars.ContextVar[ChatContext | None] = contextvars.ContextVar(
    "chatwidget_chat", default=None
)
current_step: contextvars.ContextVar[Step | None] = contextvars.ContextVar("chatwidget_step", default=None)


class NoChatError(RuntimeError):
    """Raised when the API is used outside a handler and no app was given."""


def require_app() -> ChatApp:
    chat = current_chat.get()
    if chat is not None:
        return chat.app
    from .app import ChatApp

    if ChatApp.last_created is not None:
        return ChatApp.last_created
    raise NoChatError(
        "No chat to send to: create a cw.ChatApp first, or call this inside one of its handlers."
    )
