"""``ChatSession``: one chat — its thread, its per-chat values and everything waiting on the user.

An app has one chat session; ``new_chat()`` and ``resume()`` move it to another thread. It
owns the conversation (and so what the views and the database see), the handler runner,
the pending prompt, the uploads, the elements, the thread writer and the identity of its
owner. Its traits (``running``, ``ask``, ``settings``...) are the state the views mirror;
the app's widget links them. Messages, steps, prompts and elements reach it through the
context (:func:`chatwidget._context.require_chat`), never through a widget.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from typing import TYPE_CHECKING, Any

import traitlets

from . import _protocol as wire
from ._base import StepBase
from ._context import open_chats
from ._delivered import DeliveredKeys
from ._elements import ElementRegistry
from ._emitter import ViewSync
from ._errors import report_error
from ._interaction import Interaction
from ._layers import data_layers
from ._page import PageExtras
from ._runner import HandlerRunner, workers
from .conversation import Conversation
from .identity import identity_required, local_owner, verify_identity
from .message import ErrorMessage, Message

if TYPE_CHECKING:
    from ._handlers import Handlers
    from ._persistence import ThreadWriter
    from ._uploads import UploadedFile, UploadRules, Uploads
    from ._voice import Voice
    from .app import ChatApp
    from .ask import AskBase, PendingAsks
    from .data.threads import ThreadService
    from .mcp import McpServers

log = logging.getLogger("chatwidget")

NOT_SIGNED_IN = "Not signed in"


class ChatSession(traitlets.HasTraits):
    running = traitlets.Bool(False, help="Whether a handler is answering.")
    ask = traitlets.Dict(help="The prompt waiting for the user's answer, or {}.")
    settings = traitlets.Dict(help="The chat settings panel: inputs and values, or {}.")
    starters: traitlets.List[dict[str, Any]] = traitlets.List(help="Suggestions shown on an empty chat.")
    commands: traitlets.List[dict[str, Any]] = traitlets.List(help="The composer's / commands.")
    profiles: traitlets.List[dict[str, Any]] = traitlets.List(help="Chat profiles to choose from.")
    profile = traitlets.Unicode("", help="The current chat profile.")
    storage_error = traitlets.Unicode("", help="Why the conversation could not be saved, if so.")
    connected_mcp: traitlets.List[dict[str, Any]] = traitlets.List(
        help="The chat's connected MCP servers: name, transport, target, tools."
    )
    starter_categories: traitlets.List[dict[str, Any]] = traitlets.List(help="Starters grouped under labels.")
    modes: traitlets.List[dict[str, Any]] = traitlets.List(help="The composer's mode pickers.")
    element_sidebar = traitlets.Dict(help="The element sidebar: title, element ids, key; {} when closed.")
    chat_elements: traitlets.List[str] = traitlets.List(
        help="Ids of the elements of the chat, not of a message."
    )

    def __init__(self, app: ChatApp) -> None:
        super().__init__()
        self.app = app
        self.id = uuid.uuid4().hex
        self.thread_id = str(uuid.uuid4())
        #: ``cw.user_session``: values kept for this chat, reset by a new chat.
        self.user_session: dict[str, Any] = {"id": self.thread_id}
        self.started = False
        self._starting: asyncio.Future[None] | None = None  # while on_chat_start runs
        self.conversation = Conversation()
        self.runner = HandlerRunner(self)
        # Prompts, uploads, MCP servers and voice are made on first use (see their properties):
        # most chats use few of them, and their modules are imported only then.
        self._asks: PendingAsks | None = None
        self._uploads: Uploads | None = None
        self._mcp: McpServers | None = None
        self._voice: Voice | None = None
        self.elements = ElementRegistry(self)
        self.interaction = Interaction(self)
        self.page = PageExtras(self)
        #: The keys of the messages views sent, so that a message sent twice shows once.
        self.delivered = DeliveredKeys()
        self.view: ViewSync | None = None
        #: Whether a view said hello: until then, nothing in the page hears events (audio).
        self.view_greeted = False
        #: The context of the cell that displayed the chat, where handlers' output goes
        #: (set by ``app.display()`` when the app shows the author everything); else None.
        self.output_context: contextvars.Context | None = None
        self._writer: ThreadWriter | None = None
        self._verified_owner: str | None = None
        self._closed = False
        open_chats.add(self)
        workers.acquire()
        _ = self.writer  # listens from the first message on (builds no data layer yet)

    @property
    def handlers(self) -> Handlers:
        return self.app.handlers

    @property
    def asks(self) -> PendingAsks:
        """The prompts waiting for the user's answer."""
        if self._asks is None:
            from .ask import PendingAsks

            self._asks = PendingAsks(self._prompt_changed)
        return self._asks

    @property
    def uploads(self) -> Uploads:
        """The files the user is uploading or has uploaded."""
        if self._uploads is None:
            from ._uploads import Uploads

            self._uploads = Uploads()
        return self._uploads

    @property
    def mcp(self) -> McpServers:
        """The chat's MCP servers (within the app's ``mcp`` options)."""
        if self._mcp is None:
            from .mcp import McpServers

            self._mcp = McpServers(
                lambda: self.app.mcp,
                on_connect=lambda connection, session: self._mcp_handler(
                    "on_mcp_connect", connection, session
                ),
                on_disconnect=lambda name, session: self._mcp_handler("on_mcp_disconnect", name, session),
                on_change=lambda servers: setattr(self, "connected_mcp", servers),
            )
        return self._mcp

    @property
    def voice(self) -> Voice:
        """The user's voice coming in, and audio going out (``cw.send_audio_chunk``)."""
        if self._voice is None:
            from ._voice import Voice

            self._voice = Voice(self)
        return self._voice

    def _interrupt_audio(self) -> None:
        if self._voice is not None:  # no voice yet: nothing plays
            self._voice.interrupt()

    # -- views ------------------------------------------------------------------------
    def attach_view(self, view: ViewSync) -> None:
        self.view = view
        self.conversation.add_listener(view)

    def greeted(self) -> None:
        """A view said hello: what was held for the views until one was there goes out."""
        if self.view_greeted:
            return
        self.view_greeted = True
        if self._voice is not None:
            self._voice.views_ready()

    def view_state(self, key: str, value: Any) -> None:
        """Set a state key of the views (an element, a library); nothing when headless."""
        if self.view is not None:
            self.view.put(key, value)

    def send_to_views(self, message: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        if self.view is not None:
            self.view.send(message, buffers)

    def shows_text(self, step: StepBase) -> bool:
        """Whether the browser may see ``step``'s text (the app's ``cot`` option)."""
        cot = self.app.cot
        if step.type in wire.MESSAGE_TYPES or cot == "full" or step.ephemeral:
            return True
        return cot == "tool_call" and step.type == "tool"

    def wire(self, step: StepBase) -> wire.StepDict:
        """``step`` as the browser gets it."""
        if not self.shows_text(step):
            data = step.stub_dict()
        else:
            data = step.to_dict()
            self.elements.decorate(step, data)
        data["slot"] = self.conversation.slot_of(step.id) or 0
        return data

    def snapshot(self) -> dict[str, Any]:
        """Every step and element as state keys, for a view that starts from scratch."""
        state: dict[str, Any] = {"head": self.conversation.head}
        for slot, step in self.conversation.items():
            state[wire.step_key(slot)] = self.wire(step)
        state.update(self.elements.state())
        return state

    # -- the owner and the thread writer --------------------------------------------------------
    @property
    def writer(self) -> ThreadWriter | None:
        """Who writes the threads; ``None`` when nothing is kept (see :mod:`chatwidget.identity`)."""
        if self._writer is None and self.app.persist and not self._closed:
            owner = self._verified_owner or (None if identity_required() else local_owner())
            if owner is None:
                return None
            from ._persistence import ThreadWriter

            app = self.app
            self._writer = ThreadWriter(
                self, lambda: app.data_layer or data_layers.get(app.db_url, self), owner
            )
            self.conversation.add_listener(self._writer)
        return self._writer

    async def threads(self) -> tuple[ThreadService, str]:
        """The thread rules over this chat's data layer, and the owner they answer for (as the
        data layer authenticated it, for a thread store)."""
        writer = self.writer
        if writer is None:
            raise RuntimeError("This chat does not keep its threads (persist=False, or not signed in).")
        from .data.threads import ThreadService

        return ThreadService(writer.layer), await writer.settle_owner()

    def sign_in(self, token: object) -> bool:
        """Accept the identity a view passed on from the server; False if it proves nothing.

        A kernel holds one conversation, so once it has an owner, another owner's view is refused.
        """
        owner = verify_identity(token)
        if owner is None:
            return False
        if self._verified_owner not in (None, owner):
            raise PermissionError("This chat belongs to another user.")
        self._verified_owner = owner
        if identity_required() and self.storage_error.startswith(NOT_SIGNED_IN):
            self.storage_error = ""
        _ = self.writer  # keeps what follows, now that the owner is known
        return True

    async def switch_thread(self, thread_id: str, *, stored: bool = False) -> None:
        """Make ``thread_id`` current (``stored``: an existing one, resumed).

        What comes next goes to the new thread at once; the previous thread's queued writes
        are flushed to it (a message sent just before must not be lost or change threads).
        """
        previous, self.thread_id = self.thread_id, thread_id
        if self.writer is not None:
            await self.writer.switched(previous, stored=stored)

    # -- the chat's life ------------------------------------------------------------------
    async def start(self) -> None:
        """Run ``on_chat_start`` if this chat has not started yet. A caller that comes while
        it runs (a message typed as the view opens) waits for it: the greeting comes first."""
        if self.started:
            if self._starting is not None:
                await asyncio.shield(self._starting)
            return
        self.started = True
        starting = self._starting = asyncio.get_running_loop().create_future()
        try:
            await self.interaction.load_starters_and_profiles()
            if handler := self.handlers.get("on_chat_start"):
                await self.runner.invoke("on_chat_start", handler)
                self.conversation.flush()
        finally:
            if not starting.done():
                starting.set_result(None)
            if self._starting is starting:
                self._starting = None

    def accept_user_message(
        self,
        content: str,
        files: list[UploadedFile],
        command: str | None = None,
        modes: dict[str, str] | None = None,
    ) -> Message:
        """Show what the user sent (as the composer does) and start its thread's record."""
        elements: list[Any] = []
        if files:
            from .element import File, Image

            elements = [
                (Image if f.type.startswith("image/") else File)(name=f.name, path=f.path, mime=f.type)
                for f in files
            ]
        message = Message(content, type="user_message", author=self.app.user_name, elements=elements)
        message.command = command
        message.modes = modes or {}
        message.bind(self)
        self._interrupt_audio()  # a new question: the audio of the last answer stops
        if self.writer is not None:
            self.writer.thread_started(content or ", ".join(f.name for f in files))
        elif self.app.persist and not self.storage_error:
            self.storage_error = f"{NOT_SIGNED_IN}: this conversation is not saved."
        message._send_now()
        self.conversation.flush()
        return message

    def answer(
        self,
        message: Message,
        answers: list[Any] | None = None,
        *,
        from_view: bool = False,
        start_first: bool = False,
    ) -> asyncio.Task[Any] | None:
        """Run ``on_message`` for ``message``; ``answers`` script its prompts. Typed in a view
        (``from_view``), what the handler prints goes under the cell that displayed the chat.
        ``start_first``: run ``on_chat_start`` before, if the chat has not started."""
        handler = self.handlers.get("on_message")
        if handler is None:
            log.warning("chatwidget: a message arrived but no @app.on_message handler is registered")
            return None
        cell = self.output_context if from_view else None
        before = self.start if start_first else None
        return self.runner.start("on_message", handler, message, answers=answers, cell=cell, before=before)

    def answer_after_start(self, message: Message) -> asyncio.Task[Any] | None:
        """Answer a message typed in a view, after ``on_chat_start`` if the chat has not started.

        The chat is running from now on, before the reply to the view's request: the next
        message the view holds waits for this answer to end rather than racing it.
        """
        return self.answer(message, from_view=True, start_first=True)

    def say(self, content: str, *, error: bool = False) -> Message:
        """A notice from the assistant in this chat (a stop, an error), shown at once."""
        notice = (ErrorMessage if error else Message)(content, author=self.app.assistant_name).bind(self)
        notice._send_now()
        return notice

    def stop(self) -> bool:
        """Stop the running answer, as the composer's stop button does."""
        self._interrupt_audio()
        if not self.runner.stop():
            return False
        self.conversation.finish_streams()
        self.say("Task manually stopped.")
        if handler := self.handlers.get("on_stop"):
            self.runner.start("on_stop", handler, cell=self.output_context)
        return True

    async def end(self) -> None:
        """Stop what runs and run ``on_chat_end`` (once per started chat)."""
        if self._voice is not None:
            await self._voice.close()
        self.runner.stop()
        await self.runner.wait()
        if self.started and (handler := self.handlers.get("on_chat_end")):
            await self.runner.invoke("on_chat_end", handler)
        if self._mcp is not None:
            await self._mcp.close()

    async def _mcp_handler(self, name: str, *args: Any) -> None:
        # A task of its own: the handler gets this chat's context without replacing its caller's.
        if handler := self.handlers.get(name):
            await asyncio.get_running_loop().create_task(self.runner.invoke(name, handler, *args))
            self.conversation.flush()

    def clear(self, *, keep_settings: bool = False) -> None:
        """Empty the views for another chat; what was stored stays stored."""
        self.conversation.clear()
        self.elements.clear()
        self.element_sidebar = {}
        self.modes = []
        self._close_uploads()
        self.interaction.reset(keep_settings=keep_settings)

    async def new_chat(self) -> None:
        """End this chat (``on_chat_end``) and start an empty one in the same views."""
        await self.end()
        self.clear()
        await self.switch_thread(str(uuid.uuid4()))
        # The user and their keys are the user's, not the chat's: a new chat keeps them.
        kept: dict[str, Any] = {k: self.user_session[k] for k in ("user", "env") if k in self.user_session}
        self.user_session = {"id": self.thread_id, "chat_profile": self.profile or None, **kept}
        self.started = False
        self.conversation.flush()

    def notify(self, name: str, *args: Any) -> None:
        """Run a notification handler without counting it as the chat's running answer."""
        handler = self.handlers.get(name)
        if handler is not None:
            asyncio.get_running_loop().create_task(self.runner.invoke(name, handler, *args))

    def report_error(self, name: str, exc: Exception) -> None:
        """Tell the user that ``name`` failed, as much as the app's ``error_details`` shows."""
        report_error(self, name, exc)

    def _close_uploads(self) -> None:
        if self._uploads is not None:
            self._uploads.close()

    def upload_rules(self, purpose: str = "message") -> UploadRules | None:
        """The rules for an upload: the composer's (if enabled) or the pending file prompt's."""
        if purpose == "message":
            options: dict[str, Any] = self.app.file_upload
            if not options.get("enabled"):
                return None
            from ._uploads import UploadRules

            return UploadRules(
                accept=options.get("accept", ["*/*"]),
                max_size_mb=float(options.get("max_size_mb", 500)),
                max_files=int(options.get("max_files", 20)),
            )
        if self._asks is None:  # no prompt was ever asked: none waits for files
            return None
        from .ask import AskFileMessage

        ask = self._asks.get(purpose)
        return ask.rules if isinstance(ask, AskFileMessage) else None

    def _prompt_changed(self, ask: AskBase | None) -> None:
        if ask is None:
            self.ask = {}
            return
        self.conversation.flush()  # the prompt's message first, then the prompt
        self.ask = {
            "id": ask.id,
            "kind": ask.kind,
            "forId": ask.message.id if ask.message else None,
            "spec": ask.spec(),
            "timeout": ask.timeout,
        }

    def retire(self) -> bool:
        """From now on the API outside a handler no longer finds this chat; False if it was
        closed already."""
        if self._closed:
            return False
        self._closed = True
        open_chats.discard(self)
        return True

    async def close(self, *, retired: bool = False) -> None:
        """End the chat and release what it holds (uploads, worker threads, the database)."""
        if not self.retire() and not retired:
            return
        try:
            await self.end()
            if self._writer is not None:
                try:
                    await self._writer.save()
                except Exception:  # already reported (storage_error); the chat is closing anyway
                    log.warning("chatwidget: unsaved changes were lost when the chat closed")
        finally:
            self._close_uploads()
            workers.release()
            await data_layers.release(self)

    def close_now(self) -> None:
        """Close without a running loop (nothing can run ``on_chat_end``)."""
        if not self.retire():
            return
        if self._mcp is not None:
            self._mcp.abandon()
        if self._voice is not None:
            self._voice.abandon()
        self._close_uploads()
        workers.release()
        data_layers.forget(self)
