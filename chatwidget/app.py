"""``ChatApp``: the widget that holds one live conversation and runs its handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import anywidget
import traitlets

from . import _protocol as wire
from . import _threads
from ._base import StepBase
from ._emitter import Emitter, NullEmitter, WidgetEmitter
from ._history import History
from ._identity import identity_required, verify_identity
from ._interaction import Interaction
from ._log import route_log_to_server
from ._persistence import ThreadWriter, default_data_layer, owner_identifier
from ._requests import dispatch
from ._runner import HandlerRunner
from ._static import StaticCopies, render_static
from ._transcript import render_transcript
from ._uploads import UploadedFile
from .element import File, Image
from .message import ErrorMessage, Message

log = logging.getLogger("chatwidget")
F = TypeVar("F", bound=Callable[..., Any])

_STATIC = Path(__file__).parent / "static"
_NOT_SIGNED_IN = "Not signed in"
_MISSING_BUNDLE = """export default { render({ el }) {
  el.textContent = "chatwidget: the front end is not built. Run `npm --prefix js run build`.";
} };"""


def _asset(name: str, fallback: str) -> Path | str:
    path = _STATIC / name
    return path if path.exists() else fallback


class ChatApp(anywidget.AnyWidget):
    """A chat app: register handlers on it, then ``app.display()``.

    ``cot`` chooses how much of the chain of thought the browser sees: ``"full"`` (every
    step), ``"tool_call"`` (tool steps only) or ``"hidden"`` (no step; the browser gets
    only stubs, never their contents).
    """

    _esm = _asset("chatwidget.js", _MISSING_BUNDLE)
    _css = _asset("chatwidget.css", "")

    protocol = traitlets.Unicode(wire.PROTOCOL_VERSION, read_only=True).tag(sync=True)
    instance = traitlets.Unicode(help="A unique id of this app, shared by all its views.").tag(sync=True)
    title = traitlets.Unicode("Chat", help="Shown above the conversation. Default: 'Chat'.").tag(sync=True)
    config = traitlets.Dict(help="Display options for the views; derived from the traits below.").tag(
        sync=True
    )
    running = traitlets.Bool(False, help="Whether a handler is answering.").tag(sync=True)
    ask = traitlets.Dict(help="The prompt waiting for the user's answer, or {}.").tag(sync=True)
    settings = traitlets.Dict(help="The chat settings panel: inputs and values, or {}.").tag(sync=True)
    starters: traitlets.List[dict[str, Any]] = traitlets.List(help="Suggestions shown on an empty chat.").tag(
        sync=True
    )
    commands: traitlets.List[dict[str, Any]] = traitlets.List(help="The composer's / commands.").tag(
        sync=True
    )
    profiles: traitlets.List[dict[str, Any]] = traitlets.List(help="Chat profiles to choose from.").tag(
        sync=True
    )
    profile = traitlets.Unicode("", help="The current chat profile.").tag(sync=True)

    cot = traitlets.Enum(
        ["full", "tool_call", "hidden"], "full", help="Chain of thought shown. Default: full."
    )
    assistant_name = traitlets.Unicode("Assistant", help="Author of assistant messages. Default: Assistant.")
    user_name = traitlets.Unicode("User", help="Author of user messages. Default: User.")
    placeholder = traitlets.Unicode("", help="Composer placeholder. Default: a translated 'Type a message'.")
    disable_while_running = traitlets.Bool(True, help="Refuse new messages while answering. Default: True.")
    language = traitlets.Unicode(
        "", help="UI language, e.g. 'fr-FR'. Default: JupyterLab's or the browser's."
    )
    file_upload = traitlets.Dict(
        {"enabled": False, "accept": ["*/*"], "max_files": 20, "max_size_mb": 500},
        help="Attachments in the composer: enabled, accept, max_files, max_size_mb. Default: disabled.",
    )
    persist = traitlets.Bool(
        True, help="Keep conversations in the data layer (resume them later). Default: True (False headless)."
    )
    data_layer = traitlets.Instance(
        "chatwidget.data.BaseDataLayer",
        allow_none=True,
        help="Where threads are kept; takes precedence over db_url. Default: None (see db_url).",
    )
    db_url = traitlets.Unicode(
        "",
        help=(
            "The database URL of the SQL data layer used when data_layer is not given, e.g. "
            "postgresql+asyncpg://user@host/db; read once, when the chat first needs it. Never "
            "sent to the browser. Default: empty: $CHATWIDGET_DATABASE_URL if set, else SQLite "
            "in Jupyter's data dir."
        ),
    )
    storage_error = traitlets.Unicode("", help="Why the conversation could not be saved, if so.").tag(
        sync=True
    )
    show_error_details = traitlets.Bool(
        False,
        help="Show an exception's message to the user; the traceback always goes to the log. Default: False.",
    )

    #: The app most recently created: the target of ``Message(...).send()`` outside a handler.
    last_created: ClassVar[ChatApp | None] = None

    def __init__(self, title: str = "Chat", *, headless: bool = False, **kwargs: Any) -> None:
        # Set before super().__init__: opening the comm already asks for the state.
        self._history = History()
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._started = False
        self.thread_id = str(uuid.uuid4())
        self.session: dict[str, Any] = {"id": self.thread_id}
        self._runner = HandlerRunner(self)
        self._interaction = Interaction(self)
        self._thread_writer: ThreadWriter | None = None
        self._verified_owner: str | None = None
        try:
            self._home_loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # created outside any loop (a plain script): no other thread to mind
            self._home_loop = None
        self._home_thread = threading.get_ident()
        self._static = StaticCopies(lambda: render_static(self.title, self._history, self._shows_text))
        self._sidecar: Any = None
        if headless:
            kwargs.setdefault("persist", False)
        super().__init__(title=title, instance=uuid.uuid4().hex, **kwargs)
        self._emitter: Emitter = (
            NullEmitter()
            if headless
            else WidgetEmitter(
                self._send_state, self.send, self._wire, self._shows_text, lambda: self._history.head
            )
        )
        self._update_config()
        self.on_msg(self._on_browser_message)
        ChatApp.last_created = self
        route_log_to_server()

    # -- handlers ------------------------------------------------------------------------
    def _register(self, name: str, fn: F) -> F:
        self._handlers[name] = fn
        return fn

    def on_chat_start(self, fn: F) -> F:
        """Called once per chat, when the first view connects or the first message arrives."""
        return self._register("on_chat_start", fn)

    def on_message(self, fn: F) -> F:
        """Called with each user message (a :class:`Message`)."""
        return self._register("on_message", fn)

    def on_chat_end(self, fn: F) -> F:
        """Called when the chat ends: ``new_chat()`` or ``close()``."""
        return self._register("on_chat_end", fn)

    def on_stop(self, fn: F) -> F:
        """Called after the user stopped a running answer."""
        return self._register("on_stop", fn)

    def on_feedback(self, fn: F) -> F:
        """Called with a :class:`~chatwidget.types.Feedback` when the user rates a reply."""
        return self._register("on_feedback", fn)

    def on_settings_update(self, fn: F) -> F:
        """Called with the new values when the user changes the chat settings."""
        return self._register("on_settings_update", fn)

    def action_callback(self, name: str) -> Callable[[F], F]:
        """Called with the :class:`~chatwidget.action.Action` when a button named ``name`` is clicked."""

        def register(fn: F) -> F:
            self._interaction.action_callbacks[name] = fn
            return fn

        return register

    def set_starters(self, fn: F) -> F:
        """``fn()`` (sync or async) returns the :class:`~chatwidget.types.Starter` list of a new chat."""
        return self._register("set_starters", fn)

    def set_chat_profiles(self, fn: F) -> F:
        """``fn()`` returns the :class:`~chatwidget.types.ChatProfile` list to choose from."""
        return self._register("set_chat_profiles", fn)

    def set_commands(self, commands: list[Any]) -> None:
        """The composer's ``/`` commands: :class:`~chatwidget.types.Command` objects or dicts."""
        self._interaction.set_commands(commands)

    # -- driving the chat from code ----------------------------------------------------------
    async def start(self) -> None:
        """Run ``on_chat_start`` if this chat has not started yet."""
        if self._started:
            return
        self._started = True
        await self._interaction.load_starters_and_profiles()
        if handler := self._handlers.get("on_chat_start"):
            await self._runner.invoke("on_chat_start", handler)
            self._flush()

    async def send_user_message(
        self, content: str, *, answers: list[Any] | None = None, command: str | None = None
    ) -> Message:
        """Act as the user typing ``content``; returns when ``on_message`` has finished.

        ``answers`` feed, in order, the ask prompts the handler raises: text for
        ``AskUserMessage``, an action name for ``AskActionMessage``, a list of paths (or of
        ``{"name", "content", "type"}`` dicts) for ``AskFileMessage``, the submitted data
        for ``AskElementMessage``; ``None`` stands for a timeout.
        """
        await self.start()
        await self._runner.wait()
        message = self._accept_user_message(content, [], command)
        task = self._start_handler(message, answers)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        self._static.write()  # a notebook driven from code is saved as it ends: no delay
        return message

    def stop(self) -> bool:
        """Stop the running answer, as the composer's stop button does."""
        if not self._runner.stop():
            return False
        self._finish_streams()
        Message("Task manually stopped.", author=self.assistant_name)._send_now()
        if handler := self._handlers.get("on_stop"):
            self._runner.start("on_stop", handler)
        return True

    async def new_chat(self) -> None:
        """End this chat (``on_chat_end``) and start an empty one in the same views."""
        await self._end_chat()
        self._clear_conversation()
        await self._switch_thread(str(uuid.uuid4()))
        self.session = {"id": self.thread_id, "chat_profile": self.profile or None}
        self._started = False
        self._flush()

    # -- threads (kept by the data layer) ------------------------------------------------------
    @property
    def _writer(self) -> ThreadWriter | None:
        """Who writes the threads; ``None`` when nothing is kept (see ``_identity``)."""
        if self._thread_writer is None and self.persist:
            owner = self._verified_owner or (None if identity_required() else owner_identifier())
            if owner is None:
                return None
            layer = self.data_layer or default_data_layer(self.db_url)
            self._thread_writer = ThreadWriter(self, layer, owner)
        return self._thread_writer

    async def _switch_thread(self, thread_id: str, *, stored: bool = False) -> None:
        """Make ``thread_id`` current (``stored``: an existing one, resumed).

        What comes next goes to the new thread at once; the previous thread's queued writes
        are flushed to it (a message sent just before must not be lost or change threads).
        """
        previous, self.thread_id = self.thread_id, thread_id
        if self._writer is not None:
            await self._writer.switched(previous, stored=stored)

    def _sign_in(self, token: object) -> bool:
        """Accept the identity a view passed on from the server; False if it proves nothing.

        A kernel holds one conversation, so once it has an owner, another owner's view is refused.
        """
        owner = verify_identity(token)
        if owner is None:
            return False
        if self._verified_owner not in (None, owner):
            raise PermissionError("This chat belongs to another user.")
        self._verified_owner = owner
        if identity_required() and self.storage_error.startswith(_NOT_SIGNED_IN):
            self.storage_error = ""
        return True

    def on_chat_resume(self, fn: F) -> F:
        """Called with the stored thread after ``resume()`` restored it."""
        return self._register("on_chat_resume", fn)

    async def resume(self, thread_id: str) -> None:
        """Restore a stored thread (messages, steps, elements, feedback, settings) in this chat."""
        await _threads.resume(self, thread_id)

    async def list_threads(self, search: str | None = None, cursor: str | None = None) -> dict[str, Any]:
        """One page of this owner's threads, newest first: ``{"pageInfo", "data"}``."""
        return await _threads.list_threads(self, search, cursor)

    async def save(self) -> None:
        """Write what is not saved yet now; raises if the data layer fails."""
        if self._writer is not None:
            await self._writer.flush()

    async def wait(self) -> None:
        """Wait until no handler is running."""
        await self._runner.wait()

    # -- reading the chat ---------------------------------------------------------------
    @property
    def messages(self) -> list[Message]:
        return [s for s in self._history.steps() if isinstance(s, Message)]

    @property
    def steps(self) -> list[StepBase]:
        """Every entry of the conversation (messages and steps) in the order they were sent."""
        return self._history.steps()

    def transcript(self) -> str:
        """The conversation as deterministic plain text (no ids, no timestamps)."""
        return render_transcript(self._history)

    def display(self) -> None:
        """Show the chat in the current cell's output; several views stay in sync.

        A static copy of the conversation is shown along with it, for readers of the saved
        notebook where no kernel runs (hidden while the widget is live).
        """
        from IPython.display import display

        display(self)  # type: ignore[no-untyped-call]
        self._static.show()

    def sidebar(self, title: str | None = None, anchor: str = "right") -> None:
        """Open the same live chat in JupyterLab's side panel (``anchor="split-right"`` for a tab)."""
        from IPython.display import display
        from sidecar import Sidecar

        self._sidecar = Sidecar(title=title or self.title, anchor=anchor)
        with self._sidecar:
            display(self)  # type: ignore[no-untyped-call]

    def __repr__(self) -> str:
        return f"ChatApp(title={self.title!r}, messages={len(self.messages)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle[0]["text/plain"] = repr(self)
        elif isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)
        return bundle

    # -- history (called by messages and steps, on the loop thread) ------------------------------
    def _history_has(self, step: StepBase) -> bool:
        return step.id in self._history

    def _history_put(self, step: StepBase) -> None:
        self._emitter.changed(self._history.put(step), step)
        if self._writer is not None:
            self._writer.changed(step)

    def _history_remove(self, step: StepBase) -> bool:
        slot = self._history.remove(step.id)
        if slot is None:
            return False
        self._emitter.removed(slot, step)
        if self._writer is not None:
            self._writer.removed(step)
        return True

    def _remember_in_thread(self, **metadata: Any) -> None:
        if self._writer is not None:
            self._writer.remember(metadata)

    def _restore(self, step: StepBase) -> None:
        """Show a step read back from the data layer (it is stored already)."""
        self._interaction.attach(step, store=False)
        self._emitter.changed(self._history.put(step), step)

    def _clear_conversation(self) -> None:
        """Empty the views for another chat; what was stored stays stored."""
        for slot, step in list(self._history.items()):
            self._history.remove(step.id)
            self._emitter.removed(slot, step)
        self._interaction.reset()

    def _streamed(self, step: StepBase) -> None:
        self._emitter.streamed(step)

    def _stream_replaced(self, step: StepBase) -> None:
        self._emitter.replaced(step)

    def _finish_streams(self) -> None:
        for step in self._history.steps():
            if step.streaming:
                step.streaming = False
                self._history_put(step)

    def _flush(self) -> None:
        self._emitter.flush()

    async def _report_error(self, exc: Exception) -> None:
        detail = f"{type(exc).__name__}: {exc}" if self.show_error_details else type(exc).__name__
        await ErrorMessage(f"An error occurred ({detail}).", author=self.assistant_name).send()

    # -- wire ------------------------------------------------------------------------------
    def _shows_text(self, step: StepBase) -> bool:
        if step.type in wire.MESSAGE_TYPES or self.cot == "full":
            return True
        return self.cot == "tool_call" and step.type == "tool"

    def _wire(self, step: StepBase) -> wire.StepDict:
        if not self._shows_text(step):
            data = step.stub_dict()
        else:
            data = step.to_dict()
            self._interaction.decorate(step, data)
        data["slot"] = self._history.slot_of(step.id) or 0
        return data

    def _send_state(self, state: dict[str, Any]) -> None:
        # Element bytes travel as binary buffers, not as base64 in the JSON.
        buffer_paths, buffers = [], []
        for key, value in state.items():
            if isinstance(value, dict) and isinstance(value.get("data"), bytes | memoryview):
                state[key] = {**value, "data": None}
                buffer_paths.append([key, "data"])
                buffers.append(value["data"])
        self._send({"method": "update", "state": state, "buffer_paths": buffer_paths}, buffers=buffers)

    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state(key, drop_defaults)
        if key is None:  # a full snapshot: a new view, or a reloaded page
            state["head"] = self._history.head
            for slot, step in self._history.items():
                state[wire.step_key(slot)] = self._wire(step)
            state.update(self._interaction.element_state())
        return state

    @traitlets.observe(
        "cot",
        "assistant_name",
        "user_name",
        "placeholder",
        "disable_while_running",
        "language",
        "file_upload",
    )
    def _update_config(self, _change: Any = None) -> None:
        self.config = {
            "file_upload": self.file_upload,
            "cot": self.cot,
            "assistant_name": self.assistant_name,
            "user_name": self.user_name,
            "placeholder": self.placeholder,
            "disable_while_running": self.disable_while_running,
            "language": self.language,
        }

    def _on_browser_message(self, _widget: Any, content: Any, buffers: Any) -> None:
        # JupyterLab may deliver comm messages on a kernel subshell, in another thread with
        # its own loop; the conversation is only ever touched on the loop it was created on.
        home = self._home_loop
        if home is not None and threading.get_ident() != self._home_thread and not home.is_closed():
            home.call_soon_threadsafe(self._handle_browser_message, content, buffers)
            return
        self._handle_browser_message(content, buffers)

    def _handle_browser_message(self, content: Any, buffers: Any) -> None:
        dispatch(self, content, buffers)

    # -- running --------------------------------------------------------------------------
    def _accept_user_message(
        self, content: str, files: list[UploadedFile], command: str | None = None
    ) -> Message:
        elements = [
            (Image if f.type.startswith("image/") else File)(name=f.name, path=f.path, mime=f.type)
            for f in files
        ]
        message = Message(content, type="user_message", author=self.user_name, elements=elements)
        message.command = command
        message._app = self
        if self._writer is not None:
            self._writer.thread_started(content or ", ".join(f.name for f in files))
        elif self.persist and not self.storage_error:
            self.storage_error = f"{_NOT_SIGNED_IN}: this conversation is not saved."
        message._send_now()
        self._flush()
        return message

    async def _start_after_chat_start(self, message: Message) -> None:
        await self.start()
        self._start_handler(message, None)

    def _start_handler(self, message: Message, answers: list[Any] | None) -> asyncio.Task[Any] | None:
        handler = self._handlers.get("on_message")
        if handler is None:
            log.warning("chatwidget: a message arrived but no @app.on_message handler is registered")
            return None
        return self._runner.start("on_message", handler, message, answers=answers)

    async def _end_chat(self) -> None:
        self._runner.stop()
        await self._runner.wait()
        if self._started and (handler := self._handlers.get("on_chat_end")):
            await self._runner.invoke("on_chat_end", handler)

    def close(self) -> None:
        """Close the widget; ``on_chat_end`` runs if a loop is running."""
        with contextlib.suppress(RuntimeError):  # no running loop: nothing can run on_chat_end
            asyncio.get_running_loop().create_task(self._end_chat())
        if ChatApp.last_created is self:
            ChatApp.last_created = None
        super().close()
