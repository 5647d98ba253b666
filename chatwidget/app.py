"""``ChatApp``: the public face of a chat app — its options, its handlers, its chat, its views.

The app holds three objects and lends them its API: the handler registry
(:class:`~chatwidget._handlers.Handlers`), the chat (:class:`~chatwidget.chat.ChatSession`,
which owns the conversation and everything per chat) and, unless headless, the widget its
views talk through (:class:`~chatwidget._widget.ChatWidget`). See ``docs/architecture.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib
import threading
from contextvars import Token
from typing import TYPE_CHECKING, Any

from ._base import StepBase
from ._context import ChatContext, current_chat
from ._extras import ChatExtras
from ._handlers import HandlerDecorators, Handlers
from ._log import route_log_to_server
from ._options import ChatOptions
from ._transcript import render_transcript
from ._widget import ChatWidget
from .chat import ChatSession
from .conversation import Conversation
from .message import Message

if TYPE_CHECKING:
    from ._static import StaticCopies


def _mirror(name: str) -> Any:
    return property(lambda app: getattr(app.chat, name), doc=f"The chat's ``{name}`` (read only).")


class ChatApp(ChatOptions, HandlerDecorators, ChatExtras):
    """A chat app: register handlers on it, then ``app.display()``.

    ``cot`` chooses how much of the chain of thought the browser sees: ``"full"`` (every
    step), ``"tool_call"`` (tool steps only) or ``"hidden"`` (no step; the browser gets
    only stubs, never their contents). ``headless=True`` builds no widget (tests, scripts).
    """

    def __init__(self, title: str = "Chat", *, headless: bool = False, **kwargs: Any) -> None:
        if headless:
            kwargs.setdefault("persist", False)
        super().__init__(title=title, **kwargs)
        self.name  # noqa: B018 - the default name is fixed now, from the title the app is made with
        self.handlers = Handlers()
        self.chat = ChatSession(self)
        self._static: StaticCopies | None = None  # the saved-notebook copy, made by display()
        self._entered: list[Token[ChatContext | None]] = []
        self._sidecar: Any = None
        self._closing: asyncio.Task[None] | None = None
        self.widget: ChatWidget | None = None if headless else ChatWidget.linked(self, self.chat)
        route_log_to_server()

    # -- driving the chat from code ----------------------------------------------------------
    async def start(self) -> None:
        """Run ``on_chat_start`` if this chat has not started yet."""
        await self.chat.start()

    async def send_user_message(
        self,
        content: str,
        *,
        answers: list[Any] | None = None,
        command: str | None = None,
        modes: dict[str, str] | None = None,
    ) -> Message:
        """Act as the user typing ``content``; returns when ``on_message`` has finished.

        ``answers`` feed, in order, the ask prompts the handler raises: text for
        ``AskUserMessage``, an action name for ``AskActionMessage``, a list of paths (or of
        ``{"name", "content", "type"}`` dicts) for ``AskFileMessage``, the submitted data
        for ``AskElementMessage``; ``None`` stands for a timeout. ``modes`` picks options
        of the composer's modes (the others keep their defaults).
        """
        await self.chat.start()
        await self.chat.runner.wait()
        from .modes import check_modes

        message = self.chat.accept_user_message(content, [], command, check_modes(self.modes, modes))
        task = self.chat.answer(message, answers)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        if self._static is not None:  # a notebook driven from code is saved as it ends: no delay
            self._static.write()
        return message

    def stop(self) -> bool:
        """Stop the running answer, as the composer's stop button does."""
        return self.chat.stop()

    async def new_chat(self) -> None:
        """End this chat (``on_chat_end``) and start an empty one in the same views."""
        await self.chat.new_chat()

    async def resume(self, thread_id: str) -> None:
        """Restore a stored thread (messages, steps, elements, feedback, settings) in this chat."""
        from ._threads import resume

        await resume(self.chat, thread_id)

    async def list_threads(
        self, search: str | None = None, cursor: str | None = None, *, all_apps: bool = False
    ) -> dict[str, Any]:
        """One page of this owner's threads of this app (``name``), newest first:
        ``{"pageInfo", "data"}``; ``all_apps=True`` lists every app's threads."""
        from ._threads import list_threads

        return await list_threads(self.chat, search, cursor, all_apps=all_apps)

    async def save(self) -> None:
        """Write what is not saved yet now; raises if the data layer fails."""
        if self.chat.writer is not None:
            await self.chat.writer.save()

    async def wait(self) -> None:
        """Wait until no handler is running."""
        await self.chat.runner.wait()

    def flush(self) -> None:
        """Send now what the views and the saved-notebook copy have not received yet."""
        self.chat.conversation.flush()
        if self._static is not None:
            self._static.write()

    def __enter__(self) -> ChatApp:
        """``with app:`` — in a cell, the API called inside goes to this app's chat."""
        self._entered.append(current_chat.set(ChatContext(self.chat)))
        return self

    def __exit__(self, *_exc: object) -> None:
        current_chat.reset(self._entered.pop())

    # -- reading the chat ---------------------------------------------------------------
    @property
    def conversation(self) -> Conversation:
        return self.chat.conversation

    @property
    def thread_id(self) -> str:
        return self.chat.thread_id

    @property
    def session(self) -> dict[str, Any]:
        """The values of ``cw.user_session`` for this chat."""
        return self.chat.user_session

    @property
    def messages(self) -> list[Message]:
        return [s for s in self.conversation.steps() if isinstance(s, Message)]

    @property
    def steps(self) -> list[StepBase]:
        """Every entry of the conversation (messages and steps) in the order they were sent."""
        return self.conversation.steps()

    def transcript(self) -> str:
        """The conversation as deterministic plain text (no ids, no timestamps)."""
        return render_transcript(self.conversation)

    def transcript_html(self) -> str:
        """The conversation as self-contained HTML: the copy a saved notebook shows without a kernel."""
        from ._static import render_static  # markdown-it is loaded only for a copy

        return render_static(self.title, self.conversation, self.chat.shows_text)

    @property
    def static_copies(self) -> StaticCopies | None:
        """The saved-notebook copies ``display()`` shows (``None`` before the first)."""
        return self._static

    # The chat's state reads as the app's (see ChatSession for what each holds).
    running = _mirror("running")
    ask = _mirror("ask")
    settings = _mirror("settings")
    starters = _mirror("starters")
    commands = _mirror("commands")
    profiles = _mirror("profiles")
    profile = _mirror("profile")
    storage_error = _mirror("storage_error")
    connected_mcp = _mirror("connected_mcp")
    starter_categories = _mirror("starter_categories")
    modes = _mirror("modes")
    element_sidebar = _mirror("element_sidebar")
    chat_elements = _mirror("chat_elements")

    # -- showing it ---------------------------------------------------------------------
    def _require_widget(self) -> ChatWidget:
        if self.widget is None:
            raise RuntimeError("A headless ChatApp has no views; create it without headless=True.")
        return self.widget

    def display(self) -> None:
        """Show the chat in the current cell's output; several views stay in sync.

        A static copy of the conversation is shown along with it, for readers of the saved
        notebook where no kernel runs (hidden while the widget is live).
        """
        from IPython.display import display

        self._require_widget()
        # Where the widget cannot be shown (a saved notebook, GitHub), the static copy below is
        # what readers get: the app's text form (a count of messages at display time) is not.
        data, metadata = self._bundle("")
        display(data, metadata=metadata, raw=True)  # type: ignore[no-untyped-call]
        if self._static is None:
            from ._static import StaticCopies

            self._static = StaticCopies(lambda: self.title, self.chat.conversation, self.chat.shows_text)
        self._static.show()
        if self.error_details == "traceback":  # the author's own notebook: show what handlers print
            self.chat.output_context = contextvars.copy_context()
        # The views ask at once (hello); the first message must not wait for the handlers' import.
        importlib.import_module("chatwidget._requests")
        if self.persist:  # the first message must not wait for SQLAlchemy to import
            threading.Thread(
                target=importlib.import_module, args=("chatwidget.data.sql",), daemon=True
            ).start()

    def sidebar(self, title: str | None = None, anchor: str = "right") -> None:
        """Open the same live chat in JupyterLab's side panel (``anchor="split-right"`` for a tab)."""
        from IPython.display import display
        from sidecar import Sidecar

        self._require_widget()
        self._sidecar = Sidecar(title=title or self.title, anchor=anchor)
        with self._sidecar:
            display(self)  # type: ignore[no-untyped-call]

    def __repr__(self) -> str:
        return f"ChatApp(title={self.title!r}, messages={len(self.messages)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self._bundle(repr(self))

    def _bundle(self, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget's display data and metadata, with ``text`` as the plain-text form."""
        if self.widget is None:
            return {"text/plain": text}, {}
        data, metadata = self.widget._repr_mimebundle_() or ({}, {})
        return {**data, "text/plain": text}, metadata

    def close(self) -> None:
        """Close the chat and its views; ``on_chat_end`` runs if a loop is running."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no running loop: nothing can run on_chat_end
            self.chat.close_now()
        else:
            if self.chat.retire():  # at once: the API outside a handler no longer finds it
                self._closing = loop.create_task(self.chat.close(retired=True))
        if self.widget is not None:
            with contextlib.suppress(Exception):
                self.widget.close()
