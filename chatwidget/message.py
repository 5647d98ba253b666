"""``Message`` and ``ErrorMessage``: what the user and the assistant say."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import StepBase
from ._sync import on_loop

if TYPE_CHECKING:
    from .action import Action
    from .data.types import StepDict


class Message(StepBase):
    """A chat message. ``await cw.Message("Hello").send()``; stream with ``stream_token``.

    ``content`` may be a dict or a list: it is shown as JSON. ``language`` shows the
    content as a code block in that language.
    """

    def __init__(
        self,
        content: Any = "",
        author: str | None = None,
        language: str | None = None,
        actions: list[Any] | None = None,
        elements: list[Any] | None = None,
        type: str = "assistant_message",
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        id: str | None = None,
        parent_id: str | None = None,
        command: str | None = None,
        created_at: str | None = None,
    ) -> None:
        super().__init__(
            name=author or "",
            type=type,
            id=id,
            parent_id=parent_id,
            metadata=metadata,
            tags=tags,
            language=language,
            created_at=created_at,
        )
        self.output = content
        self.actions: list[Action] = list(actions or [])
        self.elements = list(elements or [])
        self.command = command
        #: The composer's mode choices when the user sent it: ``{mode id: option id}``.
        self.modes: dict[str, str] = {}

    @property
    def content(self) -> str:
        return self.output

    @content.setter
    def content(self, value: Any) -> None:
        self.output = value

    @property
    def author(self) -> str:
        return self.name

    @author.setter
    def author(self, value: str) -> None:
        self.name = value

    def _send_now(self) -> None:
        if not self.name:
            app = self.chat.app
            self.name = app.user_name if self.type == "user_message" else app.assistant_name
        super()._send_now()

    def _finish(self) -> Message:
        self._end_stream()
        self._send_now()
        return self

    def _refresh(self) -> Message:
        self._update_now()
        return self

    async def send(self) -> Message:
        """Show the message (or, after streaming, finish it with its full text)."""
        return self._finish()

    async def update(self) -> Message:
        return self._refresh()

    async def remove(self) -> bool:
        return self._remove_now()

    async def remove_actions(self, actions: list[Action] | None = None) -> None:
        """Take away this message's buttons (all of them, or those given)."""
        on_loop(lambda: self.remove_actions_now(actions))

    async def stream_token(self, token: str, is_sequence: bool = False) -> None:
        """Append ``token`` (or replace the whole content with it, if ``is_sequence``)."""
        self._stream_now(token, is_sequence)

    # The synchronous twin, for handlers that run in a worker thread.
    def send_sync(self) -> Message:
        return on_loop(self._finish)

    def update_sync(self) -> Message:
        return on_loop(self._refresh)

    def remove_sync(self) -> bool:
        return on_loop(self._remove_now)

    def stream_token_sync(self, token: str, is_sequence: bool = False) -> None:
        on_loop(lambda: self._stream_now(token, is_sequence))

    def to_dict(self) -> StepDict:
        data = super().to_dict()
        if self.command:
            data["command"] = self.command
        return data


class ErrorMessage(Message):
    """A message shown as an error."""

    def __init__(self, content: str, author: str | None = None, **kwargs: Any) -> None:
        super().__init__(content=content, author=author, **kwargs)
        self.is_error = True
