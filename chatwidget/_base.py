"""What messages and steps share: identity, parent, streaming text, and the StepDict form."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from ._context import current_step, require_chat
from ._util import to_text, utc_now

if TYPE_CHECKING:
    from .action import Action
    from .chat import ChatSession
    from .data.types import StepDict
    from .element import Element
    from .generation import BaseGeneration

S = TypeVar("S", bound="StepBase")


def _generation_form(generation: BaseGeneration | dict[str, Any] | None) -> dict[str, Any] | None:
    """A step's generation as stored: a dict given as is, or a ``BaseGeneration``'s ``to_dict()``
    (tested this way round so that a chat without generations never imports their module)."""
    if generation is None or isinstance(generation, dict):
        return generation
    return generation.to_dict()


class StepBase:
    """An entry of the conversation. The chat it belongs to is fixed when it is first sent
    (the chat of the handler that runs, see :func:`chatwidget._context.require_chat`)."""

    type: str

    def __init__(
        self,
        *,
        name: str,
        type: str,
        id: str | None = None,
        parent_id: str | None = None,
        thread_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        language: str | None = None,
        default_open: bool = False,
        show_input: bool | str = "json",
        created_at: str | None = None,
    ) -> None:
        self.id = id or str(uuid.uuid4())
        self.name = name
        self.type = type
        if parent_id is None and (parent := current_step.get()) is not None:
            parent_id = parent.id
        self.parent_id = parent_id
        self.thread_id = thread_id
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.tags = list(tags) if tags else None
        self.language = language
        self.default_open = default_open
        self.show_input = show_input
        self.created_at = created_at
        self.start: str | None = None
        self.end: str | None = None
        self.is_error = False
        self.generation: BaseGeneration | dict[str, Any] | None = None
        self.elements: list[Element] = []
        self.actions: list[Action] = []
        self.feedback: dict[str, Any] | None = None
        self.streaming = False
        #: Shown to this chat's views only, never stored (a traceback for the developer).
        self.ephemeral = False
        self.input = ""
        # The output is kept as parts so that streaming appends in O(1); see ``output``.
        self._parts: list[str] = []
        self._length = 0
        self._joined: str | None = ""
        self._chat: ChatSession | None = None

    # -- text ------------------------------------------------------------------
    @property
    def output(self) -> str:
        if self._joined is None:
            joined = "".join(self._parts)
            self._parts = [joined] if joined else []
            self._joined = joined
        return self._joined

    @output.setter
    def output(self, value: Any) -> None:
        text, language = to_text(value)
        if language and not self.language:
            self.language = language
        self._parts = [text] if text else []
        self._length = len(text)
        self._joined = text

    def _set_input(self, value: Any) -> str:
        text, language = to_text(value)
        if language and self.show_input is True:
            self.show_input = language
        return text

    # -- lifecycle ---------------------------------------------------------------
    @property
    def chat(self) -> ChatSession:
        """The chat this entry belongs to."""
        if self._chat is None:
            self._chat = require_chat()
        return self._chat

    def bind(self: S, chat: ChatSession) -> S:
        """Belong to ``chat`` whatever the context (a notice the chat sends itself)."""
        self._chat = chat
        return self

    def _sent(self) -> bool:
        return self._chat is not None and self in self._chat.conversation

    def _send_now(self) -> None:
        """Add to the conversation (or refresh it if already there)."""
        if self.created_at is None:
            self.created_at = utc_now()
        chat = self.chat
        if self.thread_id is None:
            self.thread_id = chat.thread_id
        chat.elements.attach(self)
        chat.conversation.put(self)

    def _update_now(self) -> None:
        if self._sent():
            self.chat.elements.attach(self)  # elements added since it was sent
            self.chat.conversation.put(self)
        else:
            self._send_now()

    def _remove_now(self) -> bool:
        if self._chat is None:
            return False
        return self._chat.conversation.remove(self)

    def _stream_now(self, token: str, is_sequence: bool) -> None:
        if not self.streaming:
            self.streaming = True
            self._update_now()
        if is_sequence:
            self._parts = [token]
            self._length = len(token)
            self._joined = token
            self.chat.conversation.stream(self, replaced=True)
            return
        self._parts.append(token)
        self._length += len(token)
        self._joined = None
        self.chat.conversation.stream(self)

    def remove_actions_now(self, actions: list[Action] | None = None) -> None:
        """Take away some of this entry's buttons (all of them by default)."""
        ids = None if actions is None else {a.id for a in actions}
        self.actions = [] if ids is None else [a for a in self.actions if a.id not in ids]
        if self._sent():
            self.chat.conversation.put(self)

    def _end_stream(self) -> None:
        self.streaming = False

    # -- serialization -----------------------------------------------------------
    def to_dict(self) -> StepDict:
        return {
            "id": self.id,
            "threadId": self.thread_id or "",
            "parentId": self.parent_id,
            "name": self.name,
            "type": self.type,
            "streaming": self.streaming,
            "metadata": self.metadata,
            "tags": self.tags,
            "input": self.input,
            "output": self.output,
            "isError": self.is_error,
            "createdAt": self.created_at,
            "start": self.start,
            "end": self.end,
            "language": self.language,
            "defaultOpen": self.default_open,
            "showInput": self.show_input,
            "generation": _generation_form(self.generation),
        }

    def stub_dict(self) -> StepDict:
        """What the browser gets for a step it must not see (``cot="hidden"``)."""
        return {
            "id": self.id,
            "threadId": self.thread_id or "",
            "parentId": self.parent_id,
            "name": self.name,
            "type": self.type,
            "input": "",
            "output": "",
        }

    def __repr__(self) -> str:
        # No id or timestamp: a cell that ends with a message prints the same text every run
        # (strict nbval compares it).
        text = self.output if len(self.output) <= 60 else self.output[:57] + "..."
        return f"{type(self).__name__}(name={self.name!r}, type={self.type!r}, output={text!r})"
