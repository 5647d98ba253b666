"""The handlers registered on an app: one registry, action callbacks included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Handler = Callable[..., Any]
F = TypeVar("F", bound=Callable[..., Any])

#: The named handlers an app can register (``@app.<name>``).
NAMES = frozenset(
    {
        "on_chat_start",
        "on_message",
        "on_chat_end",
        "on_chat_resume",
        "on_stop",
        "on_feedback",
        "on_settings_update",
        "on_settings_edit",
        "on_window_message",
        "set_starters",
        "set_starter_categories",
        "set_chat_profiles",
        "on_mcp_connect",
        "on_mcp_disconnect",
        "on_audio_start",
        "on_audio_chunk",
        "on_audio_end",
    }
)


class Handlers:
    def __init__(self) -> None:
        self._named: dict[str, Handler] = {}
        self._actions: dict[str, Handler] = {}
        self._watchers: list[Callable[[str], None]] = []

    def register(self, name: str, fn: Handler) -> None:
        if name not in NAMES:
            raise ValueError(f"unknown handler {name!r}; known: {', '.join(sorted(NAMES))}")
        self._named[name] = fn
        for watcher in self._watchers:
            watcher(name)

    def watch(self, watcher: Callable[[str], None]) -> None:
        """Call ``watcher(name)`` after each handler registered (the views show what a handler enables)."""
        self._watchers.append(watcher)

    def get(self, name: str) -> Handler | None:
        return self._named.get(name)

    def register_action(self, action_name: str, fn: Handler) -> None:
        self._actions[action_name] = fn

    def action(self, action_name: str) -> Handler | None:
        """The callback of the buttons named ``action_name``."""
        return self._actions.get(action_name)


class HandlerDecorators:
    """The ``@app.on_...`` decorators, registering on the app's :class:`Handlers`."""

    handlers: Handlers

    def _register(self, name: str, fn: F) -> F:
        self.handlers.register(name, fn)
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

    def on_chat_resume(self, fn: F) -> F:
        """Called with the stored thread after ``resume()`` restored it."""
        return self._register("on_chat_resume", fn)

    def on_stop(self, fn: F) -> F:
        """Called after the user stopped a running answer."""
        return self._register("on_stop", fn)

    def on_feedback(self, fn: F) -> F:
        """Called with a :class:`~chatwidget.types.Feedback` when the user rates a reply."""
        return self._register("on_feedback", fn)

    def on_settings_update(self, fn: F) -> F:
        """Called with the new values when the user changes the chat settings."""
        return self._register("on_settings_update", fn)

    def on_settings_edit(self, fn: F) -> F:
        """Called with the values while the user edits the settings, before they confirm."""
        return self._register("on_settings_edit", fn)

    def on_window_message(self, fn: F) -> F:
        """Called with the data the page embedding the chat posted to it (``window.postMessage``)."""
        return self._register("on_window_message", fn)

    def set_starter_categories(self, fn: F) -> F:
        """``fn(user, language, profile)`` (or fewer) returns the ``StarterCategory`` list."""
        return self._register("set_starter_categories", fn)

    def set_starters(self, fn: F) -> F:
        """``fn(user, language)`` (sync or async; fewer parameters are fine) returns the starters."""
        return self._register("set_starters", fn)

    def set_chat_profiles(self, fn: F) -> F:
        """``fn(user, language)`` returns the :class:`~chatwidget.types.ChatProfile` list."""
        return self._register("set_chat_profiles", fn)

    def on_mcp_connect(self, fn: F) -> F:
        """Called with the connection and the ``mcp`` SDK's ``ClientSession`` of a new MCP server."""
        return self._register("on_mcp_connect", fn)

    def on_mcp_disconnect(self, fn: F) -> F:
        """Called with the name and the ``ClientSession`` of an MCP server being disconnected."""
        return self._register("on_mcp_disconnect", fn)

    def on_audio_start(self, fn: F) -> F:
        """Called when the user starts recording; return True to listen (anything else refuses)."""
        return self._register("on_audio_start", fn)

    def on_audio_chunk(self, fn: F) -> F:
        """Called with each :class:`~chatwidget.InputAudioChunk` of the user's voice, in order.

        Registering it offers the microphone in the composer (see ``ChatApp(audio=...)``).
        """
        return self._register("on_audio_chunk", fn)

    def on_audio_end(self, fn: F) -> F:
        """Called once the recording's chunks are handled: the user stopped, or fell silent."""
        return self._register("on_audio_end", fn)

    def action_callback(self, name: str) -> Callable[[F], F]:
        """Called with the :class:`~chatwidget.action.Action` when a button named ``name`` is clicked."""

        def register(fn: F) -> F:
            self.handlers.register_action(name, fn)
            return fn

        return register
