"""What messages and steps share: identity, parent, streaming text, and the StepDict form."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ._context import current_step, require_app
from ._protocol import StepDict
from ._util import to_text, utc_now
from .generation import BaseGeneration

if TYPE_CHECKING:
    from .action import Action
    from .app import ChatApp
    from .element import Element


class StepBase:
    """An entry of the conversation. The app that owns it is fixed when it is first sent."""

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
        self.input = ""
        # The output is kept as parts so that streaming appends in O(1); see ``output``.
        self._parts: list[str] = []
        self._length = 0
        self._joined: str | None = ""
        self._app: ChatApp | None = None

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
    def app(self) -> ChatApp:
        if self._app is None:
            self._app = require_app()
        return self._app

    def _send_now(self) -> None:
        """Add to the conversation (or refresh it if already there)."""
        if self.created_at is None:
            self.created_at = utc_now()
        app = self.app
        if self.thread_id is None:
            self.thread_id = app.thread_id
        app._interaction.attach(self)
        app._history_put(self)

    def _update_now(self) -> None:
        if self._app is None or not self._app._history_has(self):
            self._send_now()
        else:
            self._app._history_put(self)

    def _remove_now(self) -> bool:
        if self._app is None:
            return False
        return self._app._history_remove(self)

    def _stream_now(self, token: str, is_sequence: bool) -> None:
        if not self.streaming:
            self.streaming = True
            if self._app is None or not self._app._history_has(self):
                self._send_now()
            else:
                self._app._history_put(self)
        if is_sequence:
            self._parts = [token]
            self._length = len(token)
            self._joined = token
            self.app._stream_replaced(self)
            return
        self._parts.append(token)
        self._length += len(token)
        self._joined = None
        self.app._streamed(self)

    def remove_actions_now(self, actions: list[Action] | None = None) -> None:
        """Take away some of this entry's buttons (all of them by default)."""
        ids = None if actions is None else {a.id for a in actions}
        self.actions = [] if ids is None else [a for a in self.actions if a.id not in ids]
        if self._app is not None and self._app._history_has(self):
            self._app._history_put(self)

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
            "generation": (
                self.generation.to_dict() if isinstance(self.generation, BaseGeneration) else self.generation
            ),
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
        return f"{type(self).__name__}(name={self.name!r}, type={self.type!r}, id={self.id!r})"
