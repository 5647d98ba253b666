"""``ChatWidget``: the comm of one chat's views — traits, state and messages, nothing else.

The widget holds no conversation: a new view's snapshot comes from ``snapshot()`` (the
chat's steps and elements as state keys), and each browser request goes to ``on_request``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets
from anywidget.experimental import command

from . import _protocol as wire
from . import assets
from ._emitter import ViewSync
from ._kernel_parent import guard_parent_restores
from ._options import VIEW_OPTIONS, ChatOptions

if TYPE_CHECKING:
    from .chat import ChatSession

_MISSING_BUNDLE = """export default { render({ el }) {
  el.textContent = "chatwidget: the front end is not built. Run `npm --prefix js run build`.";
} };"""

#: The chat's state traits the widget mirrors.
MIRRORED: tuple[str, ...] = ("running", "ask", "settings", "starters", "commands", "profiles", "profile")
MIRRORED += ("storage_error", "connected_mcp")
MIRRORED += ("starter_categories", "modes", "element_sidebar", "chat_elements")

Snapshot = Callable[[], dict[str, Any]]
RequestHandler = Callable[[Any, list[Any]], None]


class ChatWidget(anywidget.AnyWidget):
    """The views of one chat. Its state traits are kept by the chat's owner, not here.

    Its module is the loader (see ``assets``): the bundle crosses to a page once, from the
    server or through ``bundle``, and is in no widget's state."""

    _esm = assets.loader_source() or _MISSING_BUNDLE
    _css = ""

    protocol = traitlets.Unicode(wire.PROTOCOL_VERSION, read_only=True).tag(sync=True)
    instance = traitlets.Unicode(help="A unique id of this chat, shared by all its views.").tag(sync=True)
    title = traitlets.Unicode("Chat").tag(sync=True)
    config = traitlets.Dict(help="Display options for the views.").tag(sync=True)
    running = traitlets.Bool(False, help="Whether a handler is answering.").tag(sync=True)
    ask = traitlets.Dict(help="The prompt waiting for the user's answer, or {}.").tag(sync=True)
    settings = traitlets.Dict(help="The chat settings panel: inputs and values, or {}.").tag(sync=True)
    starters: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    commands: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    profiles: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    profile = traitlets.Unicode("").tag(sync=True)
    storage_error = traitlets.Unicode("").tag(sync=True)
    connected_mcp: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    starter_categories: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    modes: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    element_sidebar = traitlets.Dict().tag(sync=True)
    chat_elements: traitlets.List[str] = traitlets.List().tag(sync=True)

    def __init__(self, snapshot: Snapshot, on_request: RequestHandler, **kwargs: Any) -> None:
        # Set before super().__init__: opening the comm already asks for the state.
        self._snapshot = snapshot
        self._on_request = on_request
        try:
            self._home_loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # created outside any loop (a plain script): no other thread to mind
            self._home_loop = None
        self._home_thread = threading.get_ident()
        super().__init__(**kwargs)
        self.on_msg(self._received)
        guard_parent_restores()

    @classmethod
    def linked(cls, app: ChatOptions, chat: ChatSession) -> ChatWidget:
        """The views of ``chat``: its state traits mirrored, the app's options as ``config``,
        every change of the conversation sent through a view sync."""

        def on_request(content: Any, buffers: list[Any]) -> None:
            from ._requests import dispatch  # every request handler, loaded by the first request

            dispatch(chat, content, buffers)

        widget = cls(chat.snapshot, on_request, instance=chat.id)
        traitlets.dlink((app, "title"), (widget, "title"))
        for name in MIRRORED:
            traitlets.dlink((chat, name), (widget, name))
        head = lambda: chat.conversation.head  # noqa: E731 - read at each flush
        chat.attach_view(ViewSync(widget.send_state_keys, widget.send, chat.wire, chat.shows_text, head))
        app.observe(lambda _: setattr(widget, "config", app.view_config()), names=list(VIEW_OPTIONS))
        app.handlers.watch(lambda _name: setattr(widget, "config", app.view_config()))
        widget.config = app.view_config()
        return widget

    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state(key, drop_defaults)
        if key is None:  # a full snapshot: a new view, or a reloaded page
            state.update(self._snapshot())
        return state

    @command
    def bundle(self, msg: Any, buffers: list[bytes]) -> tuple[dict[str, Any], list[bytes]]:
        """The loader found no server to fetch the bundle from: script and CSS as buffers."""
        files = assets.bundle_files()
        return {"build": assets.build_id()}, list(files or ())

    def send_state_keys(self, state: dict[str, Any]) -> None:
        """Send state keys that are not traits (steps, elements); bytes go as binary buffers."""
        buffer_paths, buffers = [], []
        for key, value in state.items():
            if isinstance(value, dict) and isinstance(value.get("data"), bytes | memoryview):
                state[key] = {**value, "data": None}
                buffer_paths.append([key, "data"])
                buffers.append(value["data"])
        self._send({"method": "update", "state": state, "buffer_paths": buffer_paths}, buffers=buffers)

    def _received(self, _widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("kind") == "anywidget-command":
            return  # the loader's, answered by anywidget (``bundle``)
        # JupyterLab may deliver comm messages on a kernel subshell, in another thread with
        # its own loop; the chat is only ever touched on the loop it was created on.
        home = self._home_loop
        if home is not None and threading.get_ident() != self._home_thread and not home.is_closed():
            home.call_soon_threadsafe(self._on_request, content, list(buffers or []))
            return
        self._on_request(content, list(buffers or []))
