"""``cw.context``: what the running handler belongs to, in the reference's terms.

``context.session`` (the chat: ``id``, ``thread_id``, ``user``, ``chat_profile``,
``client_type``...), ``context.emitter`` (what a handler can tell the chat beyond messages:
commands, ...), ``context.current_step`` and ``context.current_run``. Outside a handler
(and outside any chat) reading them raises :class:`~chatwidget.NoChatError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._context import current_step, require_chat
from ._sync import on_loop

if TYPE_CHECKING:
    from .audio import OutputAudioChunk
    from .chat import ChatSession
    from .step import Step


class ChatSessionView:
    """The reference's ``WebsocketSession`` as far as a notebook has one: read-only facts."""

    client_type = "jupyter"

    def __init__(self, chat: ChatSession) -> None:
        self._chat = chat

    @property
    def id(self) -> str:
        return self._chat.thread_id

    @property
    def thread_id(self) -> str:
        return self._chat.thread_id

    @property
    def user(self) -> Any:
        return self._chat.user_session.get("user")

    @property
    def chat_profile(self) -> str | None:
        return self._chat.user_session.get("chat_profile")

    @property
    def chat_settings(self) -> dict[str, Any]:
        return dict(self._chat.user_session.get("chat_settings") or {})

    @property
    def user_env(self) -> dict[str, str]:
        return dict(self._chat.user_session.get("env") or {})

    @property
    def languages(self) -> str:
        return self._chat.app.language

    def to_persistable(self) -> dict[str, Any]:
        """The user session as it is kept with the thread."""
        return {k: v for k, v in self._chat.user_session.items() if k != "user"}


class Emitter:
    """What a handler tells its chat besides messages (the reference's ``context.emitter``)."""

    def __init__(self, chat: ChatSession) -> None:
        self._chat = chat

    async def set_commands(self, commands: list[Any]) -> None:
        chat = self._chat
        on_loop(lambda: chat.interaction.set_commands(commands))

    async def set_modes(self, modes: list[Any]) -> None:
        chat = self._chat
        on_loop(lambda: chat.page.set_modes(modes))

    async def send_toast(self, message: str, type: str = "info") -> None:
        chat = self._chat
        on_loop(lambda: chat.page.toast(message, type))

    async def send_window_message(self, data: Any) -> None:
        chat = self._chat
        on_loop(lambda: chat.page.send_window_message(data))

    async def send_audio_chunk(self, chunk: OutputAudioChunk) -> None:
        """Play ``chunk`` in the chat's views (``cw.send_audio_chunk``)."""
        from .audio import play

        play(self._chat, chunk)

    async def send_audio_interrupt(self) -> None:
        """Stop the audio playing in the chat's views (``cw.send_audio_interrupt``)."""
        chat = self._chat
        on_loop(chat.voice.interrupt)

    async def task_start(self) -> None:
        """The chat shows that an answer is running while a handler runs: nothing to do."""

    async def task_end(self) -> None:
        """See :meth:`task_start`."""


class Context:
    """``cw.context``: resolved afresh on every read, so it always names the running chat."""

    @property
    def session(self) -> ChatSessionView:
        return ChatSessionView(require_chat())

    @property
    def emitter(self) -> Emitter:
        return Emitter(require_chat())

    @property
    def current_step(self) -> Step | None:
        return current_step.get()

    @property
    def current_run(self) -> Step | None:
        """The outermost step open around the caller, if any."""
        step = current_step.get()
        if step is None:
            return None
        from .step import Step

        by_id = {s.id: s for s in require_chat().conversation.steps()}
        while isinstance(parent := by_id.get(step.parent_id or ""), Step):
            step = parent
        return step


context = Context()
